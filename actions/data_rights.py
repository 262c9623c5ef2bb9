"""The person's data rights: what is kept, withdrawing consent, and "forget me".

"What do you keep about me?" lists, in plain words, what is kept now and that nothing has been
sent to a hotline. Withdrawing records a no for every consent that was a yes, drops the location
and says what that changed (DNH-8). "Forget me" asks first, with equal yes/no buttons, because a
misread message must never delete a conversation; a yes deletes everything once the answer is
given (the app does it: `core.data_rights`), a no keeps everything.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload, say
from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.locations import SharedLocations
from core.messages import TextPart


class ActionWhatKept(Action):
    """Says what is kept about the person now, item by item."""

    def __init__(self, personal_data: PersonalData) -> None:
        self._personal_data = personal_data

    def name(self) -> str:
        return "action_what_kept"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        kept = self._personal_data.summary(tracker.sender_id)
        items = [
            key
            for key, present in (
                ("data.kept_language", kept.language is not None),
                ("data.kept_messages", kept.has_transcript),
                ("data.kept_consents", bool(kept.consents)),
                ("data.kept_location", kept.location_for_hotline),
            )
            if present
        ]
        keys = ["data.kept_intro", *items] if items else ["data.kept_nothing"]
        say(dispatcher, *keys, "data.shared_none", "data.forget_hint", menu="main")
        return []


class ActionWithdrawConsent(Action):
    """Takes back every consent that was a yes, drops the location, and says what changed."""

    def __init__(self, consents: ConsentLog, locations: SharedLocations) -> None:
        self._consents = consents
        self._locations = locations

    def name(self) -> str:
        return "action_withdraw_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        withdrawn = self._consents.withdraw_all(tracker.sender_id, conversation_language(tracker))
        had_location = self._locations.for_hotline(tracker.sender_id) is not None
        self._locations.withdraw(tracker.sender_id)
        if not withdrawn:
            say(dispatcher, "data.nothing_to_withdraw", "data.shared_none", menu="main")
            return []
        keys = ["data.withdrawn", *(["data.withdrawn_location"] if had_location else []), "data.shared_none"]
        say(dispatcher, *keys, menu="main")
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
