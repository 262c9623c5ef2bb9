"""The cue files of every language, and how cues match what people write."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from core.language import normalise
from core.nlu_data import HELD_OUT_DIR, load_examples
from core.settings import LANGUAGES
from triage.catalogue import FAMILIES
from triage.cues import CUES_DIR, InvalidCues, LanguageCues, fold, load_all, load_language

URGENT_INTENTS = {"danger_now", "self_harm", "medical_need"}
# The safety net may fire on a few messages that are not urgent; more would flood the hotline.
MAX_FALSE_ALARM_RATE = 0.05


@pytest.fixture(scope="module")
def cues() -> dict[str, LanguageCues]:
    return load_all()


def test_every_language_has_a_valid_cue_file_with_every_family(cues):
    assert set(cues) == set(LANGUAGES)
    for language in LANGUAGES:
        raw = yaml.safe_load((CUES_DIR / f"{language}.yml").read_text(encoding="utf-8"))
        assert set(raw["families"]) >= set(FAMILIES) - {"child_involved"}, language
        assert all(raw["families"][f] for f in set(FAMILIES) - {"child_involved"}), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_safety_net_rarely_fires_on_messages_that_are_not_urgent(cues, language):
    calm = [t for intent, texts in load_examples(HELD_OUT_DIR, language).items() if intent not in URGENT_INTENTS and not intent.startswith("disclose_") for t in texts]  # fmt: skip
    alarms = [t for t in calm if any(m.signal in URGENT_INTENTS for m in cues[language].find(normalise(t)))]
    assert len(alarms) / len(calm) <= MAX_FALSE_ALARM_RATE, alarms


def test_latin_phrases_match_whole_words_without_diacritics():
    cues = LanguageCues("vi", "1", {"physical_violence": ["bị đánh"], "danger_now": ["kill me"]}, [])
    assert [m.signal for m in cues.find("hom qua toi BI DANH dau lam")] == ["physical_violence"]
    assert cues.find("they will skill meat") == []
    assert cues.find("kill me now")[0].words == "kill me"


def test_other_scripts_match_anywhere_and_report_the_words_written():
    cues = LanguageCues("th", "1", {"document_retention": ["ยึดพาสปอร์ต"]}, [])
    (match,) = cues.find("นายจ้างยึดพาสปอร์ตผมไว้")
    assert (match.signal, match.words) == ("document_retention", "ยึดพาสปอร์ต")


def test_ages_are_read_from_native_digits_too():
    cues = LanguageCues("my", "1", {}, [r"(?P<age>\d{1,2}) နှစ်"])
    assert cues.ages("ကျွန်မ ၁၅ နှစ်") == [15]
    assert fold("Đi ĐÂU") == "di dau"


def test_a_cue_file_missing_a_key_or_an_age_group_is_refused(tmp_path: Path):
    good = (CUES_DIR / "en.yml").read_text(encoding="utf-8")
    missing = tmp_path / "missing.yml"
    missing.write_text(re.sub(r"(?m)^danger_now:", "danger_later:", good), encoding="utf-8")
    with pytest.raises(InvalidCues, match="danger_now"):
        load_language(missing)
    groupless = tmp_path / "groupless.yml"
    groupless.write_text(good.replace("age_patterns:", "age_patterns:\n  - '(\\d+) years'", 1), encoding="utf-8")
    with pytest.raises(InvalidCues, match="age"):
        load_language(groupless)
