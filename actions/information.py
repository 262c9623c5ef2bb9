"""The answer to a question about working abroad: the sourced statements for it, in the
person's language (`data/information.yml`), with a quick way to talk to a person."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotlines import conversation_language, payload
from core.information import Information


class ActionGiveInformation(Action):
    """Answers the information intent of the latest message."""

    def __init__(self, information: Information) -> None:
        self._information = information

    def name(self) -> str:
        return "action_give_information"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        topic = (tracker.latest_message.get("intent") or {}).get("name") or ""
        parts = self._information.parts(topic, conversation_language(tracker))
        if parts:
            dispatcher.utter_message(json_message=payload(parts))
        return []
