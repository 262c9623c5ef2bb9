"""A Rasa tokenizer that segments each script the way its language needs.

Thai, Lao, Khmer and Burmese are written without spaces between words. The text is cut into
runs of one script; Thai runs go to PyThaiNLP's dictionary segmenter, Lao runs to LaoNLP,
Khmer runs to khmer-nltk's CRF model, Burmese runs into syllables, and everything else
(Latin-script languages, digits, emoji) into words and symbols. All four segmenters work
offline from their bundled data. This module runs in the bot process (Python 3.10).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

_RUNS = re.compile(
    r"(?P<th>[\u0e00-\u0e7f]+)|(?P<lo>[\u0e80-\u0eff]+)|(?P<km>[\u1780-\u17ff\u19e0-\u19ff]+)"
    r"|(?P<my>[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]+)|(?P<other>[^\s\u0e00-\u0eff\u1780-\u17ff\u19e0-\u19ff"
    r"\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]+)"
)
# A Burmese syllable starts at a consonant or independent vowel that is not stacked (after
# U+1039) and does not carry an asat (U+103A) or a stacking sign.
_BURMESE_SYLLABLE_START = re.compile(
    r"(?<!\u1039)([\u1000-\u102a\u103f\u104c-\u104f]|[\u1040-\u1049]+)(?![\u103a\u1039])"
)
_OTHER_WORDS = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def burmese_syllables(run: Text) -> List[Text]:
    """Split a run of Burmese script into syllables."""
    return _BURMESE_SYLLABLE_START.sub(r" \1", run).split()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultiScriptTokenizer(Tokenizer):
    """Tokenizes text in Thai, Lao, Khmer, Burmese and Latin scripts, mixed in one message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Rasa's tokenizer settings; intents are never split."""
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """This module's code: Rasa's training cache must not reuse what other code trained."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    @staticmethod
    def required_packages() -> List[Text]:
        """Packages Rasa checks by import and by distribution name.

        khmer-nltk is imported in `__init__` instead: its import name (`khmernltk`) differs
        from its distribution name, which Rasa's fingerprinting cannot resolve.
        """
        return ["pythainlp", "laonlp"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MultiScriptTokenizer":
        """Build the tokenizer for a training or a loaded model."""
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        from khmernltk import word_tokenize as khmer_words
        from laonlp.tokenize import word_tokenize as lao_words
        from pythainlp.tokenize import word_tokenize as thai_words

        self._segmenters: Dict[Text, Callable[[Text], List[Text]]] = {
            "th": lambda run: thai_words(run, keep_whitespace=False),
            "lo": lao_words,
            "km": khmer_words,
            "my": burmese_syllables,
            "other": _OTHER_WORDS.findall,
        }

    def words(self, text: Text) -> List[Text]:
        """The words of `text`, in order, each an exact substring of it."""
        words: List[Text] = []
        for run in _RUNS.finditer(text):
            segmenter = self._segmenters[run.lastgroup or "other"]
            words.extend(word for word in segmenter(run.group()) if word.strip() and word in run.group())
        return words

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Rasa's hook: the tokens of one attribute of a message."""
        text: Optional[Text] = message.get(attribute)
        if not text:
            return []
        words = self.words(text) or [text]
        return self._apply_token_pattern(self._convert_words_to_tokens(words, text))
