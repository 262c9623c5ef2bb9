"""Read Saphan's NLU examples (Rasa YAML) per language: training in `nlu/`, held-out in `tests/nlu/`."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.settings import ROOT

TRAINING_DIR = ROOT / "nlu"
HELD_OUT_DIR = ROOT / "tests" / "nlu"


def load_examples(root: Path, language: str) -> dict[str, list[str]]:
    """Every example under `root/language/*.yml`, grouped by intent."""
    found: dict[str, list[str]] = {}
    for path in sorted((root / language).glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            found.setdefault(block["intent"], []).extend(lines)
    return found
