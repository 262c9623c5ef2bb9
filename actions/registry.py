"""The explicit list of Saphan's custom actions; a test checks it against the domain."""

from __future__ import annotations

from rasa_sdk import Action

from actions.hotlines import ActionGiveHotlines, ActionRequestHuman
from actions.location import (
    ActionLocationConsent,
    ActionLocationDecline,
    ActionLocationReceived,
    ActionOfferLocation,
    ActionStop,
)
from actions.triage import ActionTrackTriage, ActionTriage
from core.directory import Directory
from core.locations import SharedLocations
from triage import catalogue, cues


def all_actions(directory: Directory, locations: SharedLocations) -> list[Action]:
    """Every custom action, built with what it needs."""
    indicators, phrases = catalogue.load(), cues.load_all()
    return [
        ActionGiveHotlines(directory),
        ActionRequestHuman(directory),
        ActionTriage(indicators, phrases, directory),
        ActionTrackTriage(indicators, phrases, directory),
        ActionOfferLocation(locations),
        ActionLocationReceived(locations),
        ActionLocationConsent(locations),
        ActionLocationDecline(locations),
        ActionStop(locations),
    ]
