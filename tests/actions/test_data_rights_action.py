"""The data-rights actions: what is kept, withdrawing, and forget me asked before it is done."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.data_rights import ActionAskForget, ActionForget, ActionKeepData, ActionWhatKept, ActionWithdrawConsent
from core.messages import LocationContent


def run(action, sender: str = "c1") -> list[dict]:
    tracker = Tracker(sender, {}, {"intent": {"name": "x"}, "metadata": {"language": "lo"}}, [], False, None, {}, "")
    dispatcher = CollectingDispatcher()
    assert asyncio.run(action.run(dispatcher, tracker, {})) == []
    return [message["custom"] for message in dispatcher.messages]


def keys(said: list[dict]) -> list[str]:
    return [part["key"] for message in said for part in message["say"]]


def what_kept(stores) -> ActionWhatKept:
    return ActionWhatKept(stores.personal_data, stores.handover, retention_days=90)


def withdraw(stores) -> ActionWithdrawConsent:
    return ActionWithdrawConsent(stores.consents, stores.locations, stores.handover, stores.case_records)


def test_what_is_kept_lists_only_what_exists_and_what_the_team_could_see(stores):
    assert keys(run(what_kept(stores))) == [
        "data.kept_nothing", "data.shared_none", "data.forget_hint"
    ]  # fmt: skip
    stores.open_conversation("c1", "lo")
    stores.consents.record("c1", "location", True, "lo")
    stores.locations.consent("c1")
    stores.locations.receive("c1", LocationContent(17.97, 102.6))
    assert keys(run(what_kept(stores))) == [
        "data.kept_intro", "data.kept_language", "data.kept_consents", "data.kept_location",
        "data.shared_intro", "data.shared_location", "data.forget_hint",
    ]  # fmt: skip


def test_withdrawing_logs_a_no_drops_the_location_and_says_what_was_already_seen(stores):
    stores.open_conversation("c1", "lo")
    stores.consents.record("c1", "location", True, "lo")
    stores.locations.consent("c1")
    stores.locations.receive("c1", LocationContent(17.97, 102.6))
    said = run(withdraw(stores))
    assert keys(said) == [
        "data.withdrawn", "data.withdrawn_location", "data.shared_intro", "data.shared_location", "data.already_seen"
    ]  # fmt: skip
    assert not stores.consents.current("c1")["location"].granted
    assert stores.locations.for_hotline("c1") is None
    assert keys(run(withdraw(stores))) == ["data.nothing_to_withdraw", "data.shared_none"]


def test_forget_me_is_asked_with_equal_choices_and_only_the_yes_marks_the_deletion():
    asked = run(ActionAskForget())
    assert keys(asked) == ["data.forget_ask"] and asked[0]["menu"] == "forget_confirm"
    confirmed = run(ActionForget())
    assert keys(confirmed) == ["data.forgotten"] and confirmed[0]["forget"] is True
    kept = run(ActionKeepData())
    assert keys(kept) == ["data.not_deleted", "menu.prompt"] and "forget" not in kept[0]
