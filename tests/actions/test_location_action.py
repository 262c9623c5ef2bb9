"""The location actions: explain and ask first, keep only with a yes, drop on no and on STOP."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.location import (
    ActionLocationConsent,
    ActionLocationDecline,
    ActionLocationReceived,
    ActionOfferLocation,
    ActionStop,
)
from core.locations import SharedLocations
from core.messages import LocationContent

HERE = LocationContent(16.8, 96.15)


@pytest.fixture()
def consent_log(stores):
    """The consent log the actions write to, with the conversations of these tests open."""
    for conversation in ("c1", "c2"):
        stores.open_conversation(conversation, "th")
    return stores.consents


def said(action_class, locations: SharedLocations, consents, sender: str = "c1") -> list[tuple[list[str], str | None]]:
    """Run one action for `sender`; return each message's locale keys and menu."""
    tracker = Tracker(sender, {}, {"intent": {"name": "x"}, "metadata": {"language": "th"}}, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action_class(locations, consents).run(dispatcher, tracker, {})) == []
    return [([part["key"] for part in m["custom"]["say"]], m["custom"].get("menu")) for m in dispatcher.messages]


ASK = [(["location.explain", "location.ask"], "location_consent")]


def test_offering_explains_who_sees_the_location_and_asks_with_equal_choices(consent_log):
    assert said(ActionOfferLocation, SharedLocations(), consent_log) == ASK


def test_after_yes_the_person_is_shown_how_to_send_it(consent_log):
    locations = SharedLocations()
    assert said(ActionLocationConsent, locations, consent_log) == [(["location.how"], "send_location")]
    assert locations.has_consent("c1")
    assert said(ActionOfferLocation, locations, consent_log) == [(["location.how"], "send_location")]


def test_a_location_sent_unasked_is_held_and_the_question_asked_first(consent_log):
    locations = SharedLocations()
    locations.receive("c1", HERE)
    assert said(ActionLocationReceived, locations, consent_log) == ASK
    assert locations.for_hotline("c1") is None
    assert said(ActionLocationConsent, locations, consent_log) == [(["location.received"], "main")]
    assert locations.for_hotline("c1") == HERE


def test_a_location_after_consent_is_acknowledged(consent_log):
    locations = SharedLocations()
    locations.consent("c1")
    locations.receive("c1", HERE)
    assert said(ActionLocationReceived, locations, consent_log) == [(["location.received"], "main")]


@pytest.mark.parametrize("action_class", [ActionLocationDecline, ActionStop])
def test_no_and_stop_drop_the_location_and_the_consent(action_class, consent_log):
    locations = SharedLocations()
    locations.consent("c1")
    locations.receive("c1", HERE)
    messages = said(action_class, locations, consent_log)
    assert locations.for_hotline("c1") is None and not locations.has_consent("c1")
    expected = "location.declined" if action_class is ActionLocationDecline else "stop.done"
    assert messages[0][0][0] == expected


def test_one_persons_consent_is_not_anothers(consent_log):
    locations = SharedLocations()
    said(ActionLocationConsent, locations, consent_log, sender="c1")
    locations.receive("c2", HERE)
    assert said(ActionLocationReceived, locations, consent_log, sender="c2") == ASK


def test_each_yes_and_no_is_logged_with_the_question_version_and_language(consent_log):
    locations = SharedLocations()
    said(ActionLocationConsent, locations, consent_log)
    said(ActionLocationDecline, locations, consent_log)
    history = consent_log.history("c1")
    assert [(d.kind, d.granted, d.language) for d in history] == [("location", True, "th"), ("location", False, "th")]
    assert len(history[0].text_version) == 12 and history[0].text_version == history[1].text_version
    assert not consent_log.current("c1")["location"].granted


def test_stop_logs_a_no_only_for_a_consent_that_was_given(consent_log):
    locations = SharedLocations()
    said(ActionStop, locations, consent_log, sender="c2")
    assert consent_log.history("c2") == []
    said(ActionLocationConsent, locations, consent_log)
    said(ActionStop, locations, consent_log)
    assert [d.granted for d in consent_log.history("c1")] == [True, False]
