"""Actions that point a person to a human: hotline numbers, and (until the operator console
exists) an honest word that no person can join this chat yet."""

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


class ActionRequestHuman(Action):
    """Answers a request for a person: says honestly that no one can join the chat yet and
    gives the hotlines, where a person answers (DNH-30: no dead ends)."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        parts = (TextPart("handoff.no_person_yet"), *hotline_parts(self._directory))
        dispatcher.utter_message(json_message=payload(parts, menu="main"))
        return []
