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


def said(action_class, locations: SharedLocations, sender: str = "c1") -> list[tuple[list[str], str | None]]:
    """Run one action for `sender`; return each message's locale keys and menu."""
    tracker = Tracker(sender, {}, {"intent": {"name": "x"}, "metadata": {"language": "en"}}, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action_class(locations).run(dispatcher, tracker, {})) == []
    return [([part["key"] for part in m["custom"]["say"]], m["custom"].get("menu")) for m in dispatcher.messages]


ASK = [(["location.explain", "location.ask"], "location_consent")]


def test_offering_explains_who_sees_the_location_and_asks_with_equal_choices():
    assert said(ActionOfferLocation, SharedLocations()) == ASK


def test_after_yes_the_person_is_shown_how_to_send_it():
    locations = SharedLocations()
    assert said(ActionLocationConsent, locations) == [(["location.how"], "send_location")]
    assert locations.has_consent("c1")
    assert said(ActionOfferLocation, locations) == [(["location.how"], "send_location")]


def test_a_location_sent_unasked_is_held_and_the_question_asked_first():
    locations = SharedLocations()
    locations.receive("c1", HERE)
    assert said(ActionLocationReceived, locations) == ASK
    assert locations.for_hotline("c1") is None
    assert said(ActionLocationConsent, locations) == [(["location.received"], "main")]
    assert locations.for_hotline("c1") == HERE


def test_a_location_after_consent_is_acknowledged():
    locations = SharedLocations()
    locations.consent("c1")
    locations.receive("c1", HERE)
    assert said(ActionLocationReceived, locations) == [(["location.received"], "main")]


@pytest.mark.parametrize("action_class", [ActionLocationDecline, ActionStop])
def test_no_and_stop_drop_the_location_and_the_consent(action_class):
    locations = SharedLocations()
    locations.consent("c1")
    locations.receive("c1", HERE)
    messages = said(action_class, locations)
    assert locations.for_hotline("c1") is None and not locations.has_consent("c1")
    expected = "location.declined" if action_class is ActionLocationDecline else "stop.done"
    assert messages[0][0][0] == expected


def test_one_persons_consent_is_not_anothers():
    locations = SharedLocations()
    said(ActionLocationConsent, locations, sender="c1")
    locations.receive("c2", HERE)
    assert said(ActionLocationReceived, locations, sender="c2") == ASK
