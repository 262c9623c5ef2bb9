"""Handoff latency: an urgent message to the console's alert, and an operator's message to LINE.

Starts the real bot and app with LINE on, pointed at a local fake of LINE's API, signs an
operator of the Thailand 1300 team in and keeps the console's event stream open, while 50 other
people chat with the bot all the time. Then it measures

- alert: from posting an urgent Thai disclosure to LINE's webhook until the console's stream
  brings the alert of its case, over `--cases` people (default 100). Baseline, in the same run
  and under the same load: from posting a plain question until the bot's reply reaches the
  fake LINE API (the bot's own time for one message);
- send: from an operator's `POST /console/api/cases/{id}/messages` until the fake LINE API
  receives the push, over as many messages. Baseline: the signed-in `GET /console/api/me` (the
  same session check, sending nothing) in the same run.

Run it with `./.venv/app/bin/python bench/handoff_alert.py [--cases N]`; it is not a test.
Targets: alert p95 under 1 s; send p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import line_text_event, running_stack  # noqa: E402
from console.accounts import Accounts  # noqa: E402
from core.identity import conversation_id  # noqa: E402
from core.records.db import Database  # noqa: E402
from core.records.models import Handoff  # noqa: E402
from core.teams import Teams  # noqa: E402
from fakeplatform import FakePlatform, line_api  # noqa: E402
from launcher.scratch import LINE_CHANNEL_SECRET  # noqa: E402

URGENT = "ช่วยด้วย เขากำลังตีผมอยู่ตอนนี้"
QUESTION = "อยากไปทำงานที่มาเลเซีย ต้องเตรียมเอกสารอะไรบ้าง"
BACKGROUND_PEOPLE = 50
BACKGROUND_PAUSE_SECONDS = 3.0
PASSWORD = "benchmark operator password"


async def post_line(client: httpx.AsyncClient, user: str, text: str, token: str) -> float:
    """Post one signed text event; return when it was posted (monotonic)."""
    body = line_text_event(user, text, token)
    signature = line_api.signature(body, LINE_CHANNEL_SECRET)
    started = time.monotonic()
    response = await client.post(
        "/webhooks/line", content=body, headers={"X-Line-Signature": signature, "Content-Type": "application/json"}
    )
    response.raise_for_status()
    return started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))] * 1000


def summary(name: str, values: list[float], baseline: list[float], base_name: str) -> str:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    b50, b95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    return (
        f"{name:<6} n={len(values):<4} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms   |  {base_name}: p50 {b50:7.1f} ms"
        f"  p95 {b95:7.1f} ms   |  p95 ratio {p95 / b95:5.2f}×"
    )


class Console:
    """An operator signed in over HTTP, with the console's event stream open."""

    def __init__(self, app: str) -> None:
        self.client = httpx.AsyncClient(base_url=app, timeout=30)
        self.csrf = ""
        self.alerts: dict[str, float] = {}
        self._stream: asyncio.Task | None = None

    async def sign_in(self, username: str) -> None:
        answer = await self.client.post("/console/api/sign-in", json={"username": username, "password": PASSWORD})
        answer.raise_for_status()
        self.csrf = answer.json()["csrf"]
        await self.post("/console/api/duty", {"on_duty": True})
        self._stream = asyncio.create_task(self._listen())

    async def post(self, path: str, body: dict) -> httpx.Response:
        response = await self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})
        response.raise_for_status()
        return response

    async def _listen(self) -> None:
        async with self.client.stream("GET", "/console/api/events", timeout=None) as stream:
            kind = ""
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "alert":
                    self.alerts.setdefault(json.loads(line[6:])["case"], time.monotonic())

    async def close(self) -> None:
        if self._stream:
            self._stream.cancel()
        await self.client.aclose()


async def background(app: str, stop: asyncio.Event, posted: dict[str, float]) -> None:
    """50 people asking the bot questions, each every few seconds, until `stop`."""
    async with httpx.AsyncClient(base_url=app, timeout=60) as client:

        async def person(number: int) -> None:
            user = f"Ubg{number:04d}{uuid.uuid4().hex[:8]}"
            await asyncio.sleep(number * BACKGROUND_PAUSE_SECONDS / BACKGROUND_PEOPLE)
            while not stop.is_set():
                token = uuid.uuid4().hex
                posted[token] = await post_line(client, user, QUESTION, token)
                await asyncio.sleep(BACKGROUND_PAUSE_SECONDS)

        await asyncio.gather(*(person(n) for n in range(BACKGROUND_PEOPLE)))


def reply_times(platform: FakePlatform, posted: dict[str, float]) -> list[float]:
    times = []
    for request in platform.requests("/v2/bot/message/reply"):
        token = (request.json() or {}).get("replyToken")
        if token in posted:
            times.append(request.at - posted[token])
    return times


async def measure(settings, platform: FakePlatform, cases: int, username: str) -> None:
    app = f"http://127.0.0.1:{settings.app_port}"
    console = Console(app)
    await console.sign_in(username)
    stop, posted = asyncio.Event(), {}
    load = asyncio.create_task(background(app, stop, posted))
    await asyncio.sleep(BACKGROUND_PAUSE_SECONDS * 2)  # the load is running before anything is measured

    urgent_posted: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=app, timeout=60) as client:
        for number in range(cases):
            user = f"Uurgent{number:04d}{uuid.uuid4().hex[:8]}"
            urgent_posted[conversation_id(settings.secret_key.get_secret_value(), "line", user)] = await post_line(
                client, user, URGENT, uuid.uuid4().hex
            )
            await asyncio.sleep(0.25)
        deadline = time.monotonic() + 120
        while len(console.alerts) < cases and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    database = Database(settings.resolved_database_url())
    with database.session() as session:
        opened = dict(session.execute(select(Handoff.id, Handoff.conversation_id)).all())
    database.dispose()
    alert_times = [
        console.alerts[case] - urgent_posted[conversation]
        for case, conversation in opened.items()
        if case in console.alerts and conversation in urgent_posted
    ]

    sends, plain = [], []
    case_ids = [case for case, conversation in opened.items() if conversation in urgent_posted]
    for case in case_ids:
        await console.post(f"/console/api/cases/{case}/claim", {})
    for number, case in enumerate(case_ids):
        text = f"bench message {number} {uuid.uuid4().hex}"
        started = time.monotonic()
        await console.post(f"/console/api/cases/{case}/messages", {"text": text})
        arrival, deadline = None, started + 30
        while arrival is None and time.monotonic() < deadline:
            arrival = next((r.at for r in platform.requests("/v2/bot/message/push") if text in r.body.decode()), None)
            if arrival is None:
                await asyncio.sleep(0.005)
        if arrival is None:
            raise RuntimeError("an operator's message never reached LINE")
        sends.append(arrival - started)
        started = time.monotonic()
        (await console.client.get("/console/api/me")).raise_for_status()
        plain.append(time.monotonic() - started)

    stop.set()
    await load
    await console.close()
    baseline = reply_times(platform, posted)
    print(f"urgent cases: {cases} posted, {len(alert_times)} alerts timed; {len(baseline)} background replies")
    print(summary("alert", alert_times, baseline, "bot reply"))
    print(summary("send", sends, plain, "/api/me"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100, help="urgent cases (and operator messages) to time")
    args = parser.parse_args()
    with running_stack() as (settings, platform):
        database = Database(settings.resolved_database_url())
        Accounts(database, Teams.load().ids()).add("bench", "Bench", PASSWORD, "operator", ["th-1300"])
        database.dispose()
        asyncio.run(measure(settings, platform, args.cases, "bench"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
