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

from core.settings import ROOT, Settings
from fakeplatform import FakePlatform, line_and_telegram
from launcher import processes, training
from launcher.scratch import channel_settings, scratch_settings


@contextmanager
def running_stack() -> Iterator[tuple[Settings, FakePlatform]]:
    """Start the stack on fresh ports and a fresh `var/`; yield its settings and the fake platform."""
    model = training.ensure_model(Settings(model_dir=ROOT / "models"))
    with line_and_telegram() as platform:
        var_dir = Path(tempfile.mkdtemp(prefix="saphan-bench-"))
        settings = scratch_settings(var_dir, **channel_settings(platform.url))
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
