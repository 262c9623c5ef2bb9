"""The hotline directory (`data/hotlines.yml`): who a person can call, by country.

Every entry carries its source and a last-verified date; the file is validated on load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from core.messages import TextPart
from core.settings import ROOT

DIRECTORY_FILE = ROOT / "data" / "hotlines.yml"
# Where most people writing each language come from: their hotlines are the next best answer
# when the person's own country has none in the directory.
# Opening hours a hotline may have, and the locale key that says them.
HOURS = {"24h": "@hotline.hours_24h", "unknown": "@hotline.hours_unknown"}
HOME_COUNTRY = {"th": "TH", "my": "MM", "km": "KH", "lo": "LA", "vi": "VN", "id": "ID"}


class InvalidDirectory(ValueError):
    """The directory file breaks its schema; the message names the entry and field."""


@dataclass(frozen=True)
class Hotline:
    """One hotline: its number, who runs it, what it handles, and where that fact comes from."""

    id: str
    country: str
    number: str
    name: str
    topics: tuple[str, ...]
    primary: bool
    source: str
    verified: date
    hours: str = "unknown"


_REQUIRED = ("id", "country", "number", "name", "topics", "source", "verified")


def _entry(raw: dict) -> Hotline:
    missing = [field for field in _REQUIRED if not raw.get(field)]
    if missing:
        raise InvalidDirectory(f"hotline {raw.get('id', '?')}: missing {', '.join(missing)}")
    if raw.get("hours", "unknown") not in HOURS:
        raise InvalidDirectory(f"hotline {raw['id']}: hours must be one of {', '.join(HOURS)}")
    if not isinstance(raw["verified"], date):
        raise InvalidDirectory(f"hotline {raw['id']}: verified must be a date (YYYY-MM-DD)")
    return Hotline(
        id=raw["id"],
        country=raw["country"],
        number=str(raw["number"]),
        name=raw["name"],
        topics=tuple(raw["topics"]),
        primary=bool(raw.get("primary", False)),
        source=raw["source"],
        verified=raw["verified"],
        hours=raw.get("hours", "unknown"),
    )


class Directory:
    """All hotlines, looked up by country."""

    def __init__(self, hotlines: list[Hotline]) -> None:
        self.hotlines = hotlines

    @classmethod
    def load(cls, path: Path = DIRECTORY_FILE) -> "Directory":
        """Read and validate the directory file.

        Raises:
            InvalidDirectory: an entry is incomplete.
        """
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls([_entry(item) for item in raw["hotlines"]])

    def by_id(self, hotline_id: str) -> Hotline:
        """The hotline `hotline_id`.

        Raises:
            KeyError: no hotline has this id.
        """
        for line in self.hotlines:
            if line.id == hotline_id:
                return line
        raise KeyError(hotline_id)

    def recommended(self, country: str | None, language: str | None = None) -> list[Hotline]:
        """The lines to give a person: their country's, else their language's home country's,
        else every country's primary line, so that there is always a number to call."""
        for candidate in (country, HOME_COUNTRY.get(language or "")):
            lines = self.primary(candidate) if candidate else []
            if lines:
                return lines
        return self.primary()

    def child_lines(self, country: str | None, language: str | None = None) -> list[Hotline]:
        """The lines for children of the person's country, else of their language's home country;
        none when neither has one (another country's child line cannot help them)."""
        for candidate in (country, HOME_COUNTRY.get(language or "")):
            lines = [h for h in self.hotlines if h.country == candidate and "children" in h.topics]
            if candidate and lines:
                return lines
        return []

    def primary(self, country: str | None = None) -> list[Hotline]:
        """The primary line of `country`, or of every country when it is unknown."""
        return [h for h in self.hotlines if h.primary and (country is None or h.country == country)]


def hotline_parts(directory: Directory, country: str | None = None) -> tuple[TextPart, ...]:
    """The texts that list the primary hotlines for `country` (all countries when unknown)."""
    lines = directory.primary(country) or directory.primary()
    return (TextPart("hotline.intro"),) + tuple(
        TextPart.of(
            "hotline.line",
            country=f"@country.{line.country}",
            number=line.number,
            name=line.name,
            hours=HOURS[line.hours],
        )
        for line in lines
    )
