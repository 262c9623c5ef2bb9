"""The safety net: a message with a danger, self-harm or medical phrase is treated as such.

It runs after the intent classifier. When a message contains one of the safety-net phrases of
`data/cues/<lang>.yml` (every language's, since the bot does not know the conversation's
language) and the classifier chose a non-urgent intent, the intent becomes the phrase's
(`danger_now`, `self_harm` or `medical_need`), so an NLU miss never drops an urgent case. The
classifier's own ranking is left as it was, and the match is reported under `safety_net`.
The phrases are read when the bot loads, so editing them needs a restart, not a new model.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from triage.cues import SAFETY_NET, load_all, safety_net_signals

SAFETY_NET_KEY = "safety_net"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(GraphComponent):
    """Turns a misread urgent message into the urgent intent its phrase names."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """No settings: the phrases live in `data/cues/`."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyNet":
        """Load every language's cues."""
        return cls()

    def __init__(self) -> None:
        self._cues = list(load_all().values())

    def signals(self, text: Text) -> List[Text]:
        """The safety-net signals in `text`, most urgent first."""
        return safety_net_signals(self._cues, text)

    def process(self, messages: List[Message]) -> List[Message]:
        """Override a non-urgent intent when a safety-net phrase is present."""
        for message in messages:
            signals = self.signals(message.get(TEXT) or "")
            if not signals:
                continue
            message.set(SAFETY_NET_KEY, signals, add_to_output=True)
            intent = message.get(INTENT) or {}
            if intent.get("name") not in SAFETY_NET:
                message.set(INTENT, {"name": signals[0], "confidence": 1.0}, add_to_output=True)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        """Training examples keep their labelled intents."""
        return training_data
