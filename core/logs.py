"""Structured, content-free logs: one JSON object per line.

A log line carries the event (a fixed message string), the logger, the level and only the
`extra` fields named in `ALLOWED_FIELDS`. Message text, names, ids, tokens and locations are
never among them, and `%`-arguments are never interpolated, so a careless call cannot leak
what a person wrote.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

ALLOWED_FIELDS = frozenset(
    {
        "channel", "channels", "status", "error", "key", "language", "route", "method", "duration_ms", "code", "kind",
        "process", "events", "new", "attempt", "attempts", "reason", "conversations", "transcripts", "team", "urgent",
        "cases",
    }
)


class ContentFreeFormatter(logging.Formatter):
    """Formats a record as JSON with its event name and whitelisted fields only."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": str(record.msg),
        }
        line.update({k: v for k, v in record.__dict__.items() if k in ALLOWED_FIELDS})
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    """Send every log record to stderr through the content-free formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ContentFreeFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
