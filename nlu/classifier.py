"""Saphan's intent classifier: TF-IDF word and character n-grams into a calibrated linear SVM.

Every language's examples train one model. Words come from the tokenizer (so Thai, Lao, Khmer
and Burmese are segmented); character n-grams (1-5, within words) catch misspellings, missing
tone marks and Zawgyi-converted spellings. Latin-script letters are lower-cased and stripped of
their diacritics on both sides, so Vietnamese typed without diacritics meets the same features
as Vietnamese typed with them; the words as written (lower-cased, diacritics kept) are features
too, so where the diacritics are typed they still tell words apart (đúng "right" is not dừng
"stop"). A linear SVM separates the intents, and a sigmoid calibration
(three-fold, inside the training data) turns its scores into confidences that the fallback
threshold can use. It trains in seconds and beat logistic regression and DIET on the held-out
sets (`./saphan eval nlu`).

Missing a cry for help costs far more than answering one that was not: when the top intent is
not urgent but danger, self-harm or a request for a person comes within `prefer_ratio` (0.6) of
its confidence, that intent is chosen (with the top confidence, so the fallback threshold judges
the message as before). On the held-out sets this raised their recall (`./saphan eval nlu`); at
0.5 the macro-F1 of English fell below 0.90 once the critical intents had more examples than the
others. Two tops are never replaced (`kept_when_top`): STOP, because ending a chat that was not
meant to end ("I could not stop him") would silence a disclosure, and a report about a relative,
whose own flow asks what happened and gives the hotlines (a danger phrase in it still makes it
urgent through the safety net). This module runs in the bot process (Python 3.10).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from triage.cues import fold_latin

logger = logging.getLogger(__name__)

_MODEL_FILE = "intent_classifier.skops"
# The types inside a trained model that skops does not trust by default. Loading refuses any other.
_TRUSTED_TYPES = [
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
]


def choose(ranking: List[Dict[Text, Any]], preferred: List[Text], ratio: float, kept: List[Text]) -> Dict[Text, Any]:
    """The intent to act on: the top of `ranking` (sorted, most confident first), unless a
    `preferred` intent has at least `ratio` times its confidence; that one then gets the top's.
    A top that is preferred itself, or `kept` (STOP), is never replaced."""
    top = ranking[0]
    if top["name"] in preferred or top["name"] in kept:
        return top
    for entry in ranking[1:]:
        if entry["name"] in preferred and entry["confidence"] >= ratio * top["confidence"]:
            return {"name": entry["name"], "confidence": top["confidence"]}
    return top


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NgramIntentClassifier(GraphComponent, IntentClassifier):
    """Classifies intents from word and character n-grams with a calibrated linear SVM."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """The tokenizer must run first: its words are this classifier's word features."""
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        """Packages Rasa checks before training."""
        return ["sklearn", "skops"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Settings: SVM regularisation, n-gram ranges, how many intents to rank, the intents
        preferred when close to the top (and how close), and the tops never replaced."""
        return {
            "C": 1.0,
            "word_ngrams": [1, 2],
            "char_ngrams": [1, 5],
            "ranking_length": 10,
            "preferred_intents": ["danger_now", "self_harm", "ask_human"],
            "prefer_ratio": 0.6,
            "kept_when_top": ["stop", "report_relative"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model: Optional[Tuple[Any, Any, Any]] = None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NgramIntentClassifier":
        """An untrained classifier."""
        return cls(config, model_storage, resource)

    @staticmethod
    def _inputs(messages: List[Message]) -> Tuple[List[Text], List[Text], List[Text]]:
        """Per message: its folded words, its words as written (lower-cased), and its folded text."""
        words, written, texts = [], [], []
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            words.append(" ".join(fold_latin(token.text) for token in tokens))
            written.append(" ".join(token.text.lower() for token in tokens))
            texts.append(fold_latin(message.get(TEXT) or ""))
        return words, written, texts

    @staticmethod
    def _features(vectorizers: Tuple[Any, Any, Any], inputs: Tuple[List[Text], ...], fit: bool) -> Any:
        from scipy.sparse import hstack

        blocks = [v.fit_transform(i) if fit else v.transform(i) for v, i in zip(vectorizers, inputs)]
        return hstack(blocks).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the vectorizers and the calibrated SVM on every intent example."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: the intent classifier is not trained.")
            return self._resource
        word_vectorizer = TfidfVectorizer(
            token_pattern=r"\S+", lowercase=False, ngram_range=tuple(self.config["word_ngrams"]), sublinear_tf=True
        )
        written_vectorizer = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
        char_vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            lowercase=False,
            ngram_range=tuple(self.config["char_ngrams"]),
            sublinear_tf=True,
            min_df=2,
        )
        vectorizers = (word_vectorizer, written_vectorizer, char_vectorizer)
        features = self._features(vectorizers, self._inputs(examples), fit=True)
        svm = LinearSVC(C=self.config["C"], class_weight="balanced")
        classifier = CalibratedClassifierCV(svm, method="sigmoid", cv=3)
        classifier.fit(features, np.array([e.get(INTENT) for e in examples]))
        self._model = (*vectorizers, classifier)
        self._persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Set the intent and the intent ranking of each message."""
        if self._model is None or not messages:
            return messages
        *vectorizers, classifier = self._model
        features = self._features(tuple(vectorizers), self._inputs(messages), fit=False)
        for message, probabilities in zip(messages, classifier.predict_proba(features)):
            ranking = sorted(
                ({"name": str(name), "confidence": float(p)} for name, p in zip(classifier.classes_, probabilities)),
                key=lambda entry: -entry["confidence"],
            )
            config = self.config
            chosen = choose(ranking, config["preferred_intents"], config["prefer_ratio"], config["kept_when_top"])
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Classify the training examples too, as Rasa's own classifiers do."""
        self.process(training_data.training_examples)
        return training_data

    def _persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self._model, model_dir / _MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "NgramIntentClassifier":
        """Load a trained classifier, refusing any stored type it did not write itself."""
        import skops.io as sio

        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / _MODEL_FILE
                untrusted = set(sio.get_untrusted_types(file=path)) - set(_TRUSTED_TYPES)
                if untrusted:
                    raise ValueError(f"untrusted types in the intent model: {untrusted}")
                component._model = tuple(sio.load(path, trusted=_TRUSTED_TYPES))
        except (ValueError, FileNotFoundError) as error:
            logger.warning("The intent classifier could not be loaded (%s); it will classify nothing.", error)
        return component
