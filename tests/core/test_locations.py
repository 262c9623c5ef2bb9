"""Shared locations: held in memory, kept for the hotline team only with consent."""

from core.locations import SharedLocations
from core.messages import LocationContent

HOME = LocationContent(13.75, 100.5)
MOVED = LocationContent(13.8, 100.6)


def test_a_location_before_consent_is_pending_and_not_for_the_hotline():
    locations = SharedLocations()
    locations.receive("c1", HOME)
    assert locations.is_pending("c1")
    assert locations.for_hotline("c1") is None


def test_consent_releases_the_held_location_to_the_hotline():
    locations = SharedLocations()
    locations.receive("c1", HOME)
    locations.consent("c1")
    assert not locations.is_pending("c1")
    assert locations.for_hotline("c1") == HOME


def test_consent_given_first_applies_to_the_location_sent_next():
    locations = SharedLocations()
    locations.consent("c1")
    assert locations.for_hotline("c1") is None
    locations.receive("c1", HOME)
    assert locations.for_hotline("c1") == HOME


def test_live_updates_replace_the_fix_only_while_a_consented_share_is_active():
    locations = SharedLocations()
    locations.receive("c1", HOME)
    locations.receive("c1", LocationContent(MOVED.latitude, MOVED.longitude, live=True))
    locations.consent("c1")
    assert locations.for_hotline("c1") == HOME  # the first fix, not the unconsented update
    update = LocationContent(MOVED.latitude, MOVED.longitude, live=True)
    locations.receive("c1", update)
    assert locations.for_hotline("c1") == update


def test_withdraw_drops_the_location_and_the_consent():
    locations = SharedLocations()
    locations.consent("c1")
    locations.receive("c1", HOME)
    locations.withdraw("c1")
    assert locations.for_hotline("c1") is None
    assert not locations.has_consent("c1")
    locations.receive("c1", MOVED)
    assert locations.is_pending("c1")


def test_conversations_are_kept_apart():
    locations = SharedLocations()
    locations.receive("c1", HOME)
    locations.consent("c2")
    assert locations.for_hotline("c1") is None
    assert not locations.is_pending("c2")


def test_coordinates_out_of_range_are_refused():
    import pytest

    for latitude, longitude in ((91, 0), (0, 181), (float("nan"), 0)):
        with pytest.raises(ValueError):
            LocationContent(latitude, longitude)
