"""The stack a benchmark measures (the real bot and app, LINE and Telegram on, pointed at a
local fake of their APIs) and the LINE events it is sent. Shared by the benchmarks; not one itself."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.settings import Settings
from launcher import processes, training
from tests.conftest import channel_settings, make_settings
from tests.fakes import line_api, telegram_api
from tests.fakes.platform import FakePlatform


@contextmanager
def running_stack() -> Iterator[tuple[Settings, FakePlatform]]:
    """Start the stack on fresh ports and a fresh `var/`; yield its settings and the fake platform."""
    model = training.ensure_model(make_settings(Path(tempfile.mkdtemp())))
    with FakePlatform() as platform:
        line_api.install(platform)
        telegram_api.install(platform)
        var_dir = Path(tempfile.mkdtemp(prefix="saphan-bench-"))
        settings = make_settings(var_dir, **channel_settings(platform.url))
        (var_dir / "log").mkdir()
        supervisor = processes.Supervisor(processes.children(settings, model, var_dir / "log"))
        supervisor.start()
        try:
            yield settings, platform
        finally:
            supervisor.stop()


def line_text_event(user: str, text: str, reply_token: str) -> bytes:
    """A LINE webhook body with one text message from `user` (sign it before posting)."""
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": "q", "text": text},
    }  # fmt: skip
    return json.dumps({"destination": "Ubench", "events": [event]}).encode()
