"""The stack a benchmark measures (the real bot and app, LINE and Telegram on, pointed at a
local fake of their APIs) and the LINE events it is sent. Shared by the benchmarks; not one itself."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from core.settings import ROOT, Settings
from fakeplatform import FakePlatform, line_and_telegram
from launcher import processes, production, training
from launcher.scratch import channel_settings, free_ports, scratch_settings

PROFILES = ("embedded", "production")
# Redis for the production profile's benchmarks: this machine's, a database of its own.
BENCH_REDIS = "redis://127.0.0.1:6379/8"


@contextmanager
def running_stack(
    *, profile: str = "embedded", bots: int = 1, apps: int = 1
) -> Iterator[tuple[Settings, FakePlatform]]:
    """Start the stack on fresh ports and a fresh `var/`; yield its settings and the fake platform.

    Args:
        profile: "embedded" (SQLite, no Redis: what `./saphan run` starts) or "production"
            (fresh PostgreSQL databases on this machine's server, Redis on this machine).
        bots: how many bot processes (several need the production profile's Redis).
        apps: how many app processes; app process i listens on `settings.app_port + i`.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {', '.join(PROFILES)}")
    model = training.ensure_model(Settings(model_dir=ROOT / "models"))
    with line_and_telegram() as platform, ExitStack() as cleanup:
        var_dir = Path(tempfile.mkdtemp(prefix="saphan-bench-"))
        ports = free_ports(apps + bots)
        overrides = dict(app_port=ports, bot_port=ports + apps, **channel_settings(platform.url))
        if profile == "production":
            overrides |= dict(
                database_url=cleanup.enter_context(_fresh_postgresql_database()),
                tracker_store_url=cleanup.enter_context(_fresh_postgresql_database()),
                redis_url=BENCH_REDIS,
            )
        settings = scratch_settings(var_dir, **overrides)
        (var_dir / "log").mkdir()
        supervisor = processes.Supervisor(processes.children(settings, model, var_dir / "log", bots=bots, apps=apps))
        supervisor.start()
        try:
            yield settings, platform
        finally:
            supervisor.stop()


@contextmanager
def _fresh_postgresql_database() -> Iterator[str]:
    """A new database on this machine's PostgreSQL server, dropped afterwards."""
    url = f"{production.LOCAL_POSTGRESQL}/saphan_bench_{uuid.uuid4().hex[:12]}"
    production.ensure_postgresql_database(url)
    try:
        yield url
    finally:
        server = create_engine(f"{production.LOCAL_POSTGRESQL}/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        server.dispose()


def line_text_event(user: str, text: str, reply_token: str) -> bytes:
    """A LINE webhook body with one text message from `user` (sign it before posting)."""
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": "q", "text": text},
    }  # fmt: skip
    return json.dumps({"destination": "Ubench", "events": [event]}).encode()
