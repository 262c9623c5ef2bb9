"""The explicit list of Saphan's custom actions; a test checks it against the domain."""

from __future__ import annotations

from rasa_sdk import Action

from actions.data_rights import ActionAskForget, ActionForget, ActionKeepData, ActionWhatKept, ActionWithdrawConsent
from actions.family import ActionFamilyReport
from actions.hotlines import ActionGiveHotlines, ActionRequestHuman
from actions.information import ActionGiveInformation
from actions.location import (
    ActionLocationConsent,
    ActionLocationDecline,
    ActionLocationReceived,
    ActionOfferLocation,
    ActionStop,
)
from actions.triage import ActionTrackTriage, ActionTriage
from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.directory import Directory
from core.handover import Handover
from core.information import Information
from core.line_groups import GroupWords
from core.locations import SharedLocations
from core.places import CountryNames
from triage import catalogue, cues


def all_actions(
    directory: Directory,
    locations: SharedLocations,
    consents: ConsentLog,
    personal_data: PersonalData,
    handover: Handover,
    case_records: CaseRecords,
    retention_days: int,
) -> list[Action]:
    """Every custom action, built with what it needs."""
    indicators, phrases = catalogue.load(), cues.load_all()
    return [
        ActionGiveHotlines(directory, CountryNames.load(), GroupWords.load()),
        ActionGiveInformation(Information.load()),
        ActionFamilyReport(directory),
        ActionRequestHuman(),
        ActionTriage(indicators, phrases, directory),
        ActionTrackTriage(indicators, phrases, directory),
        ActionOfferLocation(locations, consents),
        ActionLocationReceived(locations, consents),
        ActionLocationConsent(locations, consents),
        ActionLocationDecline(locations, consents),
        ActionStop(locations, consents),
        ActionWhatKept(personal_data, handover, retention_days),
        ActionWithdrawConsent(consents, locations, handover, case_records),
        ActionAskForget(),
        ActionForget(),
        ActionKeepData(),
    ]
