"""The explicit action registry matches the domain, and actions say things by locale key."""

import asyncio

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.registry import all_actions
from core.directory import Directory
from core.locales import LOCALES_DIR, load_file
from core.settings import ROOT


def domain_actions() -> set[str]:
    names = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        names.update(yaml.safe_load(path.read_text()).get("actions") or [])
    return names


def actions(stores) -> list:
    return all_actions(Directory.load(), stores.locations, stores.consents, stores.personal_data)


def test_registry_and_domain_name_the_same_actions(stores):
    assert {action.name() for action in actions(stores)} == domain_actions()


def test_request_human_gives_hotlines_by_locale_key(stores):
    action = next(a for a in actions(stores) if a.name() == "action_request_human")
    dispatcher = CollectingDispatcher()
    tracker = Tracker("c", {}, {}, [], False, None, {}, "action_listen")
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert events == []
    say = dispatcher.messages[0]["custom"]["say"]
    english = load_file(LOCALES_DIR / "en.yml")
    assert all(part["key"] in english for part in say)
    assert say[0]["key"] == "handoff.no_person_yet"
    assert {p["params"]["number"] for p in say if p["key"] == "hotline.line"} >= {"1300", "1362", "111"}
