"""The group a request for hotlines asks a line of its own for ("a hotline for women"), from
`data/line_groups.yml`.

Words are matched as country names are: diacritics folded away, Latin words as whole words,
Thai, Lao, Khmer and Burmese words anywhere. Nothing is stored; the answer only picks hotlines.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from core.directory import GROUPS
from core.settings import LANGUAGES, ROOT
from triage.cues import fold, phrase_pattern

LINE_GROUPS_FILE = ROOT / "data" / "line_groups.yml"


class GroupWords:
    """Finds the group a text asks a hotline for."""

    def __init__(self, words: dict[str, dict[str, list[str]]]) -> None:
        for group, by_language in words.items():
            if group not in GROUPS:
                raise ValueError(f"line_groups.yml: unknown group {group}")
            missing = set(LANGUAGES) - set(by_language)
            if missing:
                raise ValueError(f"line_groups.yml: {group} has no words in {', '.join(sorted(missing))}")
        self._patterns = {
            group: [phrase_pattern(word) for items in by_language.values() for word in items]
            for group, by_language in words.items()
        }

    @classmethod
    def load(cls, path: Path = LINE_GROUPS_FILE) -> "GroupWords":
        """Read the words file."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])

    def asked_for(self, text: str) -> str | None:
        """The one group `text` names, or None when it names none (or more than one)."""
        folded = fold(text)
        named = [group for group, patterns in self._patterns.items() if any(p.search(folded) for p in patterns)]
        return named[0] if len(named) == 1 else None
