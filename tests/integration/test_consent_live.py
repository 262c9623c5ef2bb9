"""Consent, seeing, withdrawing and deleting, in every language, with the real bot over web chat:
a person asks for a person, sees the summary before it is passed on, answers, asks what is kept,
takes their agreement back, and has everything deleted; and someone asking about another person
learns nothing (DNH-32)."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import create_engine

from core.directory import Directory
from core.identity import conversation_id
from core.locales import Catalog
from core.menus import consent_payload, language_payload
from core.settings import LANGUAGES, ROOT
from core.teams import Teams
from tests.core.test_data_rights import rows_mentioning
from tests.integration.test_webchat_conversation import TEXTS, bot_texts, first_example

pytestmark = pytest.mark.integration
CATALOG = Catalog.load()
TEAMS, DIRECTORY = Teams.load(), Directory.load()


def data_rights_examples(language: str, intent: str) -> list[str]:
    """Training examples of a data-rights intent in `language` (the model has seen them)."""
    data = yaml.safe_load((ROOT / "nlu" / language / "data_rights.yml").read_text(encoding="utf-8"))
    block = next(item for item in data["nlu"] if item["intent"] == intent)
    return [line.lstrip("- ").strip() for line in block["examples"].splitlines() if line.strip()]


def buttons(frames: list[dict]) -> list[str]:
    return [reply["payload"] for frame in frames if frame["type"] == "bot" for reply in frame["quick_replies"]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_person_sees_the_summary_answers_sees_what_is_kept_withdraws_and_is_forgotten(chat, stack, language):
    settings, _ = stack
    said = TEXTS[language]
    line = DIRECTORY.by_id(TEAMS.get(TEAMS.route(None, language)).hotline)
    number = line.number
    chat.press(language_payload(language))

    asked = chat.say(first_example(language, "ask_human"))
    assert said["summary.intro"] in bot_texts(asked), "the summary is shown before anything is passed on"
    question = CATALOG.text(language, "consent.handover.ask", {"country": f"@country.{line.country}", "number": number})
    assert question in bot_texts(asked), "the team that would receive it is named"
    assert buttons(asked)[-2:] == [consent_payload("handover", True), consent_payload("handover", False)]

    given = chat.press(consent_payload("handover", True))
    assert said["consent.handover.given"] in bot_texts(given) and said["consent.transcript.ask"] in bot_texts(given)
    assert said["consent.transcript.refused"] in bot_texts(chat.press(consent_payload("transcript", False)))

    kept = bot_texts(chat.say(data_rights_examples(language, "ask_what_kept")[0]))
    assert said["data.kept_intro"] in kept and said["data.shared_intro"] in kept and f"({number})" in kept

    withdrawn = bot_texts(chat.say(data_rights_examples(language, "withdraw_consent")[0]))
    assert said["data.withdrawn"] in withdrawn and said["data.already_seen"] in withdrawn

    key = conversation_id(settings.secret_key.get_secret_value(), "webchat", chat.session)
    app_db = create_engine(settings.resolved_database_url())
    tracker_db = create_engine(settings.resolved_tracker_store_url())
    assert rows_mentioning(app_db, key) and rows_mentioning(tracker_db, key)
    assert said["data.forget_ask"] in bot_texts(chat.say(data_rights_examples(language, "forget_me")[0]))
    assert said["data.forgotten"] in bot_texts(chat.press("/confirm_forget"))
    assert rows_mentioning(app_db, key) == [] and rows_mentioning(tracker_db, key) == []
    app_db.dispose()
    tracker_db.dispose()


@pytest.mark.parametrize("language", LANGUAGES)
def test_asking_about_another_person_learns_nothing_whoever_is_named(chat, language):
    chat.press(language_payload(language))
    first, second = data_rights_examples(language, "ask_about_person")[:2]
    answers = [bot_texts(chat.say(first)), bot_texts(chat.say(second))]
    expected = "\n\n".join(TEXTS[language][key] for key in ("third_party.never_confirm", "third_party.can_help"))
    assert answers == [expected, expected], "the same answer whoever is asked about, confirming nothing"
