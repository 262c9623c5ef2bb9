"""Safe-migration information (`data/information.yml`): what Saphan says to each question.

For each question a person can ask (an information intent) the file lists statements in order:
a locale key, the source of its facts and the date they were last checked, and optionally the
languages whose speakers it is for (a statement about the way from their country). The file is
validated on load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from core.messages import TextPart
from core.settings import LANGUAGES, ROOT

INFORMATION_FILE = ROOT / "data" / "information.yml"
_FIELDS = {"key", "source", "verified", "languages"}


class InvalidInformation(ValueError):
    """The information file breaks its schema; the message names the topic and statement."""


@dataclass(frozen=True)
class Statement:
    """One thing Saphan says: its text's locale key, the source of its facts, when they were
    last checked, and the languages of the people it is for (empty: everyone)."""

    key: str
    source: str
    verified: date
    languages: tuple[str, ...] = ()

    def is_for(self, language: str) -> bool:
        """True when a person writing in `language` is told this."""
        return not self.languages or language in self.languages


class Information:
    """The statements for each information intent."""

    def __init__(self, topics: dict[str, tuple[Statement, ...]]) -> None:
        self.topics = topics

    @classmethod
    def load(cls, path: Path = INFORMATION_FILE) -> "Information":
        """Read and validate the information file.

        Raises:
            InvalidInformation: a topic or statement is incomplete or malformed.
        """
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        topics = raw.get("topics") if isinstance(raw, dict) else None
        if not isinstance(topics, dict) or not topics:
            raise InvalidInformation("the file holds a mapping under `topics:`")
        return cls({str(topic): _statements(topic, items) for topic, items in topics.items()})

    def statements(self) -> list[Statement]:
        """Every statement of every topic."""
        return [statement for statements in self.topics.values() for statement in statements]

    def parts(self, topic: str, language: str) -> tuple[TextPart, ...]:
        """What to say to a person writing in `language` who asks about `topic` (none if unknown)."""
        return tuple(TextPart(s.key) for s in self.topics.get(topic, ()) if s.is_for(language))


def _statements(topic: str, items) -> tuple[Statement, ...]:
    if not isinstance(items, list) or not items:
        raise InvalidInformation(f"topic {topic}: a list of statements is needed")
    return tuple(_statement(topic, n, item) for n, item in enumerate(items, 1))


def _statement(topic: str, number: int, item) -> Statement:
    where = f"topic {topic}, statement {number}"
    if not isinstance(item, dict):
        raise InvalidInformation(f"{where}: a mapping with key, source and verified is needed")
    unknown = set(item) - _FIELDS
    if unknown:
        raise InvalidInformation(f"{where}: unknown field {sorted(unknown)[0]!r}")
    key, source, verified = item.get("key"), item.get("source"), item.get("verified")
    if not isinstance(key, str) or not key.startswith("info."):
        raise InvalidInformation(f"{where}: key must be a locale key under info.")
    if not isinstance(source, str) or not source.strip():
        raise InvalidInformation(f"{where} ({key}): every statement names its source")
    if not isinstance(verified, date):
        raise InvalidInformation(f"{where} ({key}): verified must be a date (YYYY-MM-DD)")
    languages = item.get("languages", [])
    if not isinstance(languages, list) or not set(languages) <= set(LANGUAGES):
        raise InvalidInformation(f"{where} ({key}): languages is a list of {', '.join(LANGUAGES)}")
    return Statement(key, source.strip(), verified, tuple(languages))
