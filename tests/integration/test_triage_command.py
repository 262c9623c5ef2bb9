"""`./saphan triage` as a person runs it: JSON Lines on stdin, results on stdout, exit code."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from core.settings import ROOT
from launcher.scratch import free_port

pytestmark = pytest.mark.integration


def test_the_triage_command_reads_stdin_and_reports_bad_lines(model, tmp_path):
    lines = [
        json.dumps(
            {"id": "ok", "lang": "th", "country": "TH", "messages": ["สวัสดีค่ะ", "ช่วยด้วย เขาจะฆ่าหนู"]}, ensure_ascii=False
        ),
        json.dumps({"id": "no-messages", "lang": "th"}),
    ]
    env = {**os.environ, "SAPHAN_VAR_DIR": str(tmp_path), "SAPHAN_BOT_PORT": str(free_port())}
    done = subprocess.run(
        [sys.executable, str(ROOT / "saphan"), "triage"], input="\n".join(lines), env=env,
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert (first["id"], first["risk"], first["urgent"]) == ("ok", "urgent", True)
    assert second == {"id": "no-messages", "error": "'messages' must be a non-empty list of strings"}
    assert "line 2" in done.stderr


def test_the_triage_command_stops_its_bot_when_it_is_terminated(model, tmp_path):
    port = free_port()
    env = {**os.environ, "SAPHAN_VAR_DIR": str(tmp_path), "SAPHAN_BOT_PORT": str(port)}
    launcher = subprocess.Popen(
        [sys.executable, str(ROOT / "saphan"), "triage"], stdin=subprocess.PIPE, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not _listening(port):
        assert time.monotonic() < deadline and launcher.poll() is None, "the bot never started"
        time.sleep(0.5)
    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=60) != 0
    assert not _listening(port), "the bot outlived the launcher"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_file_that_cannot_be_read_is_named_without_a_traceback(tmp_path):
    env = {**os.environ, "SAPHAN_VAR_DIR": str(tmp_path)}
    missing = tmp_path / "no-such-cases.jsonl"
    done = subprocess.run([sys.executable, str(ROOT / "saphan"), "triage", str(missing)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert f"saphan: cannot read {missing}: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr
