"""The explicit action registry matches the domain, and actions say things by locale key."""

import asyncio

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.registry import all_actions
from core.directory import Directory
from core.settings import ROOT


def domain_actions() -> set[str]:
    names = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        names.update(yaml.safe_load(path.read_text()).get("actions") or [])
    return names


def actions(stores) -> list:
    return all_actions(
        Directory.load(),
        stores.locations,
        stores.consents,
        stores.personal_data,
        stores.handover,
        stores.case_records,
        retention_days=90,
    )


def test_registry_and_domain_name_the_same_actions(stores):
    assert {action.name() for action in actions(stores)} == domain_actions()


def test_a_request_for_a_person_asks_the_app_for_a_case(stores):
    action = next(a for a in actions(stores) if a.name() == "action_request_human")
    dispatcher = CollectingDispatcher()
    triage = {"risk": "medium", "urgent": False, "families": ["withheld_wages"]}
    tracker = Tracker("c", {"triage": triage}, {}, [], False, None, {}, "action_listen")
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert events == []
    custom = dispatcher.messages[0]["custom"]
    assert custom["say"] == [] and custom["handoff"] == {"reason": "person", "triage": triage}


def test_a_question_about_legal_channels_is_answered_with_the_statements_for_the_persons_language(stores):
    action = next(a for a in actions(stores) if a.name() == "action_give_information")
    message = {"intent": {"name": "ask_legal_migration"}, "metadata": {"language": "km"}}
    dispatcher = CollectingDispatcher()
    tracker = Tracker("c", {}, message, [], False, None, {}, "action_listen")
    assert asyncio.run(action.run(dispatcher, tracker, {})) == []
    said = [part["key"] for part in dispatcher.messages[0]["custom"]["say"]]
    assert said[0] == "info.legal_migration.what" and "info.legal_migration.border_pass" in said
    assert "info.legal_migration.indonesia" not in said
