"""Safe-migration information is complete, sourced, dated and said in the person's language
(data/information.yml)."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from core.information import Information, InvalidInformation
from core.locales import LOCALES_DIR, load_file
from core.settings import LANGUAGES, ROOT

SEEDS = ("000 L", "001 L", "../shared/research/")
INFORMATION = Information.load()


def test_every_information_intent_has_an_answer_and_every_answer_an_intent():
    domain = yaml.safe_load((ROOT / "bot" / "domain" / "information.yml").read_text(encoding="utf-8"))
    assert set(INFORMATION.topics) == set(domain["intents"])


def test_every_statement_names_its_source_and_a_date():
    for statement in INFORMATION.statements():
        assert statement.source.startswith(SEEDS), statement.key
        assert statement.verified <= date.today(), statement.key


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_statement_is_written_in_every_language(language):
    texts = load_file(LOCALES_DIR / f"{language}.yml")
    missing = [s.key for s in INFORMATION.statements() if not texts.get(s.key, "").strip()]
    assert missing == []


def test_every_info_text_is_said_somewhere():
    said = {statement.key for statement in INFORMATION.statements()}
    written = {key for key in load_file(LOCALES_DIR / "en.yml") if key.startswith("info.")}
    assert written == said


def keys(topic: str, language: str) -> list[str]:
    return [part.key for part in INFORMATION.parts(topic, language)]


def test_the_way_from_the_persons_country_is_told_to_them_only():
    assert "info.legal_migration.border_pass" in keys("ask_legal_migration", "km")
    assert "info.legal_migration.mou_thailand" in keys("ask_legal_migration", "my")
    assert "info.legal_migration.indonesia" in keys("ask_legal_migration", "id")
    assert "info.legal_migration.viet_nam" in keys("ask_legal_migration", "vi")
    assert keys("ask_legal_migration", "th") == ["info.legal_migration.what"]
    assert "info.job_offer.china" in keys("ask_job_offer", "lo")
    assert "info.job_offer.china" in keys("ask_job_offer", "vi")
    assert "info.job_offer.china" not in keys("ask_job_offer", "my")
    assert "info.rights.indonesia_malaysia" in keys("ask_rights", "id")
    assert "info.rights.indonesia_malaysia" not in keys("ask_rights", "vi")
    assert keys("ask_rights", "lo")[-1] == "info.rights.elsewhere", "Thailand's rules are not said to be everyone's"


def test_an_unknown_topic_says_nothing():
    assert INFORMATION.parts("ask_weather", "en") == ()


def write(tmp_path: Path, statement: dict) -> Path:
    path = tmp_path / "information.yml"
    path.write_text(yaml.safe_dump({"topics": {"ask_rights": [statement]}}), encoding="utf-8")
    return path


GOOD = {"key": "info.rights.help", "source": "000 L4283", "verified": date(2026, 11, 24)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": " "}, "names its source"),
        ({"verified": "recently"}, "verified must be a date"),
        ({"key": "hotline.intro"}, "locale key under info."),
        ({"languages": ["fr"]}, "languages is a list"),
        ({"lang": ["th"]}, "unknown field 'lang'"),
    ],
)
def test_a_broken_statement_is_refused_with_its_topic(tmp_path, change, message):
    with pytest.raises(InvalidInformation, match=message) as error:
        Information.load(write(tmp_path, {**GOOD, **change}))
    assert "topic ask_rights, statement 1" in str(error.value)


@pytest.mark.parametrize("text", ["", "topics: []\n", "- a list\n", "topics:\n  ask_rights: []\n"])
def test_a_file_without_topics_is_refused(tmp_path, text):
    path = tmp_path / "information.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInformation):
        Information.load(path)
