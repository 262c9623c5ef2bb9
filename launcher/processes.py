"""Start, watch and stop Saphan's processes: the bot (Rasa) and the app (uvicorn), one of each
or, in the production profile, several of each.

A child that dies is reported and restarted with back-off; one that keeps dying within a minute
stops the whole stack with an error. Ctrl-C or SIGTERM stops both children cleanly.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core.records.db import with_postgresql_driver
from core.settings import ROOT, Settings
from launcher.envsetup import app_python, bot_python
from launcher.training import process_environment

RESTARTS_PER_MINUTE = 5
# Rasa's lock of a conversation runs out after this if the bot process holding it died; it must
# outlast the longest turn (the app's bot timeout is 30 s).
LOCK_LIFETIME_SECONDS = 35


@dataclass
class Child:
    """One supervised process: how to start it and how to tell that it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log: Path | None = None
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        """Start the process in its own session, so Ctrl-C reaches only the launcher."""
        output = open(self.log, "ab") if self.log else None  # noqa: SIM115 (kept open for the child)
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=output, stderr=output, start_new_session=True
        )

    def log_tail(self, lines: int = 15) -> str:
        """The end of the child's log file, to explain a failure (empty without a log file)."""
        if not self.log or not self.log.exists():
            return ""
        return "; its log ends:\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def ready(self) -> bool:
        """True when the ready URL answers 200."""
        try:
            with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self, grace: float = 10.0) -> None:
        """Ask the process to stop; kill it if it has not stopped after `grace` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def children(settings: Settings, model: Path, log_dir: Path | None = None, bots: int = 1, apps: int = 1) -> list[Child]:
    """The bot and app processes, configured from `settings`: `bots` bot processes on the ports
    from `bot_port` up and `apps` app processes on the ports from `app_port` up. Several bot
    processes need Redis (`redis_url`) for Rasa's lock store; the app processes balance over the
    bot processes, and bot process i calls the actions of app process i modulo `apps`."""
    if bots > 1 and not settings.redis_url:
        raise ValueError("several bot processes need Redis (SAPHAN_REDIS_URL) for their lock store")
    bot_ports = [settings.bot_port + i for i in range(bots)]
    app_settings = [
        settings.model_copy(
            update={
                "app_port": settings.app_port + i,
                "instance": f"app-{i + 1}" if apps > 1 else settings.instance,
                "bot_urls": settings.bot_urls or [f"http://127.0.0.1:{port}" for port in bot_ports],
            }
        )
        for i in range(apps)
    ]
    numbered = bots > 1 or apps > 1
    bot_children = [
        _bot(app_settings[i % apps], model, port, log_dir, f"bot-{i + 1}" if numbered else "bot")
        for i, port in enumerate(bot_ports)
    ]
    app_children = [_app(one, log_dir, f"app-{i + 1}" if numbered else "app") for i, one in enumerate(app_settings)]
    return bot_children + app_children


def _bot(settings: Settings, model: Path, port: int, log_dir: Path | None, name: str) -> Child:
    token = settings.bot_api_token.get_secret_value()
    endpoints = "endpoints.production.yml" if settings.redis_url else "endpoints.yml"
    return Child(
        name=name,
        argv=[
            str(bot_python()),
            "-m",
            "bot.serve",
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(ROOT / "bot" / endpoints),
            "--credentials",
            str(ROOT / "bot" / "credentials.yml"),
            "--enable-api",
            f"--auth-token={token}",  # "=": a token may start with "-"
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--quiet",
        ],  # fmt: skip
        env=bot_environment(settings),
        ready_url=f"http://127.0.0.1:{port}/status?token={token}",
        log=log_dir / f"{name}.log" if log_dir else None,
    )


def _app(settings: Settings, log_dir: Path | None, name: str) -> Child:
    return Child(
        name=name,
        argv=[
            str(app_python()),
            "-m",
            "uvicorn",
            "webapp.factory:app_from_environment",
            "--factory",
            "--host",
            settings.app_host,
            "--port",
            str(settings.app_port),
            "--no-access-log",
            "--ws-max-size",
            "1048576",
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "5",  # open console event streams must not hold a stop
        ],  # fmt: skip
        env=process_environment(settings),
        ready_url=f"http://127.0.0.1:{settings.app_port}/healthz",
        log=log_dir / f"{name}.log" if log_dir else None,
    )


def bot_environment(settings: Settings) -> dict[str, str]:
    """The bot's environment, with the tracker store's URL as Rasa opens it (SQLite as it is,
    PostgreSQL through psycopg2, the driver Rasa's SQLAlchemy 1.4 has) and, with Redis, the parts
    of its URL that Rasa's lock store takes (and a lock lifetime short enough that a conversation
    whose bot process died waits seconds, not a minute)."""
    tracker_store_url = with_postgresql_driver(settings.resolved_tracker_store_url(), "psycopg2")
    environment = {**process_environment(settings), "SAPHAN_TRACKER_STORE_URL": tracker_store_url}
    if settings.redis_url:
        redis = urlsplit(settings.redis_url)
        environment |= {
            "SAPHAN_REDIS_HOST": redis.hostname or "127.0.0.1",
            "SAPHAN_REDIS_PORT": str(redis.port or 6379),
            "SAPHAN_REDIS_DB": redis.path.strip("/") or "0",
            "SAPHAN_REDIS_PASSWORD": unquote(redis.password or ""),
            "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_SECONDS),
        }
    return environment


class Supervisor:
    """Runs a set of children together."""

    def __init__(self, children: list[Child], say=print) -> None:
        self.children = children
        self.say = say
        self.stop_requested = False

    def catch_signals(self) -> None:
        """Turn Ctrl-C and SIGTERM into a clean stop, also when SIGINT was inherited as ignored
        (a launcher started in the background by a script). Call before `start`."""

        def request_stop(*_) -> None:
            self.stop_requested = True

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, request_stop)

    def start(self, timeout: float = 300.0) -> None:
        """Start every child and wait until all are ready.

        Raises:
            RuntimeError: a child died or was not ready in time.
        """
        for child in self.children:
            child.start()
        deadline = time.monotonic() + timeout
        waiting = list(self.children)
        while waiting:
            for child in list(waiting):
                if child.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(
                        f"the {child.name} stopped while starting (exit {child.process.returncode})" + child.log_tail()
                    )
                if child.ready():
                    waiting.remove(child)
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(c.name for c in waiting)}")
            time.sleep(0.5)

    def watch(self) -> int:
        """Restart children that die until a stop is requested (see `catch_signals`); return the
        exit code."""
        while not self.stop_requested:
            if not self.check_once():
                self.stop()
                return 1
            time.sleep(0.5)
        self.say("saphan: stopping …")
        self.stop()
        return 0

    def check_once(self) -> bool:
        """Restart any child that has died; False once one keeps dying and is given up."""
        return all(child.process.poll() is None or self._restart(child) for child in self.children)

    def _restart(self, child: Child) -> bool:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < 60] + [now]
        code = child.process.returncode
        if len(child.restarts) > RESTARTS_PER_MINUTE:
            self.say(f"saphan: the {child.name} keeps stopping (exit {code}); giving up", file=sys.stderr)
            return False
        self.say(f"saphan: the {child.name} stopped unexpectedly (exit {code}); restarting it", file=sys.stderr)
        time.sleep(min(2 ** (len(child.restarts) - 1), 30))
        child.start()
        return True

    def stop(self) -> None:
        """Stop every child, the app first."""
        for child in reversed(self.children):
            child.stop()
