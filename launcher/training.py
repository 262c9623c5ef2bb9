"""Train the bot's model, once per set of training inputs.

The model's file name carries a fingerprint of everything that shapes it (pipeline, domain,
training data, tokenizer code and the bot's pinned packages), so a model is stale exactly
when no file with the current fingerprint exists. Held-out test data is never an input.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from core.settings import LANGUAGES, ROOT, Settings
from launcher.envsetup import bot_python


def training_files() -> list[Path]:
    """Every file the model is trained from, in a stable order."""
    files = [ROOT / "bot" / "config.yml", ROOT / "requirements" / "bot.lock"]
    files += sorted((ROOT / "bot" / "domain").glob("*.yml"))
    files += sorted((ROOT / "nlu").glob("*.py"))
    for language in LANGUAGES:
        files += sorted((ROOT / "nlu" / language).glob("*.yml"))
    files += sorted((ROOT / "stories").glob("*.yml"))
    return files


def fingerprint() -> str:
    """A hash of every training input's path and content."""
    digest = hashlib.sha256()
    for path in training_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def model_path(settings: Settings) -> Path:
    """Where the model for the current training inputs lives."""
    return settings.model_dir / f"saphan-{fingerprint()}.tar.gz"


def process_environment(settings: Settings) -> dict[str, str]:
    """The environment Saphan's processes run with: the settings, and what Rasa needs."""
    return {
        **os.environ,
        **settings.as_environment(),
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "SAPHAN_ACTION_ENDPOINT_URL": settings.action_endpoint_url(),
        "SAPHAN_ACTION_TOKEN": settings.action_token.get_secret_value(),
        "SAPHAN_TRACKER_STORE_URL": settings.resolved_tracker_store_url(),
    }


def ensure_model(settings: Settings, force: bool = False) -> Path:
    """Return the current model, training it first if it does not exist (or `force`).

    Raises:
        RuntimeError: training failed; Rasa's output says why.
    """
    target = model_path(settings)
    if target.exists() and not force:
        return target
    data = [str(p) for p in training_files() if p.parent.name in LANGUAGES or p.parent.name == "stories"]
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.model_dir) as scratch:
        command = [
            str(bot_python()), "-m", "rasa", "train",
            "--config", str(ROOT / "bot" / "config.yml"),
            "--domain", str(ROOT / "bot" / "domain"),
            "--data", *data,
            "--out", scratch,
            "--fixed-model-name", target.name.removesuffix(".tar.gz"),
        ]  # fmt: skip
        print(f"saphan: training the model ({len(data)} files) …", flush=True)
        result = subprocess.run(command, cwd=ROOT, env=process_environment(settings))
        if result.returncode != 0:
            raise RuntimeError("rasa train failed; see its output above")
        shutil.move(str(Path(scratch) / target.name), target)
    for old in settings.model_dir.glob("saphan-*.tar.gz"):
        if old != target:
            old.unlink()
    return target
