"""Actions that point a person to a human: hotline numbers, and a request for a person.

A request for a person is a custom payload with `handoff` (why, and the triage so far): the app
queues the case and tells the person who will answer (or, honestly, that nobody can now, with
the hotlines). The bot goes on answering until an operator takes the case."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core.directory import COUNTRIES, Directory, hotline_parts, line_parts
from core.line_groups import GroupWords
from core.messages import TextPart
from core.places import CountryNames


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


def person_country(tracker: Tracker) -> str | None:
    """Where the person said they are now (the country menu), or None."""
    country = tracker.get_slot("country")
    return country if country in COUNTRIES else None


class ActionGiveHotlines(Action):
    """Gives the hotlines of the country the person is in.

    Short numbers work only inside their own country. A request for the numbers that names a
    country ("the hotline in Thailand") gets that country's; otherwise, while the country is
    unknown, the person gets every country's primary line and is asked, once, where they are.
    A request for a group's own line ("a hotline for women") gets that group's lines, or, where
    none is known, an honest none and the lines that help everyone.
    """

    def __init__(self, directory: Directory, country_names: CountryNames, group_words: GroupWords) -> None:
        self._directory = directory
        self._country_names = country_names
        self._group_words = group_words

    def name(self) -> str:
        return "action_give_hotlines"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        country = person_country(tracker) or self._asked_about(tracker)
        parts = self._parts(self._group_asked_for(tracker), country)
        if country is None and not tracker.get_slot("country_asked"):
            dispatcher.utter_message(json_message=payload((*parts, TextPart("hotline.ask_country")), menu="country"))
            return [SlotSet("country_asked", True)]
        dispatcher.utter_message(json_message=payload(parts, menu="main"))
        return []

    def _parts(self, group: str | None, country: str | None) -> tuple[TextPart, ...]:
        """The lines to give: the group's in `country` (every country's when unknown) where it has
        some; where it has none in a known country, an honest none and the lines for everyone
        there; otherwise the primary lines of `country` (of every country when unknown), or an
        honest none."""
        if group:
            lines = self._directory.for_group(group, country)
            if lines:
                return (TextPart(f"hotline.{group}_intro"), *line_parts(lines))
            everyone = self._directory.primary(country) if country else []
            if everyone:
                return (TextPart.of(f"hotline.{group}_none", country=f"@country.{country}"), *line_parts(everyone))
        if country is None:
            return hotline_parts(self._directory)
        lines = self._directory.primary(country)
        if lines:
            return (TextPart("hotline.intro"), *line_parts(lines))
        return (TextPart.of("hotline.none_checked", country=f"@country.{country}"),)

    def _asked_about(self, tracker: Tracker) -> str | None:
        message = tracker.latest_message
        if (message.get("intent") or {}).get("name") != "ask_hotline":
            return None
        return self._country_names.asked_about(message.get("text") or "", conversation_language(tracker))

    def _group_asked_for(self, tracker: Tracker) -> str | None:
        message = tracker.latest_message
        if (message.get("intent") or {}).get("name") != "ask_hotline":
            return None
        return self._group_words.asked_for(message.get("text") or "")


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
