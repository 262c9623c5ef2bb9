"""Where custom actions run: inside the app, or in rasa-sdk's own action server.

Posts the same action call (the hotline list, with a realistic tracker) to (a) the app's
`/actions/webhook`, where rasa-sdk's executor runs in-process, and (b) a standalone rasa-sdk
server running an equivalent action, at 1 and 20 concurrent callers. Prints p50/p95 per path,
their ratio, and the standalone server's memory (the price of a separate process).
Run: `.venv/app/bin/python bench/action_endpoint.py`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import ROOT  # noqa: E402
from launcher.envsetup import app_python  # noqa: E402
from launcher.processes import Child, Supervisor  # noqa: E402
from launcher.scratch import free_port, scratch_settings  # noqa: E402

STANDALONE_ACTIONS = '''
from rasa_sdk import Action
from core.directory import Directory, hotline_parts

DIRECTORY = Directory.load()


class ActionBenchHotlines(Action):
    def name(self):
        return "action_bench_hotlines"

    async def run(self, dispatcher, tracker, domain):
        say = [{"key": p.key, "params": dict(p.params)} for p in hotline_parts(DIRECTORY)]
        dispatcher.utter_message(json_message={"say": say, "menu": "main"})
        return []
'''


def action_call(name: str) -> dict:
    events = [{"event": "action", "name": "action_listen"}] + [
        {"event": "user", "text": f"message {i}", "parse_data": {"intent": {"name": "ask_hotline"}}} for i in range(20)
    ]
    return {
        "next_action": name,
        "sender_id": "bench",
        "version": "3.6.21",
        "domain": {"intents": ["ask_hotline"], "responses": {}, "actions": [name]},
        "tracker": {"sender_id": "bench", "slots": {}, "latest_message": events[-1], "events": events,
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"},
    }  # fmt: skip


async def measure(url: str, name: str, headers: dict, concurrency: int, calls: int) -> list[float]:
    latencies: list[float] = []
    body = action_call(name)
    async with httpx.AsyncClient(timeout=30) as client:

        async def caller():
            for _ in range(calls // concurrency):
                started = time.perf_counter()
                response = await client.post(url, json=body, headers=headers)
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(caller() for _ in range(concurrency)))
    return sorted(latencies)


def summary(latencies: list[float]) -> tuple[float, float]:
    return statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95) - 1] * 1000


def main() -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="saphan-bench-actions-"))
    settings = scratch_settings(var_dir)
    module_dir = Path(tempfile.mkdtemp())
    (module_dir / "bench_actions.py").write_text(STANDALONE_ACTIONS)
    sdk_port = free_port()
    env = {**os.environ, **settings.as_environment(), "PYTHONPATH": f"{module_dir}:{ROOT}"}
    app = Child("app", [str(app_python()), "-m", "uvicorn", "webapp.factory:app_from_environment", "--factory",
                        "--port", str(settings.app_port), "--log-level", "warning"], env,
                f"http://127.0.0.1:{settings.app_port}/openapi.json", var_dir / "app.log")  # fmt: skip
    sdk = Child("rasa-sdk", [str(app_python()), "-m", "rasa_sdk", "--actions", "bench_actions", "--port", str(sdk_port)],
                env, f"http://127.0.0.1:{sdk_port}/health")  # fmt: skip
    supervisor = Supervisor([app, sdk])
    supervisor.start(timeout=60)
    try:
        in_app = (f"http://127.0.0.1:{settings.app_port}/actions/webhook", "action_give_hotlines",
                  {"Authorization": f"Bearer {settings.action_token.get_secret_value()}"})  # fmt: skip
        standalone = (f"http://127.0.0.1:{sdk_port}/webhook", "action_bench_hotlines", {})
        for target in (in_app, standalone):
            asyncio.run(measure(*target, 1, 50))  # warm-up
        print(f"{'callers':>7} {'path':>10} {'p50 ms':>8} {'p95 ms':>8}")
        for concurrency in (1, 20):
            results = {}
            for label, target in (("in-app", in_app), ("standalone", standalone), ("in-app", in_app),
                                  ("standalone", standalone)):  # fmt: skip
                results.setdefault(label, []).extend(asyncio.run(measure(*target, concurrency, 400)))
            for label, latencies in results.items():
                p50, p95 = summary(sorted(latencies))
                print(f"{concurrency:>7} {label:>10} {p50:>8.2f} {p95:>8.2f}")
            ratio = summary(sorted(results["in-app"]))[1] / summary(sorted(results["standalone"]))[1]
            print(f"{concurrency:>7}  p95 in-app / standalone: ×{ratio:.2f}")
        print(f"standalone action server RSS: {psutil.Process(sdk.process.pid).memory_info().rss / 2**20:.0f} MiB")
    finally:
        supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
