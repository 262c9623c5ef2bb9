"""`action_triage` in a conversation: thanks, gentle questions asked once, urgent escalation."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.triage import MAX_QUESTIONS, ActionTrackTriage, ActionTriage
from core.directory import Directory
from triage import catalogue, cues


def user(text: str, intent: str, confidence: float = 0.8) -> dict:
    ranking = [{"name": intent, "confidence": confidence}]
    return {"event": "user", "text": text, "parse_data": {"intent": ranking[0], "intent_ranking": ranking},
            "metadata": {"language": "en"}}  # fmt: skip


def run(events: list[dict], slots: dict | None = None) -> tuple[list[dict], dict]:
    """Run the action after `events`; return what it said and the slots it set."""
    latest = events[-1]
    tracker = Tracker("c1", slots or {}, {**latest["parse_data"], "metadata": latest["metadata"], "text": latest["text"]},
                      events, False, None, {}, "action_listen")  # fmt: skip
    dispatcher = CollectingDispatcher()
    action = ActionTriage(catalogue.load(), cues.load_all(), Directory.load())
    set_events = asyncio.run(action.run(dispatcher, tracker, {}))
    slots_set = {}
    for event in set_events:
        if event["event"] == "slot":
            slots_set[event["name"]] = event["value"]
    return [m["custom"] for m in dispatcher.messages], slots_set


def keys(said: list[dict]) -> list[str]:
    return [part["key"] for message in said for part in message["say"]]


def test_a_disclosure_is_thanked_and_followed_by_the_open_question_with_a_skip_button():
    said, slots = run([user("they pay me less than promised", "disclose_wages_withheld")])
    assert keys(said)[:2] == ["disclosure.thanks", "triage.question.open"]
    assert said[0]["menu"] == "skip"
    assert slots["triage_question"] == "open" and slots["triage_asked"] == ["open"]
    assert slots["triage"]["risk"] == "medium" and slots["triage"]["families"] == ["withheld_wages"]


def test_questions_are_never_asked_twice_and_end_with_a_person():
    events = [user("they pay me less than promised", "disclose_wages_withheld")]
    asked: list[str] = []
    slots: dict = {}
    for _ in range(MAX_QUESTIONS + 1):
        said, set_now = run(events, {"triage_asked": asked, "triage_question": slots.get("triage_question")})
        slots = set_now
        if set_now.get("triage_question"):
            asked = set_now["triage_asked"]
            events += [{"event": "slot", "name": "triage_question", "value": set_now["triage_question"]},
                       user("skip", "skip_question")]  # fmt: skip
    assert len(asked) == len(set(asked)) == MAX_QUESTIONS
    assert "handoff.offer" in keys(said) and "hotline.line" in keys(said)
    assert not any("handoff" in message for message in said)  # offered, not opened: the person decides


def test_answering_no_to_can_you_leave_escalates_at_once():
    events = [user("they pay me less than promised", "disclose_wages_withheld"),
              {"event": "slot", "name": "triage_question", "value": "can_leave"}, user("no", "deny")]  # fmt: skip
    said, slots = run(events, {"triage_question": "can_leave", "triage_asked": ["open", "can_leave"]})
    assert keys(said)[:2] == ["triage.thanks_answer", "urgent.offer_person"]
    assert slots["triage"]["urgent"] is True and slots["triage_question"] is None


def test_a_danger_message_gets_the_hotlines_with_their_hours_and_no_question():
    said, slots = run([user("help they will kill me", "danger_now")])
    assert keys(said)[:2] == ["disclosure.thanks", "urgent.offer_person"]
    hours = [dict(p["params"])["hours"] for m in said for p in m["say"] if p["key"] == "hotline.line"]
    assert "@hotline.hours_24h" in hours
    assert "triage.question.open" not in keys(said) and slots["triage_question"] is None
    assert said[-1]["handoff"]["reason"] == "urgent" and said[-1]["handoff"]["triage"]["urgent"] is True


def test_a_yes_or_no_with_no_question_pending_is_not_taken_as_an_answer():
    said, slots = run([user("yes", "affirm")])
    assert keys(said) == ["fallback.not_understood"] and slots["triage"]["risk"] == "none"


def test_someone_writing_about_a_relative_gets_only_the_open_question():
    events = [user("my brother on a boat does not answer for a month", "report_relative"),
              {"event": "slot", "name": "triage_question", "value": "open"}, user("skip", "skip_question")]  # fmt: skip
    said, slots = run(events, {"triage_question": "open", "triage_asked": ["open"]})
    assert not any(key.startswith("triage.question") for key in keys(said))
    assert "handoff.offer" in keys(said) and slots["triage"]["risk"] == "low"


def track(events: list[dict], slots: dict | None = None) -> tuple[list[dict], dict]:
    latest = events[-1]
    tracker = Tracker("c1", slots or {}, {**latest["parse_data"], "metadata": latest["metadata"], "text": latest["text"]},
                      events, False, None, {}, "action_listen")  # fmt: skip
    dispatcher = CollectingDispatcher()
    set_events = asyncio.run(
        ActionTrackTriage(catalogue.load(), cues.load_all(), Directory.load()).run(dispatcher, tracker, {})
    )
    return [m["custom"] for m in dispatcher.messages], {
        e["name"]: e["value"] for e in set_events if e["event"] == "slot"
    }


def test_every_turn_updates_the_triage_silently_when_nothing_is_urgent():
    said, slots = track([user("hello, is the minimum wage 400 baht?", "ask_rights")])
    assert said == [] and slots == {"triage": slots["triage"]} and slots["triage"]["risk"] == "none"


def test_a_message_read_as_something_else_still_escalates_once_when_it_makes_the_case_urgent():
    events = [user("hello, they locked the gate and i cannot get out of the house", "greet")]
    said, slots = track(events)
    assert keys(said)[0] == "urgent.offer_person" and slots["triage_escalated"] is True
    assert said[0]["handoff"]["reason"] == "urgent"
    again, _ = track(events + [user("ok", "greet")], {"triage_escalated": True})
    assert again == []


def test_distress_and_injury_are_answered_first_with_care_then_a_person():
    said, _ = run([user("i do not want to live anymore", "self_harm", 0.9)])
    assert keys(said)[:2] == ["urgent.self_harm", "urgent.offer_person"]  # no second thanks before it
    assert said[0]["handoff"]["reason"] == "urgent"
    said, _ = run([user("the boss raped me", "disclose_sexual_violence", 0.9)])
    assert "urgent.medical" in keys(said) and "urgent.self_harm" not in keys(said)
    said, _ = run([user("they pay me less than promised", "disclose_wages_withheld")])
    assert "urgent.medical" not in keys(said) and "urgent.self_harm" not in keys(said)
