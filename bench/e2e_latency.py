"""End-to-end latency: what the app adds on top of plain Rasa.

Plays the same scripted conversations (a) straight to Rasa's REST webhook and (b) through the
app's web chat WebSocket, against the same model and the same running bot, at 1, 10 and 50
concurrent conversations. Prints throughput, p50 and p95 for both, their ratios (the baseline
is measured in the same run, so a noisy machine affects both alike) and the peak memory of
each process. Run it with `./saphan bench`; it is not a test.

Target: the app adds at most 10 % to p95 and loses at most 10 % of throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil
import yaml
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import LANGUAGES, ROOT, Settings  # noqa: E402
from launcher import processes, training  # noqa: E402
from launcher.scratch import scratch_settings  # noqa: E402

SCRIPT_INTENTS = ("greet", "ask_hotline", "ask_human", "help_menu", "thanks")


def scripts() -> list[list[str]]:
    """One conversation per language: a training example of each scripted intent."""
    conversations = []
    for language in LANGUAGES:
        data = yaml.safe_load((ROOT / "nlu" / language / "general.yml").read_text(encoding="utf-8"))
        first = {b["intent"]: b["examples"].splitlines()[0][2:].strip() for b in data["nlu"]}
        conversations.append([first[intent] for intent in SCRIPT_INTENTS])
    return conversations


async def via_rasa(bot_url: str, script: list[str], latencies: list[float]) -> None:
    sender = uuid.uuid4().hex
    async with httpx.AsyncClient(base_url=bot_url, timeout=120) as client:
        await client.post("/webhooks/saphan/webhook", json={"sender": sender, "message": "/greet"})
        for text in script:
            started = time.perf_counter()
            response = await client.post(
                "/webhooks/saphan/webhook",
                json={"sender": sender, "message": text, "metadata": {"language": "en", "channel": "bench"}},
            )
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)


async def via_app(ws_url: str, script: list[str], latencies: list[float]) -> None:
    async with connect(ws_url, max_size=2**20) as socket:
        await socket.send(json.dumps({"type": "hello", "session": None, "language": None}))
        while json.loads(await socket.recv())["type"] != "bot":
            pass
        for number, text in enumerate(script):
            started = time.perf_counter()
            await socket.send(json.dumps({"type": "message", "id": f"m{number}", "text": text}))
            while True:
                frame = json.loads(await socket.recv())
                if frame["type"] == "ack":
                    break
                if frame["type"] == "error":
                    raise RuntimeError(frame["code"])
            latencies.append(time.perf_counter() - started)


async def play(path, target: str, concurrency: int, rounds: int) -> dict:
    """Run `rounds` batches of `concurrency` conversations; return throughput and percentiles."""
    conversations = scripts()
    latencies: list[float] = []
    started = time.perf_counter()
    for round_number in range(rounds):
        batch = [conversations[(round_number + i) % len(conversations)] for i in range(concurrency)]
        await asyncio.gather(*(path(target, script, latencies) for script in batch))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "messages": len(ordered),
        "throughput": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
    }


class PeakMemory(threading.Thread):
    """Samples the resident memory of each process (with its children) until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0)
        self.running = True

    def run(self) -> None:
        while self.running:
            for name, pid in self.pids.items():
                try:
                    process = psutil.Process(pid)
                    rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(True))
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], rss)
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 conversations, one round each")
    args = parser.parse_args()
    levels = (1, 10) if args.quick else (1, 10, 50)
    model = training.ensure_model(Settings(model_dir=ROOT / "models"))
    var_dir = Path(tempfile.mkdtemp(prefix="saphan-bench-"))
    settings = scratch_settings(var_dir)
    (var_dir / "log").mkdir()
    supervisor = processes.Supervisor(processes.children(settings, model, var_dir / "log"))
    supervisor.start()
    memory = PeakMemory({child.name: child.process.pid for child in supervisor.children})
    memory.start()
    ws_url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    try:
        asyncio.run(play(via_rasa, settings.resolved_bot_urls()[0], 7, 1))  # warm-up, not measured
        asyncio.run(play(via_app, ws_url, 7, 1))
        print(f"{'conv':>5} {'path':>6} {'msgs':>5} {'msg/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
        for concurrency in levels:
            rounds = 1 if args.quick else max(2, 40 // concurrency)
            results = {"rasa": [], "app": []}
            for _ in range(2):  # alternate, so drift on a shared machine hits both paths
                bot_url = settings.resolved_bot_urls()[0]
                results["rasa"].append(asyncio.run(play(via_rasa, bot_url, concurrency, rounds)))
                results["app"].append(asyncio.run(play(via_app, ws_url, concurrency, rounds)))
            merged = {}
            for path, runs in results.items():
                merged[path] = {k: statistics.mean(r[k] for r in runs) for k in runs[0]}
                m = merged[path]
                print(f"{concurrency:>5} {path:>6} {m['messages']:>5.0f} {m['throughput']:>7.1f} "
                      f"{m['p50']:>8.1f} {m['p95']:>8.1f}")  # fmt: skip
            p95_ratio = merged["app"]["p95"] / merged["rasa"]["p95"]
            throughput_ratio = merged["app"]["throughput"] / merged["rasa"]["throughput"]
            print(f"{concurrency:>5}  ratio app/rasa: p95 ×{p95_ratio:.3f}, throughput ×{throughput_ratio:.3f}")
    finally:
        memory.running = False
        memory.join()
        supervisor.stop()
    for name, peak in memory.peak.items():
        print(f"peak RSS {name}: {peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
