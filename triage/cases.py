"""Triage of whole written cases, as `./saphan triage` and `./saphan eval triage` read them.

A case is one JSON object: `{"id", "lang", "country", "messages": [...]}`. Each message is
normalised as the app normalises what people write, classified by the running bot, searched
for cues, and the turns go through the same engine as the live conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Awaitable, Callable

from core.botclient import Parsed
from core.directory import Directory
from core.language import normalise
from core.settings import LANGUAGES
from triage.catalogue import Catalogue
from triage.cues import LanguageCues
from triage.engine import Assessment, Turn, assess, read_turn

MAX_MESSAGES = 50
MAX_MESSAGE_CHARS = 4000

Classify = Callable[[str], Awaitable[Parsed]]


class CaseError(ValueError):
    """A case that cannot be triaged; `case_id` is its id when it had one."""

    def __init__(self, case_id: str | None, message: str) -> None:
        super().__init__(message)
        self.case_id = case_id


@dataclass(frozen=True)
class Case:
    """One case to triage."""

    id: str
    language: str
    country: str | None
    messages: tuple[str, ...]


def parse_case(line: str) -> Case:
    """Read one JSON line into a case.

    Raises:
        CaseError: the line is not JSON, or a field is missing, of the wrong type or unknown.
    """
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as error:
        raise CaseError(None, f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(raw, dict):
        raise CaseError(None, "a case must be a JSON object")
    case_id = raw.get("id")
    if not isinstance(case_id, (str, int)) or isinstance(case_id, bool) or str(case_id) == "":
        raise CaseError(None, "missing 'id' (a string)")
    case_id = str(case_id)
    language = raw.get("lang")
    if language not in LANGUAGES:
        raise CaseError(case_id, f"'lang' must be one of {', '.join(LANGUAGES)}")
    country = raw.get("country")
    if country is not None and not (isinstance(country, str) and len(country) == 2 and country.isalpha()):
        raise CaseError(case_id, "'country' must be a two-letter country code")
    messages = raw.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, str) for m in messages):
        raise CaseError(case_id, "'messages' must be a non-empty list of strings")
    if len(messages) > MAX_MESSAGES:
        raise CaseError(case_id, f"at most {MAX_MESSAGES} messages per case")
    if any(len(m) > MAX_MESSAGE_CHARS for m in messages):
        raise CaseError(case_id, f"a message is longer than {MAX_MESSAGE_CHARS} characters")
    return Case(case_id, language, country.upper() if country else None, tuple(messages))


class Triager:
    """Triages cases with the running bot's classifier, the cues and the catalogue."""

    def __init__(
        self, classify: Classify, catalogue: Catalogue, cues: dict[str, LanguageCues], directory: Directory
    ) -> None:
        self._classify = classify
        self._catalogue = catalogue
        self._cues = cues
        self._directory = directory

    async def turn(self, text: str, language: str) -> Turn:
        """One message, normalised, classified and searched for cues."""
        clean = normalise(text)
        return read_turn(clean, (await self._classify(clean)).ranking, self._cues[language])

    async def assess(self, case: Case) -> Assessment:
        """The triage of a whole case."""
        turns = [await self.turn(text, case.language) for text in case.messages]
        return assess(turns, self._catalogue.for_country(case.country))

    async def result(self, case: Case) -> dict:
        """The output line of `./saphan triage` for one case."""
        assessment = await self.assess(case)
        hotlines = self._directory.recommended(case.country, case.language)
        return {
            "id": case.id,
            **assessment.as_dict(),
            "hotlines": [{"name": h.name, "number": h.number, "country": h.country} for h in hotlines],
        }


def error_line(case_id: str | None, message: str) -> dict:
    """The output line for a case that could not be triaged."""
    return {"id": case_id, "error": message}
