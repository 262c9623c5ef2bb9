"""Coverage: which intents, flows, responses and languages the stories exercised."""

from __future__ import annotations

from pathlib import Path

from storytests.coverage import BotDesign, Rule, measure
from storytests.format import Step, Story
from storytests.runner import StoryResult

DESIGN = BotDesign(
    intents=("greet", "stop", "ask_hotline"),
    responses=("utter_greet", "utter_goodbye"),
    actions=("action_stop", "action_give_hotlines"),
    rules=(
        Rule("greet", (("intent", "greet"), ("action", "utter_greet"))),
        Rule("stop", (("intent", "stop"), ("action", "action_stop"))),
        Rule(
            "after hotlines, stop", (("action", "action_give_hotlines"), ("intent", "stop"), ("action", "action_stop"))
        ),
    ),
)


def result(language: str, events: list[tuple[str, str]]) -> StoryResult:
    story = Story("s", language, Path("s.yml"), 1, (Step("user", "hi", 2),))
    return StoryResult(story, bot_events=events)


def test_what_was_exercised_and_what_never_was():
    results = [
        result("km", [("intent", "greet"), ("action", "utter_greet"), ("intent", "stop"), ("action", "action_stop")]),
        result("th", [("intent", "stop"), ("action", "action_stop")]),
    ]
    coverage = measure(results, DESIGN)
    assert coverage.stories == {"en": 0, "th": 1, "my": 0, "km": 1, "lo": 0, "vi": 0, "id": 0}
    assert coverage.intents["km"] == {"greet", "stop"} and coverage.intents["th"] == {"stop"}
    assert coverage.never_intents == ["ask_hotline"]
    assert coverage.never_responses == ["utter_goodbye"] and coverage.never_actions == ["action_give_hotlines"]
    assert coverage.never_rules == ["after hotlines, stop"]
    assert (coverage.rules_exercised, coverage.rules_total) == (2, 3)


def test_a_rule_counts_only_when_its_steps_happen_one_after_another():
    split = [("intent", "greet"), ("action", "action_stop"), ("action", "utter_greet")]
    assert "greet" in measure([result("en", split)], DESIGN).never_rules


def test_the_real_design_is_read_from_the_domain_and_rules():
    design = BotDesign.load()
    assert {"greet", "stop", "danger_now", "ask_about_person"} <= set(design.intents)
    assert "utter_greet" in design.responses and "action_stop" in design.actions
    assert any(rule.steps[0] == ("intent", "stop") for rule in design.rules)
