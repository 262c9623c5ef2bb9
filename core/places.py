"""The country a message names ("the hotline number in Thailand"), from `data/countries.yml`.

Names are matched as the triage cues are: diacritics folded away, Latin names as whole words,
Thai, Lao, Khmer and Burmese names anywhere. Nothing is stored; the answer only picks hotlines.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from core.directory import COUNTRIES, HOME_COUNTRY
from core.settings import ROOT
from triage.cues import fold, phrase_pattern

COUNTRIES_FILE = ROOT / "data" / "countries.yml"


class CountryNames:
    """Finds the countries a text names."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        unknown = set(names) - set(COUNTRIES)
        if unknown:
            raise ValueError(f"countries.yml: unknown country {', '.join(sorted(unknown))}")
        self._patterns = {country: [phrase_pattern(name) for name in items] for country, items in names.items()}

    @classmethod
    def load(cls, path: Path = COUNTRIES_FILE) -> "CountryNames":
        """Read the names file."""
        return cls(yaml.safe_load(path.read_text(encoding="utf-8"))["countries"])

    def named(self, text: str) -> list[str]:
        """Every country `text` names, in the order of `data/countries.yml`."""
        folded = fold(text)
        return [c for c, patterns in self._patterns.items() if any(p.search(folded) for p in patterns)]

    def asked_about(self, text: str, language: str) -> str | None:
        """The one country a message asks about: the only one it names, or, when it names two,
        the one that is not the home country of its language (a worker names where they work)."""
        named = self.named(text)
        if len(named) == 2 and HOME_COUNTRY.get(language) in named:
            named.remove(HOME_COUNTRY[language])
        return named[0] if len(named) == 1 else None
