"""Actions that point a person to a human: hotline numbers, and a request for a person.

A request for a person is a custom payload with `handoff` (why, and the triage so far): the app
queues the case and tells the person who will answer (or, honestly, that nobody can now, with
the hotlines). The bot goes on answering until an operator takes the case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from core.directory import Directory, hotline_parts
from core.messages import TextPart


def payload(parts: tuple[TextPart, ...], menu: str | None = None) -> dict[str, Any]:
    """The custom payload the app renders: locale keys with their parameters, and a menu."""
    say = [{"key": part.key, "params": dict(part.params)} for part in parts]
    return {"say": say, "menu": menu} if menu else {"say": say}


def say(dispatcher: CollectingDispatcher, *keys: str, menu: str | None = None) -> None:
    """Say parameterless locale keys, in order, with an optional menu."""
    dispatcher.utter_message(json_message=payload(tuple(TextPart(key) for key in keys), menu))


def conversation_language(tracker: Tracker) -> str:
    """The conversation's language, as the app sent it with the latest message (default en)."""
    return (tracker.latest_message.get("metadata") or {}).get("language") or "en"


class ActionGiveHotlines(Action):
    """Gives the primary hotline numbers (of every country while the person's is unknown)."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def name(self) -> str:
        return "action_give_hotlines"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        dispatcher.utter_message(json_message=payload(hotline_parts(self._directory), menu="main"))
        return []


def request_person(dispatcher: CollectingDispatcher, reason: str, triage: dict | None, parts=()) -> None:
    """Say `parts` and ask the app for a person (`reason`: person or urgent)."""
    message = payload(tuple(parts))
    message["handoff"] = {"reason": reason, "triage": triage}
    dispatcher.utter_message(json_message=message)


class ActionRequestHuman(Action):
    """Answers a request for a person: the app opens a case for the hotline team (DNH-30)."""

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        request_person(dispatcher, "person", tracker.get_slot("triage"))
        return []
