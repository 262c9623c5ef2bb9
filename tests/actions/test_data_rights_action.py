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


def test_what_is_kept_lists_only_what_exists_and_says_nothing_was_sent(stores):
    assert keys(run(ActionWhatKept(stores.personal_data))) == [
        "data.kept_nothing", "data.shared_none", "data.forget_hint"
    ]  # fmt: skip
    stores.open_conversation("c1", "lo")
    stores.consents.record("c1", "location", True, "lo")
    stores.locations.consent("c1")
    stores.locations.receive("c1", LocationContent(17.97, 102.6))
    assert keys(run(ActionWhatKept(stores.personal_data))) == [
        "data.kept_intro", "data.kept_language", "data.kept_consents", "data.kept_location",
        "data.shared_none", "data.forget_hint",
    ]  # fmt: skip


def test_withdrawing_logs_a_no_drops_the_location_and_says_so(stores):
    stores.open_conversation("c1", "lo")
    stores.consents.record("c1", "location", True, "lo")
    stores.locations.consent("c1")
    stores.locations.receive("c1", LocationContent(17.97, 102.6))
    said = run(ActionWithdrawConsent(stores.consents, stores.locations))
    assert keys(said) == ["data.withdrawn", "data.withdrawn_location", "data.shared_none"]
    assert not stores.consents.current("c1")["location"].granted
    assert stores.locations.for_hotline("c1") is None
    assert keys(run(ActionWithdrawConsent(stores.consents, stores.locations))) == [
        "data.nothing_to_withdraw", "data.shared_none"
    ]  # fmt: skip


def test_forget_me_is_asked_with_equal_choices_and_only_the_yes_marks_the_deletion():
    asked = run(ActionAskForget())
    assert keys(asked) == ["data.forget_ask"] and asked[0]["menu"] == "forget_confirm"
    confirmed = run(ActionForget())
    assert keys(confirmed) == ["data.forgotten"] and confirmed[0]["forget"] is True
    kept = run(ActionKeepData())
    assert keys(kept) == ["data.not_deleted", "menu.prompt"] and "forget" not in kept[0]
