"""The supervisor restarts a child that dies and says so (launcher/processes.py)."""

import os
import signal
import sys
import time

from launcher import processes
from launcher.processes import Child, Supervisor
from launcher.scratch import free_port, scratch_settings


def web_server_child(tmp_path) -> Child:
    port = free_port()
    return Child(
        name="web",
        argv=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        env=dict(os.environ),
        ready_url=f"http://127.0.0.1:{port}/",
    )


def test_a_dead_child_is_reported_and_restarted(tmp_path):
    said = []
    child = web_server_child(tmp_path)
    supervisor = Supervisor([child], say=lambda text, **_: said.append(text))
    supervisor.start(timeout=30)
    try:
        first = child.process.pid
        os.kill(first, signal.SIGKILL)
        child.process.wait()
        assert supervisor.check_once()
        assert child.process.pid != first
        assert any("web stopped unexpectedly" in line for line in said)
        deadline = time.monotonic() + 20
        while not child.ready():
            assert time.monotonic() < deadline, "restarted child never became ready"
            time.sleep(0.2)
    finally:
        supervisor.stop()
    assert child.process.poll() is not None


def test_a_child_that_keeps_dying_is_given_up(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda _: None)
    child = Child(name="broken", argv=[sys.executable, "-c", "raise SystemExit(3)"], env=dict(os.environ), ready_url="")
    supervisor = Supervisor([child], say=lambda *_, **__: None)
    child.start()
    results = []
    for _ in range(8):
        child.process.wait()
        results.append(supervisor.check_once())
    assert results[-1] is False and results[0] is True


def test_sigint_stops_the_stack_even_when_started_with_sigint_ignored(tmp_path):
    """A launcher started in the background by a script inherits SIGINT as ignored."""
    import subprocess

    port = free_port()
    script = f"""
import sys
from launcher.processes import Child, Supervisor
child = Child("web", [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"], {{}},
              "http://127.0.0.1:{port}/")
supervisor = Supervisor([child])
supervisor.catch_signals()
supervisor.start(timeout=30)
print(child.process.pid, flush=True)
sys.exit(supervisor.watch())
"""
    launcher = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=str(tmp_path),
        env={**os.environ, "PYTHONPATH": os.getcwd()}, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    child_pid = int(launcher.stdout.readline())
    launcher.send_signal(signal.SIGINT)
    assert launcher.wait(timeout=20) == 0
    try:
        os.kill(child_pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the child must be stopped with the launcher"


def test_a_bot_token_starting_with_a_dash_is_passed_as_a_value(tmp_path):
    """argparse would read a separate "-…" argument as an option and the bot would not start."""
    settings = scratch_settings(tmp_path, bot_api_token="-starts-with-a-dash")
    bot, _ = processes.children(settings, tmp_path / "model.tar.gz")
    assert "--auth-token=-starts-with-a-dash" in bot.argv and "-starts-with-a-dash" not in bot.argv
