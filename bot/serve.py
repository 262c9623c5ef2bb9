"""Run Rasa's server the way Saphan needs it: no turn taken on a blank memory, and logs that hold
no message text, name, id or location. `python -m bot.serve run …` takes the arguments of `rasa`.

Rasa keeps going when its tracker store fails: it reads a conversation it cannot load as a new
one and keeps the turn in memory, so a database restart would have the bot answer a person in
the middle of a case as a stranger, and forget the turn. Here such a failure fails the turn
instead (`bot/channel.py` answers it with 500), and the app tries the message again.

Rasa logs some failures with the person's message and the conversation's id as fields, and
writes an exception's traceback with the local variables of every frame (the request's body
among them). Rasa sets up its logging
itself as it starts, so `redact` is put at the front of the processors Rasa sets up: it keeps
a record's event name and level, the names of the fields it dropped, and of an exception its type
and the places it passed through, never its message (which may quote what the person wrote).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import rasa.core.agent
import rasa.utils.log_utils
import structlog
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore

KEPT_FIELDS = frozenset({"event", "event_info", "log_level", "level", "timestamp", "logger"})
EXCEPTION_FRAMES_KEPT = 6


def redact(_logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: the record without its fields' values and exception details."""
    exc_info = event_dict.get("exc_info")
    if method_name == "exception" and exc_info is None:
        exc_info = True
    kept = {key: value for key, value in event_dict.items() if key in KEPT_FIELDS}
    dropped = sorted(key for key in event_dict if key not in KEPT_FIELDS and key != "exc_info")
    if dropped:
        kept["redacted"] = dropped
    if exc_info:
        kept["exception"] = describe_exception(exc_info)
    return kept


def describe_exception(exc_info: Any) -> str:
    """The exception's type and the last frames it passed through (file, line, function)."""
    if isinstance(exc_info, BaseException):
        error = exc_info
    elif isinstance(exc_info, tuple):
        error = exc_info[1]
    else:
        error = sys.exc_info()[1]
    if error is None:
        return "unknown"
    frames = traceback.extract_tb(error.__traceback__)[-EXCEPTION_FRAMES_KEPT:]
    places = " < ".join(
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}" for frame in reversed(frames)
    )
    return f"{type(error).__name__} at {places}" if places else type(error).__name__


class TrackerStoreUnavailable(Exception):
    """The conversation could not be loaded or saved: the turn must fail."""


def _fail_the_turn(error: Exception) -> None:
    raise TrackerStoreUnavailable(type(error).__name__) from None  # the error's text may quote the person


def _strict_tracker_store(tracker_store: TrackerStore) -> TrackerStore:
    """Rasa's wrapper of the tracker store, failing where Rasa would fall back to memory."""
    return FailSafeTrackerStore(tracker_store, on_tracker_store_error=_fail_the_turn)


_rasa_configure_structlog = rasa.utils.log_utils.configure_structlog


def _configure_with_redaction(*args: Any, **kwargs: Any) -> None:
    _rasa_configure_structlog(*args, **kwargs)
    processors = structlog.get_config()["processors"]
    structlog.configure(processors=[redact, *processors])


def main() -> None:
    """Rasa's command line, with a failing tracker store failing the turn and its structured logs redacted."""
    rasa.utils.log_utils.configure_structlog = _configure_with_redaction
    rasa.core.agent.FailSafeTrackerStore = _strict_tracker_store
    command_line = importlib.import_module("rasa.__main__")  # only now: it takes `configure_structlog` as it is
    sys.argv[0] = "rasa"
    command_line.main()


if __name__ == "__main__":
    main()
