"""A relative or friend reports someone missing or in danger (issue: family reports, DNH-32).

The reporter is thanked and told, plainly, that Saphan never says whether anyone has written
to it. Then, one button question at a time and each one skippable, it notes the minimum the
hotline team needs: who the person is to them, when they last heard from them, and the country
the person was last in. Never a name, never free text. Then the reporter gets the hotlines of
that country and of their own, and a case opens for the team of the relative's country; the
reporter sees that summary and decides whether it is passed on (core/handover.py).
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload, person_country, request_person
from core.directory import COUNTRIES, HOME_COUNTRY, Directory, line_parts
from core.menus import FAMILY_DETAILS, SKIPPED
from core.messages import TextPart

# Each detail: the slot that holds it, and the question that asks for it.
QUESTIONS = (
    ("family_relation", "relation"),
    ("family_last_contact", "last_contact"),
    ("family_country", "relative_country"),
)


def family_details(tracker: Tracker) -> dict[str, str]:
    """The details chosen so far (skipped ones included), by detail name."""
    details = {}
    for slot, detail in QUESTIONS:
        value = tracker.get_slot(slot)
        if value == SKIPPED or value in FAMILY_DETAILS[detail]:
            details[detail] = value
    return details


class ActionFamilyReport(Action):
    """Asks the next detail of a family report, or ends it: the hotlines and a case."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def name(self) -> str:
        return "action_family_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        if tracker.get_slot("triage_escalated"):
            return []  # an urgent case is already open; its questions come first
        details = family_details(tracker)
        opening: tuple[TextPart, ...] = ()
        if (tracker.latest_message.get("intent") or {}).get("name") == "report_relative":
            opening = (TextPart("disclosure.thanks"), TextPart("third_party.never_confirm"))
        for _, detail in QUESTIONS:
            if detail not in details:
                question = (*opening, TextPart(f"report.ask.{detail}"))
                dispatcher.utter_message(json_message=payload(question, menu=f"family_{detail}"))
                return []
        self._finish(dispatcher, tracker, details)
        return []

    def _finish(self, dispatcher: CollectingDispatcher, tracker: Tracker, details: dict[str, str]) -> None:
        """The hotlines of the relative's country and the reporter's, and a case for the team."""
        relative_country = details["relative_country"] if details["relative_country"] in COUNTRIES else None
        own_country = person_country(tracker) or HOME_COUNTRY.get(conversation_language(tracker))
        countries = [c for c in dict.fromkeys((relative_country, own_country)) if c]
        lines = [line for country in countries for line in self._directory.primary(country)]
        parts = [TextPart("report.noted")]
        parts += [TextPart("hotline.intro"), *line_parts(lines)] if lines else [TextPart("report.no_line")]
        triage = dict(tracker.get_slot("triage") or {})
        triage["family"] = {key: value for key, value in details.items() if value != SKIPPED}
        if relative_country:
            triage["country"] = relative_country
        request_person(dispatcher, "person", triage, tuple(parts))
