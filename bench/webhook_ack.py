"""Webhook acknowledgement: LINE's webhook answers at once and the bot's work happens after.

Starts the real bot and app with LINE on, pointed at a local fake of LINE's API, and posts
signed LINE text events from many people at once. For each level of concurrency it measures

- the webhook's answer time (the platform's view: it must stay well under one second), against
  `GET /healthz` posted with the same concurrency in the same run (the baseline: an endpoint
  that does no work), and
- the time until the answer reaches the fake LINE API (the person's view), against the same
  messages sent straight to Rasa's REST webhook (the baseline: the bot's own time).

Run it with `./.venv/app/bin/python bench/webhook_ack.py [--quick]`; it is not a test.
Target: webhook p95 under 1 s at every level; delivery adds at most 10 % to Rasa's p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import line_text_event, running_stack  # noqa: E402
from fakeplatform import FakePlatform, line_api  # noqa: E402
from launcher.scratch import LINE_CHANNEL_SECRET  # noqa: E402

MESSAGE = "I want to work in Thailand, is this job offer safe?"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)] * 1000


async def webhook_round(app: str, platform: FakePlatform, concurrency: int) -> tuple[list[float], list[float]]:
    """Post one event per person; return webhook answer times and delivery times."""
    tokens = [uuid.uuid4().hex for _ in range(concurrency)]
    sent_at: dict[str, float] = {}
    answers: list[float] = []
    async with httpx.AsyncClient(base_url=app, timeout=60) as client:

        async def post(token: str) -> None:
            body = line_text_event(f"U{uuid.uuid4().hex}", MESSAGE, token)
            started = time.monotonic()
            sent_at[token] = started
            response = await client.post(
                "/webhooks/line",
                content=body,
                headers={
                    "X-Line-Signature": line_api.signature(body, LINE_CHANNEL_SECRET),
                    "Content-Type": "application/json",
                },
            )
            response.raise_for_status()
            answers.append(time.monotonic() - started)

        await asyncio.gather(*(post(token) for token in tokens))
    deliveries: dict[str, float] = {}
    deadline = time.monotonic() + 300
    while len(deliveries) < len(tokens) and time.monotonic() < deadline:
        for request in platform.requests("/v2/bot/message/reply"):
            token = (request.json() or {}).get("replyToken")
            if token in sent_at and token not in deliveries:
                deliveries[token] = request.at - sent_at[token]
        await asyncio.sleep(0.05)
    return answers, list(deliveries.values())


async def baseline_round(app: str, bot: str, concurrency: int) -> tuple[list[float], list[float]]:
    """The same load on `/healthz` and straight to Rasa; return both sets of times."""
    health: list[float] = []
    rasa: list[float] = []
    async with httpx.AsyncClient(timeout=120) as client:

        async def one() -> None:
            started = time.monotonic()
            (await client.get(f"{app}/healthz")).raise_for_status()
            health.append(time.monotonic() - started)
            started = time.monotonic()
            body = {"sender": uuid.uuid4().hex, "message": MESSAGE, "metadata": {"language": "en", "channel": "bench"}}
            (await client.post(f"{bot}/webhooks/saphan/webhook", json=body)).raise_for_status()
            rasa.append(time.monotonic() - started)

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return health, rasa


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 and 30 people, two rounds each")
    args = parser.parse_args()
    levels = (10, 30) if args.quick else (10, 50, 100)
    with running_stack() as (settings, platform):
        app, bot = f"http://127.0.0.1:{settings.app_port}", settings.resolved_bot_urls()[0]
        asyncio.run(webhook_round(app, platform, 5))  # warm-up, not measured
        print(f"{'people':>6} {'webhook p95':>12} {'healthz p95':>12} {'ratio':>7} "
              f"{'delivery p95':>13} {'rasa p95':>9} {'ratio':>7}")  # fmt: skip
        for concurrency in levels:
            hooks, health, deliveries, rasa = [], [], [], []
            for _ in range(2):  # alternate, so drift on a shared machine hits both paths
                answers, delivered = asyncio.run(webhook_round(app, platform, concurrency))
                hooks += answers
                deliveries += delivered
                base_health, base_rasa = asyncio.run(baseline_round(app, bot, concurrency))
                health += base_health
                rasa += base_rasa
            hook95, health95 = percentile(hooks, 0.95), percentile(health, 0.95)
            delivery95, rasa95 = percentile(deliveries, 0.95), percentile(rasa, 0.95)
            print(f"{concurrency:>6} {hook95:>10.1f}ms {health95:>10.1f}ms {hook95 / health95:>6.2f}× "
                  f"{delivery95:>11.1f}ms {rasa95:>7.1f}ms {delivery95 / rasa95:>6.2f}×"
                  f"   (delivered {len(deliveries)}/{2 * concurrency}, median answer "
                  f"{statistics.median(hooks) * 1000:.1f} ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
