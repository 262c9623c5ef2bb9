"""Every language has every intent, enough examples, and a held-out set never trained on."""

import re

import pytest

from core.nlu_data import load_examples as examples
from core.settings import LANGUAGES, ROOT

INTENTS_DOC = (ROOT / "nlu" / "INTENTS.md").read_text()
CRITICAL = set(re.findall(r"^\| `(\w+)` ★", INTENTS_DOC, re.M)) | {
    name for name in re.findall(r"^\| `(\w+)` \|", INTENTS_DOC, re.M) if name.startswith(("disclose_", "report_"))
} | set(re.findall(r"^\| `(\w+)` \| (?:danger|wants to die|injured)", INTENTS_DOC, re.M))
ALL_INTENTS = set(re.findall(r"^\| `(\w+)`", INTENTS_DOC, re.M))


def test_the_intent_document_marks_the_safety_critical_intents():
    assert {"ask_human", "stop", "danger_now", "self_harm", "medical_need", "disclose_confinement"} <= CRITICAL
    assert len(ALL_INTENTS) == 39


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_enough_training_and_held_out_examples(language):
    train, held_out = examples(ROOT / "nlu", language), examples(ROOT / "tests" / "nlu", language)
    assert set(train) == ALL_INTENTS and set(held_out) == ALL_INTENTS
    for intent in ALL_INTENTS:
        minimum = 45 if intent in CRITICAL else 24
        assert len(train[intent]) >= minimum, (language, intent)
        share = len(held_out[intent]) / (len(held_out[intent]) + len(train[intent]))
        assert share >= 0.15, (language, intent)


def test_held_out_examples_are_never_trained_on_in_any_language():
    """One model learns every language, so a held-out text must not be in any training set."""
    train = {e.casefold() for lang in LANGUAGES for items in examples(ROOT / "nlu", lang).values() for e in items}
    held_out = {e.casefold() for lang in LANGUAGES for items in examples(ROOT / "tests" / "nlu", lang).values() for e in items}
    assert train & held_out == set()
