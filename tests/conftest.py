"""Shared fixtures: settings in a temporary `var/`, and the real bot and app processes.

The model is trained once per set of training inputs and cached under `models/` by its
fingerprint (see `launcher/training.py`), so a second test run does not train again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import ROOT, Settings
from fakeplatform import FakePlatform, line_and_telegram
from launcher import processes, training
from launcher.scratch import channel_settings, scratch_settings


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where tests leave screenshots and reports for a person to look at."""
    path = Path(os.environ.get("SAPHAN_TEST_OUTPUT", ROOT / "var" / "test-output"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def model() -> Path:
    """The bot's model for the current training data (trained at most once)."""
    return training.ensure_model(Settings(model_dir=ROOT / "models"))


@pytest.fixture(scope="session")
def platform_api():
    """The local fake of LINE's and Telegram's APIs that the live app sends to."""
    with line_and_telegram() as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(model: Path, platform_api: FakePlatform, tmp_path_factory: pytest.TempPathFactory):
    """The real bot and app processes, ready, with every channel on; yields their settings
    and log directory."""
    var_dir = tmp_path_factory.mktemp("var")
    settings = scratch_settings(var_dir, **channel_settings(platform_api.url))
    log_dir = var_dir / "log"
    log_dir.mkdir()
    supervisor = processes.Supervisor(processes.children(settings, model, log_dir))
    supervisor.start()
    try:
        yield settings, log_dir
    finally:
        supervisor.stop()
