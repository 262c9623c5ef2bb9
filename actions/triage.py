"""The triage actions: assess the whole conversation after every message.

`action_triage` answers a disclosure, a danger or an answer to a follow-up question.
`action_track_triage` runs before every other answer, so the triage is updated every turn and a
message read as something else (a greeting, a question) that still makes the conversation
urgent escalates at once.

It thanks the person and says it is not their fault, then either escalates (an urgent result or
a child: the hotlines, with their hours, and a person at once, no questions) or asks one gentle
follow-up question (the open one first, never the same question twice, each with a Skip button),
and after the questions offers a person. The assessment is kept in the `triage` slot for the
operator; the person never hears a verdict (DNH-17..21, 26).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload, person_country, request_person
from core.directory import Directory, hotline_parts
from core.messages import TextPart
from triage.catalogue import Catalogue
from triage.cues import LanguageCues
from triage.engine import QUESTIONS, Assessment, Turn, assess, read_turn

OPEN_QUESTION = "open"
# The closed questions in the order they are asked, and the family each one is about.
QUESTION_ORDER = ("can_leave", "under_18", "has_documents", "paid_as_promised", "owes_debt", "contact_family")
MAX_QUESTIONS = 4
# Signals after which a person is told to get medical help (DNH-29).
MEDICAL_SIGNALS = {"medical_need", "sexual_violence", "physical_violence"}
ANSWERS = ("affirm", "deny", "skip_question")


def conversation_turns(events: list[dict[str, Any]], cues: LanguageCues) -> list[Turn]:
    """The person's messages so far as triage turns, each with the question it answered."""
    turns: list[Turn] = []
    pending: str | None = None
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "triage_question":
            pending = event.get("value")
        elif event.get("event") == "user":
            parsed = (event.get("parse_data") or {}).get("intent_ranking") or []
            ranking = [(item["name"], float(item["confidence"])) for item in parsed]
            turns.append(read_turn(event.get("text") or "", ranking, cues, pending))
    return turns


def next_question(asked: list[str], assessment: Assessment, about_someone_else: bool) -> str | None:
    """The next question to ask: the open one first, then one about a family not yet known.

    The closed questions speak to the person about themselves, so someone writing about a
    relative gets only the open one.
    """
    if len(asked) >= MAX_QUESTIONS:
        return None
    if OPEN_QUESTION not in asked:
        return OPEN_QUESTION
    if about_someone_else:
        return None
    known = set(assessment.families)
    for question in QUESTION_ORDER:
        if question not in asked and QUESTIONS[question][1] not in known:
            return question
    return None


def care_parts(assessment: Assessment) -> tuple[TextPart, ...]:
    """What an answer says first, whatever the triage result: to someone thinking of harming
    themselves, that they need not face it alone (DNH-28); to someone hurt, ill or sexually
    abused, to get medical help (DNH-29)."""
    signals = {reason.signal for reason in assessment.urgent_reasons} | set(assessment.families)
    parts = []
    if "self_harm" in signals:
        parts.append(TextPart("urgent.self_harm"))
    if signals & MEDICAL_SIGNALS:
        parts.append(TextPart("urgent.medical"))
    return tuple(parts)


def needs_person_now(assessment: Assessment) -> bool:
    """Urgent and child cases go to a person at once, with no questions (DNH-27, DNH-30)."""
    return assessment.urgent or assessment.child


class _TriageAction(Action):
    """What both triage actions share: the conversation's turns and their assessment."""

    def __init__(self, catalogue: Catalogue, cues: dict[str, LanguageCues], directory: Directory) -> None:
        self._catalogue = catalogue
        self._cues = cues
        self._directory = directory

    def _assess(self, tracker: Tracker) -> tuple[list[Turn], Assessment]:
        language = conversation_language(tracker)
        turns = conversation_turns(tracker.events, self._cues.get(language) or self._cues["en"])
        return turns, assess(turns, self._catalogue)

    @staticmethod
    def _record(tracker: Tracker, assessment: Assessment) -> dict:
        """The triage slot: the assessment, and the country the person is in when they said."""
        record = assessment.as_dict()
        country = person_country(tracker)
        return {**record, "country": country} if country else record

    def _care(self, turns: list[Turn]) -> tuple[TextPart, ...]:
        """The care texts the latest message calls for (not repeated for earlier ones)."""
        return care_parts(assess(turns[-1:], self._catalogue)) if turns else ()

    @staticmethod
    def _thanks(intent: str | None, care: tuple[TextPart, ...]) -> tuple[TextPart, ...]:
        """The thanks an answer opens with; none before the self-harm text, which opens with its own."""
        if intent in ANSWERS:
            return (TextPart("triage.thanks_answer"),)
        if TextPart("urgent.self_harm") in care:
            return ()
        return (TextPart("disclosure.thanks"),)

    def _escalate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, opening: tuple[TextPart, ...], assessment: Assessment
    ) -> list[dict]:
        """Give the hotlines with their hours at once and ask the app for a person (urgent)."""
        hotlines = hotline_parts(self._directory, person_country(tracker))
        request_person(
            dispatcher,
            "urgent",
            self._record(tracker, assessment),
            (*opening, TextPart("urgent.offer_person"), *hotlines),
        )
        return [SlotSet("triage_escalated", True)]


class ActionTrackTriage(_TriageAction):
    """Runs before every other answer: updates the triage, and escalates at once (once) if a
    message that was not read as a disclosure still made the conversation urgent."""

    def name(self) -> str:
        return "action_track_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        turns, assessment = self._assess(tracker)
        events = [SlotSet("triage", self._record(tracker, assessment))]
        if needs_person_now(assessment) and not tracker.get_slot("triage_escalated"):
            events += self._escalate(dispatcher, tracker, self._care(turns), assessment)
        return events


class ActionTriage(_TriageAction):
    """Assesses the conversation and answers a disclosure, a danger or a follow-up answer."""

    def name(self) -> str:
        return "action_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        turns, assessment = self._assess(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        pending = tracker.get_slot("triage_question")
        asked = list(tracker.get_slot("triage_asked") or [])
        events = [SlotSet("triage", self._record(tracker, assessment)), SlotSet("triage_question", None)]

        if intent in ANSWERS and not pending:
            dispatcher.utter_message(json_message=payload((TextPart("fallback.not_understood"),), menu="main"))
            return events
        care = self._care(turns)
        opening = (*self._thanks(intent, care), *care)
        if needs_person_now(assessment):
            return events + self._escalate(dispatcher, tracker, opening, assessment)
        about_someone_else = any(turn.ranking[:1] and turn.ranking[0][0] == "report_relative" for turn in turns)
        question = next_question(asked, assessment, about_someone_else)
        if question is None:
            parts = (*opening, TextPart("handoff.offer"), *hotline_parts(self._directory, person_country(tracker)))
            dispatcher.utter_message(json_message=payload(parts, menu="main"))
            return events
        menu = "skip" if question == OPEN_QUESTION else "answer"
        dispatcher.utter_message(json_message=payload((*opening, TextPart(f"triage.question.{question}")), menu=menu))
        return events + [SlotSet("triage_question", question), SlotSet("triage_asked", asked + [question])]
