"""The stack a benchmark measures: the real bot and app, LINE and Telegram on, pointed at a
local fake of their APIs. Shared by the benchmarks; not a benchmark itself."""

from __future__ import annotations

import tempfile
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
