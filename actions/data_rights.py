"""The person's data rights: what is kept, withdrawing consent, and "forget me".

"What do you keep about me?" lists, in plain words, what is kept now and what a hotline team has
been able to see with the person's agreement. Withdrawing records a no for every consent that
was a yes, drops the location, and says what that changed and what was already seen (DNH-8).
"Forget me" asks first, with equal yes/no buttons, because a misread message must never delete a
conversation; a yes deletes everything once the answer is given (the app does it:
`core.data_rights`), a no keeps everything.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload, say
from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.handover import Handover
from core.locations import SharedLocations
from core.messages import TextPart


class ActionWhatKept(Action):
    """Says what is kept about the person now, item by item, and what a hotline team has been
    able to see with their agreement, with whom and since when."""

    def __init__(self, personal_data: PersonalData, handover: Handover, retention_days: int) -> None:
        self._personal_data = personal_data
        self._handover = handover
        self._retention_days = retention_days

    def name(self) -> str:
        return "action_what_kept"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        kept = self._personal_data.summary(tracker.sender_id)
        items = [
            part
            for part, present in (
                (TextPart("data.kept_language"), kept.language is not None),
                (TextPart("data.kept_messages"), kept.has_transcript),
                (TextPart("data.kept_consents"), bool(kept.consents)),
                (TextPart("data.kept_location"), kept.location_for_hotline),
                (TextPart.of("data.kept_record", days=str(self._retention_days)), kept.has_case),
                (TextPart("data.kept_follow_up"), kept.may_write_later),
            )
            if present
        ]
        parts = [TextPart("data.kept_intro"), *items] if items else [TextPart("data.kept_nothing")]
        shared = self._handover.shared(tracker.sender_id)
        parts += [TextPart("data.shared_intro"), *shared] if shared else [TextPart("data.shared_none")]
        dispatcher.utter_message(json_message=payload((*parts, TextPart("data.forget_hint")), menu="main"))
        return []


class ActionWithdrawConsent(Action):
    """Takes back every consent that was a yes: the location is dropped, a team no longer sees
    the summary or the earlier messages, an ended case is no longer kept, and no one writes
    later. Says what changed and what a team had already been able to see, and since when."""

    def __init__(
        self, consents: ConsentLog, locations: SharedLocations, handover: Handover, case_records: CaseRecords
    ) -> None:
        self._consents = consents
        self._locations = locations
        self._handover = handover
        self._case_records = case_records

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        shared = self._handover.shared(tracker.sender_id)
        withdrawn = self._consents.withdraw_all(tracker.sender_id, conversation_language(tracker))
        had_location = self._locations.for_hotline(tracker.sender_id) is not None
        self._locations.withdraw(tracker.sender_id)
        self._case_records.minimise(tracker.sender_id)
        parts = [TextPart("data.withdrawn")] if withdrawn else [TextPart("data.nothing_to_withdraw")]
        if had_location:
            parts.append(TextPart("data.withdrawn_location"))
        if shared:
            parts += [TextPart("data.shared_intro"), *shared, TextPart("data.already_seen")]
        else:
            parts.append(TextPart("data.shared_none"))
        dispatcher.utter_message(json_message=payload(tuple(parts), menu="main"))
        return []


class ActionAskForget(Action):
    """Asks, with equal yes/no buttons, before deleting everything."""

    def name(self) -> str:
        return "action_ask_forget"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        say(dispatcher, "data.forget_ask", menu="forget_confirm")
        return []


class ActionForget(Action):
    """Confirms the deletion; the app deletes everything once this answer is given."""

    def name(self) -> str:
        return "action_forget"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        dispatcher.utter_message(json_message={**payload((TextPart("data.forgotten"),)), "forget": True})
        return []


class ActionKeepData(Action):
    """The person said no to deleting: nothing is deleted, and the conversation goes on."""

    def name(self) -> str:
        return "action_keep_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        say(dispatcher, "data.not_deleted", "menu.prompt", menu="main")
        return []
