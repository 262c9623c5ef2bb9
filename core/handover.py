"""What a hotline team may see of a case, and the questions through which the person decides it.

When a case opens, the person is shown the summary its team would receive (language, country,
a child, danger, the possible signs in plain words, a location they agreed to share) and asked
whether it may be passed to the named team (DNH-31). After a yes they are asked, separately,
whether the team may also read what they wrote to the assistant before a person joined. While
nobody can answer, they are asked whether the team may write to them later (DNH-35); when the
case ends, whether a record of it may be kept for `record_days`. Each question is asked once,
with equal yes and no buttons (while the case waits, a clearly typed yes or no counts as well);
only a yes is a yes (DNH-4), and after a no everything goes on (DNH-5, DNH-9). A yes to the
summary or the messages counts for the case it was asked for: a later case, perhaps for another
team, asks again.

Without these yeses the team sees what it needs to answer at all: the queue's routing fields
(language, channel, country, child, urgency) and what the person writes once a person joined.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from core.consent import ConsentLog, Decision
from core.directory import Directory
from core.locations import SharedLocations
from core.menus import FAMILY_DETAILS
from core.messages import Outbound, TextPart
from core.teams import Teams

# What a hotline team may have seen, and the text that says so afterwards.
SHARING_TEXTS = {
    "handover": "data.shared_summary",
    "transcript": "data.shared_transcript",
    "location": "data.shared_location",
}
# Signs that the summary already names on a line of their own.
_OWN_LINE_FAMILIES = {"child_involved"}


class CaseFacts(Protocol):
    """What the handover questions need to know of a case (`core.handoff.Case` has it)."""

    conversation_id: str | None
    team: str
    language: str
    country: str | None
    child: bool
    urgent: bool
    reason: str
    state: str
    requested_at: datetime


@dataclass(frozen=True)
class Visibility:
    """What a case's team may see besides the routing fields and the messages after joining."""

    summary: bool
    transcript: bool


def family_report_parts(family: object) -> list[TextPart]:
    """The summary lines of a family report: only the details chosen on its buttons."""
    if not isinstance(family, dict):
        return []
    values = {detail: family.get(detail) for detail in FAMILY_DETAILS}
    known = {detail: value for detail, value in values.items() if value in FAMILY_DETAILS[detail]}
    parts = []
    if "relation" in known:
        parts.append(TextPart.of("summary.report.relation", relation=f"@report.relation.{known['relation']}"))
    if "last_contact" in known:
        parts.append(TextPart.of("summary.report.last_contact", when=f"@report.last_contact.{known['last_contact']}"))
    if known.get("relative_country", "unknown") != "unknown":
        parts.append(TextPart.of("summary.report.country", country=f"@country.{known['relative_country']}"))
    return parts


class Handover:
    """Builds the consent questions about a case and says what its team may see."""

    def __init__(
        self,
        consents: ConsentLog,
        directory: Directory,
        teams: Teams,
        locations: SharedLocations,
        record_days: int,
    ) -> None:
        self._consents = consents
        self._directory = directory
        self._teams = teams
        self._locations = locations
        self._record_days = record_days

    # -- the questions ---------------------------------------------------------------------

    def summary_question(self, case: CaseFacts, triage: dict | None) -> Outbound:
        """The summary the case's team would receive, and the question whether to pass it on."""
        parts = [*self.summary_parts(case, triage)]
        parts += [TextPart.of("consent.handover.ask", **self._team_params(case.team)), TextPart("consent.free_choice")]
        return Outbound(tuple(parts), menu="consent_handover")

    def summary_parts(self, case: CaseFacts, triage: dict | None) -> tuple[TextPart, ...]:
        """The lines of the summary, in the person's words."""
        parts = [TextPart("summary.intro"), TextPart.of("summary.language", language=f"@language.name@{case.language}")]
        if case.country and not (triage or {}).get("family"):
            parts.append(TextPart.of("summary.country", country=f"@country.{case.country}"))
        if case.child:
            parts.append(TextPart("summary.child"))
        if case.urgent:
            parts.append(TextPart("summary.urgent"))
        elif case.reason == "person":
            parts.append(TextPart("summary.asked"))
        families = [f for f in (triage or {}).get("families") or [] if f not in _OWN_LINE_FAMILIES]
        if families:
            signs = " ".join(f"@summary.family.{family}" for family in families)
            parts.append(TextPart.of("summary.signs", signs=signs))
        parts += family_report_parts((triage or {}).get("family"))
        if case.conversation_id and self._locations.for_hotline(case.conversation_id) is not None:
            parts.append(TextPart("summary.location"))
        return tuple(parts)

    def follow_up_question(self, conversation: str | None) -> Outbound | None:
        """Whether the team may write later; None once the person has answered it."""
        if conversation is None or "follow_up" in self._consents.current(conversation):
            return None
        return Outbound.keys("consent.follow_up.ask", "consent.free_choice", menu="consent_follow_up")

    def record_question(self, conversation: str | None) -> Outbound | None:
        """Whether a record of the case may be kept; None once the person has answered it."""
        if conversation is None or "record" in self._consents.current(conversation):
            return None
        parts = (TextPart.of("consent.record.ask", days=str(self._record_days)), TextPart("consent.free_choice"))
        return Outbound(parts, menu="consent_record")

    def after_answer(self, kind: str, granted: bool, case: CaseFacts | None, nobody_on_duty: bool) -> list[Outbound]:
        """What the person is told after answering, and the next question if there is one."""
        params = {"days": str(self._record_days)} if kind == "record" else {}
        said = TextPart.of(f"consent.{kind}.{'given' if granted else 'refused'}", **params)
        state = case.state if case is not None else None
        waiting = state == "queued"
        # Waiting: the way back to the assistant; with an operator: nothing; otherwise the main menu.
        menu = {"queued": "waiting", "active": None}.get(state, "main")
        if kind == "handover" and granted:
            return [Outbound((said,)), Outbound.keys("consent.transcript.ask", menu="consent_transcript")]
        follow_up = self.follow_up_question(case.conversation_id) if waiting and nobody_on_duty else None
        if kind in ("handover", "transcript") and follow_up is not None:
            return [Outbound((said,)), follow_up]
        return [Outbound((said,), menu=menu)]

    # -- what the team may see -------------------------------------------------------------

    def visibility(self, case: CaseFacts) -> Visibility:
        """What the case's team may see now (a withdrawal takes effect at once)."""
        if case.conversation_id is None:
            return Visibility(summary=False, transcript=False)
        summary = self._consents.granted(case.conversation_id, "handover", since=case.requested_at) is not None
        transcript = summary and (
            self._consents.granted(case.conversation_id, "transcript", since=case.requested_at) is not None
        )
        return Visibility(summary=summary, transcript=transcript)

    def shared(self, conversation: str) -> tuple[TextPart, ...]:
        """What a team has been able to see with the person's agreement, with whom and since
        when: each summary and earlier messages agreed to (taken back later or not), and the
        location held for the team now."""
        parts = [
            TextPart.of(
                SHARING_TEXTS[decision.kind], **self._team_params(decision.recipient), time=self._time(decision)
            )
            for decision in self._consents.history(conversation)
            if decision.granted and decision.kind in ("handover", "transcript")
        ]
        located = self._locations.shared_at(conversation)
        if located is not None and self._locations.for_hotline(conversation) is not None:
            parts.append(TextPart.of("data.shared_location", time=self._time_in(None, located)))
        return tuple(parts)

    def _team_params(self, team_id: str | None) -> dict[str, str]:
        team = self._teams.get(team_id)
        line = self._directory.by_id(team.hotline)
        return {"country": f"@country.{line.country}", "number": line.number}

    def _time(self, decision: Decision) -> str:
        return self._time_in(decision.recipient, decision.decided_at)

    def _time_in(self, team_id: str | None, moment: datetime) -> str:
        """`moment` as the team's clock shows it (the default team's when none is named)."""
        return moment.astimezone(ZoneInfo(self._teams.get(team_id).timezone)).strftime("%Y-%m-%d %H:%M")
