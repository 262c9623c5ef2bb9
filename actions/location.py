"""The location actions: a location is shared only after the person agreed, knowing who sees it.

Before anything is shared the person hears who will see their location and what may follow,
including police or immigration, and gets an equal yes/no choice (DNH-15, DNH-4, DNH-5). A
location sent before that is held in memory as pending and the same question is asked. "No"
drops the location and the conversation goes on (DNH-9); STOP drops it too. The locations
themselves live in the app's memory (`core.locations`), keyed by the conversation's
pseudonymous id, which is the tracker's sender id.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload, say
from core.consent import ConsentLog
from core.locations import SharedLocations
from core.messages import TextPart


def _ask_consent(dispatcher: CollectingDispatcher) -> None:
    say(dispatcher, "location.explain", "location.ask", menu="location_consent")


class _LocationAction(Action):
    """What the location actions share: the app's in-memory locations and the consent log."""

    def __init__(self, locations: SharedLocations, consents: ConsentLog) -> None:
        self._locations = locations
        self._consents = consents

    def _decide(self, tracker: Tracker, granted: bool) -> None:
        self._consents.record(tracker.sender_id, "location", granted, conversation_language(tracker))


class ActionOfferLocation(_LocationAction):
    """The person wants to share their location: explain and ask, or (agreed already) show how."""

    def name(self) -> str:
        return "action_offer_location"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        if self._locations.has_consent(tracker.sender_id):
            say(dispatcher, "location.how", menu="send_location")
        else:
            _ask_consent(dispatcher)
        return []


class ActionLocationReceived(_LocationAction):
    """A location arrived: thank the person if they agreed, otherwise hold it and ask first."""

    def name(self) -> str:
        return "action_location_received"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        if self._locations.has_consent(tracker.sender_id):
            say(dispatcher, "location.received", menu="main")
        else:
            _ask_consent(dispatcher)
        return []


class ActionLocationConsent(_LocationAction):
    """The person said yes: keep the held location for the hotline team, or show how to send it."""

    def name(self) -> str:
        return "action_location_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        self._decide(tracker, True)
        self._locations.consent(tracker.sender_id)
        if self._locations.for_hotline(tracker.sender_id) is not None:
            say(dispatcher, "location.received", menu="main")
        else:
            say(dispatcher, "location.how", menu="send_location")
        return []


class ActionLocationDecline(_LocationAction):
    """The person said no (or cancelled): drop their location; everything else goes on."""

    def name(self) -> str:
        return "action_location_decline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        self._decide(tracker, False)
        self._locations.withdraw(tracker.sender_id)
        say(dispatcher, "location.declined", "menu.prompt", menu="main")
        return []


class ActionStop(_LocationAction):
    """STOP: end at once, without questions, and drop any location the person shared (DNH-7)."""

    def name(self) -> str:
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        if self._locations.has_consent(tracker.sender_id):
            self._decide(tracker, False)
        self._locations.withdraw(tracker.sender_id)
        # "stop": the app also ends a case that still waits for a person.
        dispatcher.utter_message(json_message={**payload((TextPart("stop.done"),)), "stop": True})
        return []
