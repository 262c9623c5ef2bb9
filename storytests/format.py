"""The story format: a trainer's scripted conversation, read from YAML with its line numbers.

A story file (`stories/tests/<language>/*.yml`) holds a list under `stories:`; each story has a
name, optionally a language (the folder's name by default), optionally a channel (`webchat` by
default; `line` or `telegram` to post the person's steps as signed webhook events, as those
platforms send them) and its steps, in order:

    stories:
      - story: a worker asks about a job offer
        steps:
          - user: "ជួយខ្ញុំផង"               # the person writes ...
            intent: ask_human                   # (optional) ... and the bot must read it so
          - button: ភាសាខ្មែរ                  # the person presses a quick reply (label or payload)
          - location: [11.56, 104.92]           # the person shares a location (latitude, longitude)
          - response: handoff.connecting        # the assistant says this text (a locale key)
          - text: "1300"                        # an answer contains this fragment
          - offers: "Yes"                       # a quick reply is offered (label or payload)
          - language: km                        # every answer of the turn is in this language
          - triage: {risk: high, families: [restriction_of_movement]}
          - consent_asked: handover             # the question of this consent kind is asked
          - handoff: opened                     # opened, urgent or none, or {urgent: true, team: …}
          - kept: {case: false, location: false}

A person's step (`user`, `button`, `location`) starts a turn; the expectations after it are
checked against that turn's answers (before the first one: against the greeting). Responses
of one turn are expected in the order written. Errors name the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.settings import LANGUAGES

PERSON_STEPS = ("user", "button", "location")
EXPECTATIONS = ("intent", "response", "text", "offers", "language", "triage", "consent_asked", "handoff", "kept")
TRIAGE_KEYS = {"risk": str, "urgent": bool, "child": bool, "families": list}
HANDOFF_STATES = ("opened", "urgent", "none")
HANDOFF_KEYS = {"urgent": bool, "child": bool, "team": str, "reason": str}
KEPT_KEYS = ("transcript", "case", "location", "may_write_later", "consents")
CONSENT_KINDS = ("location", "handover", "transcript", "follow_up", "record")
CHANNELS = ("webchat", "line", "telegram")
_LINE = "__line__"


class StoryError(ValueError):
    """A story file or story that cannot be run; `path:line: message`."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class Step:
    """One step of a story: what the person does, or what must be true after it."""

    kind: str
    value: Any
    line: int

    @property
    def by_person(self) -> bool:
        """True for a step the person takes (a message, a button, a location)."""
        return self.kind in PERSON_STEPS


@dataclass(frozen=True)
class Story:
    """A scripted conversation in one language."""

    name: str
    language: str
    path: Path
    line: int
    steps: tuple[Step, ...]
    channel: str = "webchat"

    @property
    def where(self) -> str:
        """`file:line` of the story, for messages."""
        return f"{self.path}:{self.line}"


@dataclass
class StoryFile:
    """The stories read from one file, and the errors of those that could not be read."""

    path: Path
    stories: list[Story] = field(default_factory=list)
    errors: list[StoryError] = field(default_factory=list)


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records each mapping's line (1-based) under `__line__`."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[_LINE] = node.start_mark.line + 1
        return mapping


def read_file(path: Path, language: str | None = None) -> StoryFile:
    """Read one story file; a story with an error is left out and its error kept.

    `language` is the default for stories that do not name one (the folder's name).
    """
    result = StoryFile(path)
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        result.errors.append(StoryError(path, line, f"not valid YAML: {getattr(error, 'problem', error)}"))
        return result
    except (OSError, UnicodeDecodeError) as error:
        result.errors.append(StoryError(path, 1, f"cannot be read: {error}"))
        return result
    if not isinstance(document, dict) or not isinstance(document.get("stories"), list):
        result.errors.append(StoryError(path, 1, "a story file holds a list under `stories:`"))
        return result
    for item in document["stories"]:
        try:
            result.stories.append(_story(path, item, language))
        except StoryError as error:
            result.errors.append(error)
    return result


def find_files(paths: list[Path]) -> list[tuple[Path, str | None]]:
    """The story files under `paths` (files or folders), each with its folder's language if the
    folder is named after one."""
    found = []
    for path in paths:
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            language = file.parent.name if file.parent.name in LANGUAGES else None
            found.append((file, language))
    return found


def _story(path: Path, item: Any, default_language: str | None) -> Story:
    line = item.get(_LINE, 1) if isinstance(item, dict) else 1
    if not isinstance(item, dict) or not isinstance(item.get("story"), str) or not item["story"].strip():
        raise StoryError(path, line, "each story starts with `story:` and a name")
    unknown = set(item) - {"story", "language", "channel", "steps", _LINE}
    if unknown:
        known = "story, language, channel, steps"
        raise StoryError(path, line, f"unknown key {sorted(unknown)[0]!r} (a story has {known})")
    language = item.get("language", default_language)
    if language not in LANGUAGES:
        raise StoryError(path, line, f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
    channel = item.get("channel", "webchat")
    if channel not in CHANNELS:
        raise StoryError(path, line, f"channel must be one of {', '.join(CHANNELS)} (got {channel!r})")
    if not isinstance(item.get("steps"), list) or not item["steps"]:
        raise StoryError(path, line, "a story needs `steps:`, a list")
    steps = [step for raw in item["steps"] for step in _steps(path, line, raw)]
    if not any(step.by_person for step in steps):
        raise StoryError(path, line, "a story needs at least one step by the person (user, button or location)")
    return Story(item["story"].strip(), language, path, line, tuple(steps), channel)


def _steps(path: Path, story_line: int, raw: Any) -> list[Step]:
    """One mapping of `steps:` as steps: `user` may carry its `intent`; others have one key."""
    if not isinstance(raw, dict):
        raise StoryError(path, story_line, f"each step is a mapping such as `- user: …` (got {raw!r})")
    line = raw.pop(_LINE)
    keys = list(raw)
    if keys == ["user", "intent"] or keys == ["intent", "user"]:
        return [_step(path, line, "user", raw["user"]), _step(path, line, "intent", raw["intent"])]
    if len(keys) != 1:
        raise StoryError(path, line, f"a step has one key (or `user` with `intent`), got {', '.join(keys) or 'none'}")
    return [_step(path, line, keys[0], raw[keys[0]])]


def _step(path: Path, line: int, kind: str, value: Any) -> Step:
    if kind not in PERSON_STEPS + EXPECTATIONS:
        known = ", ".join(PERSON_STEPS + EXPECTATIONS)
        raise StoryError(path, line, f"unknown step {kind!r} (one of: {known})")
    if isinstance(value, dict):
        value.pop(_LINE, None)
    problem = _check(kind, value)
    if problem:
        raise StoryError(path, line, f"{kind}: {problem}")
    return Step(kind, value, line)


def _check(kind: str, value: Any) -> str | None:
    """What is wrong with a step's value, or None."""
    if kind in ("user", "button", "intent", "response", "text", "offers"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None if kind in ("user", "text") else "a text is needed"
        return None if isinstance(value, str) and value.strip() else "a non-empty text is needed"
    if kind == "location":
        ok = isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
        if not ok or not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            return "[latitude, longitude] is needed, e.g. [13.75, 100.50]"
        return None
    if kind == "language":
        return None if value in LANGUAGES else f"one of {', '.join(LANGUAGES)}"
    if kind == "consent_asked":
        return None if value in CONSENT_KINDS else f"one of {', '.join(CONSENT_KINDS)}"
    if kind == "triage":
        return _check_mapping(value, TRIAGE_KEYS)
    if kind == "handoff":
        if isinstance(value, str):
            return None if value in HANDOFF_STATES else f"one of {', '.join(HANDOFF_STATES)}, or a mapping"
        return _check_mapping(value, HANDOFF_KEYS)
    if not isinstance(value, dict) or not value:
        return f"a mapping of {', '.join(KEPT_KEYS)}"
    for key, item in value.items():
        if key not in KEPT_KEYS:
            return f"unknown key {key!r} (one of: {', '.join(KEPT_KEYS)})"
        if key == "consents" and not (isinstance(item, list) and all(k in CONSENT_KINDS for k in item)):
            return f"consents is a list of {', '.join(CONSENT_KINDS)}"
        if key != "consents" and not isinstance(item, bool):
            return f"{key} is true or false"
    return None


def _check_mapping(value: Any, keys: dict[str, type]) -> str | None:
    if not isinstance(value, dict) or not value:
        return f"a mapping of {', '.join(keys)}"
    for key, item in value.items():
        if key not in keys:
            return f"unknown key {key!r} (one of: {', '.join(keys)})"
        if not isinstance(item, keys[key]):
            return f"{key} must be {keys[key].__name__.replace('bool', 'true or false').replace('str', 'a text')}"
    return None
