"""Data rights with the real bot, over web chat: what is kept, and forget me deleting every
trace of the conversation in the app's database and in Rasa's tracker store."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine

from core.identity import conversation_id
from tests.core.test_data_rights import rows_mentioning
from tests.integration.test_webchat_conversation import TEXTS, bot_texts

pytestmark = pytest.mark.integration
EN = TEXTS["en"]



def test_what_is_kept_names_the_location_consent_and_that_nothing_was_sent(english_chat):
    english_chat.press("/share_location")
    english_chat.press("/consent_location")
    answer = bot_texts(english_chat.say("what do you keep about me?"))
    assert EN["data.kept_intro"] in answer and EN["data.kept_consents"] in answer
    assert EN["data.shared_none"] in answer


def test_no_to_forgetting_keeps_everything(english_chat):
    assert EN["data.forget_ask"] in bot_texts(english_chat.say("please delete all my data"))
    assert EN["data.not_deleted"] in bot_texts(english_chat.press("/keep_data"))


def test_forget_me_leaves_no_trace_in_the_app_or_the_bot(english_chat, stack):
    settings, _ = stack
    marker = uuid.uuid4().hex  # words only this conversation wrote
    english_chat.say(f"my employer took my passport {marker}")
    english_chat.press("/share_location")
    english_chat.press("/consent_location")
    key = conversation_id(settings.secret_key.get_secret_value(), "webchat", english_chat.session)
    app_db = create_engine(settings.resolved_database_url())
    tracker_db = create_engine(settings.resolved_tracker_store_url())
    assert rows_mentioning(app_db, key) and rows_mentioning(tracker_db, key) and rows_mentioning(tracker_db, marker)

    assert EN["data.forget_ask"] in bot_texts(english_chat.say("forget me"))
    assert EN["data.forgotten"] in bot_texts(english_chat.say("yes"))

    assert rows_mentioning(app_db, key) == []
    assert rows_mentioning(tracker_db, key) == []
    assert rows_mentioning(tracker_db, marker) == []
    app_db.dispose()
    tracker_db.dispose()
