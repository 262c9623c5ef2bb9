"""What an operator sees of one case: the conversation so far, the triage, the consents, the
location (only with consent), and what they can insert or choose.

The summary (the triage) is shown only after the person agreed to pass it to the team, the
words that raised each indicator and what the person wrote to the assistant only after they
also agreed that the team may read it (`core.handover`); the messages written since a person
joined are always shown.

Must not import any web framework.
"""

from __future__ import annotations

from datetime import datetime, timezone

from core.botclient import to_outbound
from core.consent import ConsentLog
from core.handoff import OUTCOMES, Case, Handoffs
from core.handover import Handover, Visibility
from core.locales import Catalog
from core.locations import SharedLocations
from core.records.models import utcnow
from core.records.transcripts import Transcripts

MAP_URL = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def case_summary(case: Case, me: int, now: datetime | None = None) -> dict:
    """A case as the queue shows it."""
    return {
        "id": case.id,
        "state": case.state,
        "team": case.team,
        "language": case.language,
        "channel": case.channel,
        "country": case.country,
        "child": case.child,
        "risk": case.risk,
        "urgent": case.urgent,
        "reason": case.reason,
        "waiting_seconds": case.waiting_seconds(now or utcnow()),
        "requested_at": case.requested_at.isoformat(),
        "operator": {"id": case.operator_id, "display_name": case.operator_name} if case.operator_id else None,
        "mine": case.operator_id == me,
        "training": case.training,
    }


class CaseView:
    """Builds the case view from the stores that hold its parts."""

    def __init__(
        self,
        handoffs: Handoffs,
        handover: Handover,
        transcripts: Transcripts,
        consents: ConsentLog,
        locations: SharedLocations,
        catalog: Catalog,
    ) -> None:
        self._handoffs = handoffs
        self._handover = handover
        self._transcripts = transcripts
        self._consents = consents
        self._locations = locations
        self._catalog = catalog

    def details(self, case: Case, me: int, operators: list[dict]) -> dict:
        """The whole case view for operator `me`; `operators` are the ones it may go to."""
        conversation = case.conversation_id
        visible = self._handover.visibility(case)
        return {
            **case_summary(case, me),
            "shared": {"summary": visible.summary, "transcript": visible.transcript},
            "transcript": self._transcript(case, visible),
            "triage": self._triage(case, visible),
            "consents": [
                {"kind": d.kind, "granted": d.granted, "at": d.decided_at.isoformat(), "language": d.language}
                for d in (self._consents.history(conversation) if conversation else [])
            ],
            "location": self._location(conversation) if conversation else None,
            "inserts": [
                {"label": label, "text": text} for label, text in self._handoffs.inserts(case.language, case.country)
            ],
            "outcomes": list(OUTCOMES),
            "operators": [operator for operator in operators if operator["id"] != case.operator_id],
        }

    def _triage(self, case: Case, visible: Visibility) -> dict | None:
        triage = self._handoffs.triage(case.id) if visible.summary else None
        if triage is None or visible.transcript:
            return triage
        indicators = [{**item, "evidence": None} for item in triage.get("indicators") or []]
        return {**triage, "indicators": indicators, "signals": []}

    def _transcript(self, case: Case, visible: Visibility) -> list[dict]:
        entries: list[tuple[datetime, dict]] = []
        if case.conversation_id and visible.transcript:
            for message in self._transcripts.messages(case.conversation_id):
                at = datetime.fromtimestamp(message.timestamp, timezone.utc)
                text = message.text
                if message.author == "assistant":
                    outbound = to_outbound({"custom": message.custom} if message.custom else {})
                    text = self._catalog.render(outbound, case.language).text
                if text:
                    entries.append(
                        (at, {"author": message.author, "text": text, "at": at.isoformat(), "operator": None})
                    )
        for message in self._handoffs.messages(case.id):
            entry = {
                "author": message.author,
                "text": message.text,
                "at": message.sent_at.isoformat(),
                "operator": message.operator_name,
            }
            entries.append((message.sent_at, entry))
        return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]

    def _location(self, conversation: str) -> dict | None:
        fix = self._locations.for_hotline(conversation)
        at = self._locations.shared_at(conversation)
        if fix is None or at is None:
            return None
        return {
            "latitude": fix.latitude,
            "longitude": fix.longitude,
            "accuracy": None,
            "at": at.isoformat(),
            "map_url": MAP_URL.format(lat=fix.latitude, lon=fix.longitude),
        }
