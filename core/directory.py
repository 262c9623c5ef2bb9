"""The hotline directory (`data/hotlines.yml`): who a person can call, by country.

Every entry carries its source and a last-verified date and is validated on load. An entry
whose number the sources do not give is kept for admins to complete and never shown to a
person. Admins edit the file by hand or in the console; both go through the same validation,
and every process re-reads the file when it changes.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from core.messages import TextPart
from core.settings import ROOT

DIRECTORY_FILE = ROOT / "data" / "hotlines.yml"
# The countries Saphan's people live and work in; every one has a name in every locale.
COUNTRIES = ("TH", "LA", "VN", "KH", "MM", "ID", "MY", "CN")
# Where most people writing each language come from.
HOME_COUNTRY = {"th": "TH", "my": "MM", "km": "KH", "lo": "LA", "vi": "VN", "id": "ID"}
# Opening hours a hotline may have, and the locale key that says them.
HOURS = {"24h": "@hotline.hours_24h", "unknown": "@hotline.hours_unknown"}
TOPICS = (
    "trafficking",
    "labour",
    "children",
    "women",
    "gender_based_violence",
    "social_assistance",
    "police",
    "online_exploitation",
    "men_and_boys",
    "disabilities",
    "lgbtiq",
)
CHANNELS = ("phone", "line", "facebook", "wechat", "online")
# The groups DNH-39 says each country's referrals must cover, and the topics that cover each.
GROUPS = {
    "women": ("women", "gender_based_violence"),
    "children": ("children",),
    "men_and_boys": ("men_and_boys",),
    "disabilities": ("disabilities",),
    "lgbtiq": ("lgbtiq",),
}
_ID = re.compile(r"^[a-z]{2}-[a-z0-9-]{1,40}$")
_NUMBER = re.compile(r"^\+?[0-9][0-9 -]{1,18}[0-9]$")
_TEXT_MAX = 400


class InvalidDirectory(ValueError):
    """The directory breaks its schema; the message names the entry and the field."""


@dataclass(frozen=True)
class Hotline:
    """One hotline: its number, who runs it, what it handles, and where that fact comes from."""

    id: str
    country: str
    number: str | None
    name: str
    agency: str
    topics: tuple[str, ...]
    source: str
    verified: date
    primary: bool = False
    hours: str = "unknown"
    hours_source: str = ""
    channels: tuple[str, ...] = ("phone",)
    languages: tuple[str, ...] = ()
    note: str = ""

    def as_dict(self) -> dict:
        """This entry as the file writes it (empty optional fields left out)."""
        raw = asdict(self)
        raw["topics"], raw["channels"], raw["languages"] = list(self.topics), list(self.channels), list(self.languages)
        return {key: value for key, value in raw.items() if value not in ("", [], None) or key == "number"}


_REQUIRED = ("id", "country", "name", "agency", "topics", "source", "verified")
_KNOWN = set(Hotline.__dataclass_fields__)


def _text(raw: dict, name: str) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str) or len(value) > _TEXT_MAX:
        raise InvalidDirectory(f"hotline {raw.get('id', '?')}: {name} must be text of at most {_TEXT_MAX} characters")
    return value.strip()


def _choices(raw: dict, name: str, allowed: tuple[str, ...], default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = raw.get(name, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) and item in allowed for item in value):
        raise InvalidDirectory(f"hotline {raw.get('id', '?')}: {name} must be a list of {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def parse_entry(raw: object, today: date | None = None) -> Hotline:
    """One validated entry from its raw form (the file's, or the console's JSON).

    Raises:
        InvalidDirectory: naming the entry and the field that is wrong.
    """
    if not isinstance(raw, dict):
        raise InvalidDirectory("a hotline must be a mapping of fields")
    ident = raw.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise InvalidDirectory("hotline id must look like 'th-1300': country, dash, lower-case letters or digits")
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise InvalidDirectory(f"hotline {ident}: unknown field {', '.join(map(str, unknown))}")
    missing = [name for name in _REQUIRED if not raw.get(name)]
    if missing:
        raise InvalidDirectory(f"hotline {ident}: missing {', '.join(missing)}")
    verified = raw["verified"]
    if isinstance(verified, str):
        try:
            verified = date.fromisoformat(verified)
        except ValueError:
            verified = None
    if not isinstance(verified, date) or verified > (today or date.today()):
        raise InvalidDirectory(f"hotline {ident}: verified must be a date (YYYY-MM-DD), not in the future")
    number = raw.get("number")
    if number is not None and not (isinstance(number, (str, int)) and _NUMBER.match(str(number))):
        raise InvalidDirectory(f"hotline {ident}: number must be digits (spaces, dashes and a leading + allowed)")
    hotline = Hotline(
        id=ident,
        country=raw["country"] if raw["country"] in COUNTRIES else _fail(ident, "country", COUNTRIES),
        number=str(number) if number is not None else None,
        name=_text(raw, "name"),
        agency=_text(raw, "agency"),
        topics=_choices(raw, "topics", TOPICS),
        source=_text(raw, "source"),
        verified=verified,
        primary=raw.get("primary", False) is True,
        hours=raw.get("hours", "unknown") if raw.get("hours", "unknown") in HOURS else _fail(ident, "hours", HOURS),
        hours_source=_text(raw, "hours_source"),
        channels=_choices(raw, "channels", CHANNELS, ("phone",)),
        languages=_choices(raw, "languages", ("interpreters", *HOME_COUNTRY, "en")),
        note=_text(raw, "note"),
    )
    if not hotline.topics:
        raise InvalidDirectory(f"hotline {ident}: topics must name at least one of {', '.join(TOPICS)}")
    if hotline.primary and hotline.number is None:
        raise InvalidDirectory(f"hotline {ident}: a primary line needs a number")
    if hotline.hours == "24h" and not hotline.hours_source:
        raise InvalidDirectory(f"hotline {ident}: 24h needs hours_source, the line of the source that says so")
    if not hotline.id.startswith(hotline.country.lower() + "-"):
        raise InvalidDirectory(f"hotline {ident}: the id must start with the country code ({hotline.country.lower()}-)")
    return hotline


def _fail(ident: str, name: str, allowed) -> str:
    raise InvalidDirectory(f"hotline {ident}: {name} must be one of {', '.join(allowed)}")


def parse_directory(raw: object, today: date | None = None) -> list[Hotline]:
    """Every validated entry of a whole directory (`{"hotlines": [...]}`); ids must be unique.

    Raises:
        InvalidDirectory: an entry is invalid, or two share an id.
    """
    if not isinstance(raw, dict) or not isinstance(raw.get("hotlines"), list):
        raise InvalidDirectory("the directory must have a list 'hotlines'")
    hotlines = [parse_entry(item, today) for item in raw["hotlines"]]
    seen: set[str] = set()
    for line in hotlines:
        if line.id in seen:
            raise InvalidDirectory(f"hotline {line.id}: the id is used twice")
        seen.add(line.id)
    return hotlines


HEADER = """\
# Saphan's hotline directory. Every entry names its source (seed file and line in
# ../shared/seeds/) and the date it was last checked against that source. Edit it here or in
# the console (supervisor, admin); both are validated by core/directory.py.
# "verified" means checked against the source document, not yet confirmed with the agency.
# `number: null` means the sources name the line but not its number: it is never shown to a
# person until an admin adds a checked number. `hours` is 24h only where `hours_source` says so.
"""


@dataclass
class Directory:
    """All hotlines, looked up by country; re-read from its file when the file changes."""

    path: Path
    _hotlines: list[Hotline] = field(default_factory=list, repr=False)
    _stamp: tuple[int, int] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, path: Path = DIRECTORY_FILE) -> "Directory":
        """Read and validate the directory file.

        Raises:
            InvalidDirectory: an entry is incomplete or wrong.
        """
        directory = cls(path)
        directory.refresh()
        return directory

    def refresh(self) -> None:
        """Re-read the file if it changed since it was read (another process may have saved it)."""
        status = self.path.stat()
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp != self._stamp:
            self._hotlines = parse_directory(yaml.safe_load(self.path.read_text(encoding="utf-8")))
            self._stamp = stamp

    def save(self, hotlines: list[Hotline]) -> None:
        """Validate `hotlines` as a whole and write them to the file atomically."""
        raw = {"version": date.today(), "hotlines": [line.as_dict() for line in hotlines]}
        parse_directory(raw)
        text = HEADER + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
        handle, scratch = tempfile.mkstemp(dir=self.path.parent, prefix=".hotlines-", suffix=".yml")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(scratch, self.path)
        self._stamp = None
        self.refresh()

    @property
    def hotlines(self) -> list[Hotline]:
        """Every entry, as the file holds it now."""
        self.refresh()
        return self._hotlines

    def by_id(self, hotline_id: str) -> Hotline:
        """The hotline `hotline_id`.

        Raises:
            KeyError: no hotline has this id.
        """
        for line in self.hotlines:
            if line.id == hotline_id:
                return line
        raise KeyError(hotline_id)

    def callable(self) -> list[Hotline]:
        """The lines a person can be given: those with a number."""
        return [line for line in self.hotlines if line.number is not None]

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
            lines = [h for h in self.callable() if h.country == candidate and "children" in h.topics]
            if candidate and lines:
                return lines
        return []

    def for_group(self, group: str, country: str | None) -> list[Hotline]:
        """The numbered lines of `country` (of every country when it is unknown) that handle one
        of GROUPS' topics for `group`, primary lines first."""
        topics = set(GROUPS[group])
        lines = [h for h in self.callable() if topics & set(h.topics) and (country is None or h.country == country)]
        return sorted(lines, key=lambda line: not line.primary)

    def primary(self, country: str | None = None) -> list[Hotline]:
        """The primary line of `country`, or of every country when it is unknown."""
        return [h for h in self.callable() if h.primary and (country is None or h.country == country)]

    def stale(self, max_age_days: int, today: date | None = None) -> list[Hotline]:
        """The entries last verified more than `max_age_days` ago, for admins to check (DNH-39)."""
        cutoff = (today or date.today()) - timedelta(days=max_age_days)
        return [line for line in self.hotlines if line.verified < cutoff]

    def gaps(self) -> dict[str, list[str]]:
        """Per country, the groups of DNH-39 no numbered line covers yet (for admins to fill)."""
        lines = self.callable()
        return {
            country: [
                group
                for group, topics in GROUPS.items()
                if not any(line.country == country and set(topics) & set(line.topics) for line in lines)
            ]
            for country in COUNTRIES
        }


def hotline_parts(directory: Directory, country: str | None = None) -> tuple[TextPart, ...]:
    """The texts that list the primary hotlines for `country` (all countries when unknown)."""
    return (TextPart("hotline.intro"),) + line_parts(directory.primary(country) or directory.primary())


def line_parts(lines: list[Hotline]) -> tuple[TextPart, ...]:
    """One text per line: its country, number, name and hours."""
    return tuple(
        TextPart.of(
            "hotline.line",
            country=f"@country.{line.country}",
            number=line.number or "",
            name=line.name,
            hours=HOURS[line.hours],
        )
        for line in lines
    )
