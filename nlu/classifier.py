"""Saphan's intent classifier: TF-IDF word and character n-grams into linear SVMs.

Every language's examples train one model. Words come from the tokenizer (so Thai, Lao, Khmer
and Burmese are segmented); character n-grams (1-5, within words) catch misspellings, missing
tone marks and Zawgyi-converted spellings. Latin-script letters are lower-cased and stripped of
their diacritics on both sides, so Vietnamese typed without diacritics meets the same features
as Vietnamese typed with them; the words as written (lower-cased, diacritics kept) are features
too, so where the diacritics are typed they still tell words apart (đúng "right" is not dừng
"stop").

A linear SVM separates the intents, one against the rest, and a sigmoid calibration (three-fold,
inside the training data) turns its scores into confidences that the fallback threshold can use.
Close intents are told apart better by a model that saw only those two, so each critical intent
(danger, self-harm, a request for a person, STOP) has a pairwise SVM against every other intent,
trained on those two intents' examples alone; when one of the top two intents is critical, their
pairwise SVM decides which of them leads. In five-fold cross-validation on the training data the
pairwise SVMs and the STOP preference below missed 606 critical examples where the calibrated
SVM alone missed 695 (the preference alone: 656), with macro-F1 within 0.005 in every language.
The classifier trains in about a minute.

Missing a cry for help costs far more than answering one that was not, so some intents are
`preferred` when they come close to the top (with the top's confidence, so the fallback
threshold judges the message as before):
- danger, self-harm and a request for a person, within 0.6 of the top's confidence, over any
  top that is not kept. At 0.5 the macro-F1 of English fell below 0.90 on the held-out sets.
- STOP, within 0.3, over a goodbye, a request to be forgotten or a withdrawal of consent: a
  hurried "bye", "erase this" or "pause, don't send anything" from someone who must hide the
  phone should end the chat and any waiting handoff at once, without the confirmation question
  that forgetting asks (DNH-7); a case it ends passes nothing more to the team. Adding the
  withdrawal saved 4 critical misses in cross-validation, with macro-F1 within 0.001.
Two tops are never replaced (`kept_when_top`): STOP, because ending a chat that was not meant
to end ("I could not stop him") would silence a disclosure, and a report about a relative,
whose own flow asks what happened and gives the hotlines (a danger phrase in it still makes it
urgent through the safety net). This module runs in the bot process (Python 3.10).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
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
# Three vectorizers, the calibrated SVM and the pairwise SVMs (by `pair_key`).
_MODEL_PARTS = 5
# The types inside a trained model that skops does not trust by default. Loading refuses any other.
_TRUSTED_TYPES = [
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
]


def choose(ranking: List[Dict[Text, Any]], preferences: List[Dict[Text, Any]], kept: List[Text]) -> Dict[Text, Any]:
    """The intent to act on: the top of `ranking` (sorted, most confident first), unless one of
    a preference's `intents` has at least its `ratio` times the top's confidence and the top is
    one it may replace (`over`, or any top when it names none); that intent then gets the top's
    confidence. Preferences are tried in order. A top that is preferred itself, or `kept`, is
    never replaced."""
    top = ranking[0]
    if top["name"] in kept or any(top["name"] in preference["intents"] for preference in preferences):
        return top
    for preference in preferences:
        if preference.get("over") and top["name"] not in preference["over"]:
            continue
        close_enough = preference["ratio"] * top["confidence"]
        for entry in ranking[1:]:
            if entry["name"] in preference["intents"] and entry["confidence"] >= close_enough:
                return {"name": entry["name"], "confidence": top["confidence"]}
    return top


def pair_key(first: Text, second: Text) -> Text:
    """The name of the pairwise SVM that tells two intents apart."""
    return " | ".join(sorted((first, second)))


def lead_with(ranking: List[Dict[Text, Any]], intent: Text) -> List[Dict[Text, Any]]:
    """`ranking` with `intent` first, carrying the top confidence."""
    rest = [entry for entry in ranking if entry["name"] != intent]
    return [{"name": intent, "confidence": ranking[0]["confidence"]}, *rest]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class NgramIntentClassifier(GraphComponent, IntentClassifier):
    """Classifies intents from word and character n-grams with a calibrated linear SVM."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """The tokenizer must run first: its words are this classifier's word features."""
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """This module's code: Rasa's training cache must not reuse what other code trained."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    @staticmethod
    def required_packages() -> List[Text]:
        """Packages Rasa checks before training."""
        return ["sklearn", "skops"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Settings: SVM regularisation, n-gram ranges, how many intents to rank, the intents with
        pairwise SVMs, the intents preferred when close to the top (how close, and over which
        tops), and the tops never replaced."""
        return {
            "C": 1.0,
            "word_ngrams": [1, 2],
            "char_ngrams": [1, 5],
            "ranking_length": 10,
            "pairwise_intents": ["danger_now", "self_harm", "ask_human", "stop"],
            "preferences": [
                {"intents": ["danger_now", "self_harm", "ask_human"], "ratio": 0.6},
                {"intents": ["stop"], "ratio": 0.3, "over": ["goodbye", "forget_me", "withdraw_consent"]},
            ],
            "kept_when_top": ["stop", "report_relative"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model: Optional[Tuple[Any, ...]] = None

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
        """Fit the vectorizers and the calibrated SVM on every intent example, and the pairwise
        SVMs on their two intents' examples."""
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
        intents = np.array([e.get(INTENT) for e in examples])
        svm = LinearSVC(C=self.config["C"], class_weight="balanced")
        calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=3).fit(features, intents)
        pairwise = {}
        for critical in self.config["pairwise_intents"]:
            for other in calibrated.classes_:
                if other != critical and pair_key(critical, other) not in pairwise:
                    both = np.isin(intents, [critical, other])
                    pair = LinearSVC(C=self.config["C"], class_weight="balanced").fit(features[both], intents[both])
                    pairwise[pair_key(critical, other)] = pair.sparsify()
        self._model = (*vectorizers, calibrated, pairwise)
        self._persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Set the intent and the intent ranking of each message."""
        if self._model is None or not messages:
            return messages
        *vectorizers, calibrated, pairwise = self._model
        features = self._features(tuple(vectorizers), self._inputs(messages), fit=False)
        for row, (message, probabilities) in enumerate(zip(messages, calibrated.predict_proba(features))):
            ranking = sorted(
                ({"name": str(name), "confidence": float(p)} for name, p in zip(calibrated.classes_, probabilities)),
                key=lambda entry: -entry["confidence"],
            )
            pair = pairwise.get(pair_key(ranking[0]["name"], ranking[1]["name"]))
            if pair is not None:
                ranking = lead_with(ranking, str(pair.predict(features[row])[0]))
            chosen = choose(ranking, self.config["preferences"], self.config["kept_when_top"])
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
                model = tuple(sio.load(path, trusted=_TRUSTED_TYPES))
                if len(model) != _MODEL_PARTS:
                    raise ValueError("the model was trained by an older Saphan; train it again")
                component._model = model
        except (ValueError, FileNotFoundError) as error:
            logger.warning("The intent classifier could not be loaded (%s); it will classify nothing.", error)
        return component
