"""The console's view of the hotline directory: supervisors and admins read and edit it.

Every save is validated as a whole (`core/directory.py`) before the file is replaced, so a
refused edit changes nothing; stale entries and uncovered groups are flagged (DNH-39). Every
change is audited with the entry's id.
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, Request

from console.audit import AuditLog
from core.directory import CHANNELS, COUNTRIES, GROUPS, HOURS, TOPICS, Directory, InvalidDirectory, parse_entry

MAX_ENTRY_FIELDS = 20


class DirectoryAdmin:
    """Lists, saves and deletes directory entries for the console."""

    def __init__(self, directory: Directory, audit: AuditLog, max_age_days: int, in_use: set[str]) -> None:
        self._directory = directory
        self._audit = audit
        self._max_age_days = max_age_days
        self._in_use = in_use  # hotlines a team names: they cannot be deleted

    async def entries(self) -> dict:
        """Every entry, the stale ones, the groups without a line, and the allowed values."""
        stale = {line.id for line in self._directory.stale(self._max_age_days)}
        return {
            "hotlines": [
                {**line.as_dict(), "verified": line.verified.isoformat(), "stale": line.id in stale}
                for line in self._directory.hotlines
            ],
            "max_age_days": self._max_age_days,
            "gaps": self._directory.gaps(),
            "allowed": {
                "countries": COUNTRIES,
                "topics": TOPICS,
                "channels": CHANNELS,
                "hours": list(HOURS),
                "groups": list(GROUPS),
            },
        }

    async def save(self, hotline_id: str, request: Request) -> dict:
        """Add or replace the entry `hotline_id` (400 with the reason when it is invalid)."""
        raw = await _json_object(request)
        if raw.get("id") != hotline_id:
            raise HTTPException(status_code=400, detail={"error": "invalid", "reason": "the id does not match"})
        try:
            entry = parse_entry(raw)
            if hotline_id in self._in_use and not entry.primary:
                raise InvalidDirectory(f"hotline {hotline_id}: a team's line must stay primary")
            current = self._directory.hotlines
            edited = [entry if line.id == hotline_id else line for line in current]
            await asyncio.to_thread(
                self._directory.save, edited if entry.id in {line.id for line in current} else [*current, entry]
            )
        except InvalidDirectory as error:
            raise HTTPException(status_code=400, detail={"error": "invalid", "reason": str(error)}) from None
        await asyncio.to_thread(self._audit.write, request.state.account.id, "directory_save", None, hotline_id)
        return {"saved": hotline_id}

    async def delete(self, hotline_id: str, request: Request) -> dict:
        """Delete the entry `hotline_id` unless a team names it (409)."""
        if hotline_id in self._in_use:
            raise HTTPException(status_code=409, detail="hotline_in_use")
        current = self._directory.hotlines
        remaining = [line for line in current if line.id != hotline_id]
        if len(remaining) == len(current):
            raise HTTPException(status_code=404, detail="unknown")
        await asyncio.to_thread(self._directory.save, remaining)
        await asyncio.to_thread(self._audit.write, request.state.account.id, "directory_delete", None, hotline_id)
        return {"deleted": hotline_id}


async def _json_object(request: Request) -> dict:
    """The request's JSON object of at most MAX_ENTRY_FIELDS fields (400 otherwise)."""
    try:
        raw = await request.json()
    except ValueError:
        raise HTTPException(status_code=400, detail="malformed_json") from None
    if not isinstance(raw, dict) or len(raw) > MAX_ENTRY_FIELDS:
        raise HTTPException(status_code=400, detail={"error": "invalid", "reason": "an entry is one JSON object"})
    return raw
