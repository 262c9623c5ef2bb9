"""What the stories exercise: intents, flows (the bot's rules), responses and actions, per language.

The bot's side is read from its domain (`bot/domain/`) and rules (`stories/rules.yml`); a rule
counts as exercised when its steps happened, in order, in some story's conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.settings import LANGUAGES, ROOT
from storytests.runner import StoryResult

DOMAIN_DIR = ROOT / "bot" / "domain"
RULES_FILE = ROOT / "stories" / "rules.yml"


@dataclass(frozen=True)
class Rule:
    """One of the bot's rules: its name and its steps, `("intent" | "action", name)`."""

    name: str
    steps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BotDesign:
    """What the bot can do: its intents, responses, custom actions and rules."""

    intents: tuple[str, ...]
    responses: tuple[str, ...]
    actions: tuple[str, ...]
    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, domain_dir: Path = DOMAIN_DIR, rules_file: Path = RULES_FILE) -> "BotDesign":
        """Read the domain files and the rules."""
        intents, responses, actions = [], [], []
        for path in sorted(domain_dir.glob("*.yml")):
            part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            intents += part.get("intents") or []
            responses += list(part.get("responses") or {})
            actions += part.get("actions") or []
        rules = []
        for rule in yaml.safe_load(rules_file.read_text(encoding="utf-8"))["rules"]:
            steps = tuple(
                ("intent", step["intent"]) if "intent" in step else ("action", step["action"])
                for step in rule["steps"]
                if "intent" in step or "action" in step
            )
            rules.append(Rule(rule["rule"], steps))
        return cls(tuple(intents), tuple(responses), tuple(actions), tuple(rules))


@dataclass
class Coverage:
    """Per language, what the stories exercised; and what no story exercised."""

    stories: dict[str, int] = field(default_factory=dict)
    intents: dict[str, set[str]] = field(default_factory=dict)
    never_intents: list[str] = field(default_factory=list)
    never_rules: list[str] = field(default_factory=list)
    never_responses: list[str] = field(default_factory=list)
    never_actions: list[str] = field(default_factory=list)
    rules_exercised: int = 0
    rules_total: int = 0


def measure(results: list[StoryResult], design: BotDesign) -> Coverage:
    """The coverage of `results` against `design`."""
    coverage = Coverage()
    seen_intents: set[str] = set()
    seen_actions: set[str] = set()
    conversations = []
    for language in LANGUAGES:
        coverage.stories[language] = 0
        coverage.intents[language] = set()
    for result in results:
        language = result.story.language
        coverage.stories[language] += 1
        intents = {name for kind, name in result.bot_events if kind == "intent"}
        coverage.intents[language] |= intents & set(design.intents)
        seen_intents |= intents
        seen_actions |= {name for kind, name in result.bot_events if kind == "action"}
        conversations.append(result.bot_events)
    coverage.never_intents = [intent for intent in design.intents if intent not in seen_intents]
    coverage.never_responses = [name for name in design.responses if name not in seen_actions]
    coverage.never_actions = [name for name in design.actions if name not in seen_actions]
    exercised = [rule for rule in design.rules if any(_contains(events, rule.steps) for events in conversations)]
    coverage.never_rules = [rule.name for rule in design.rules if rule not in exercised]
    coverage.rules_exercised, coverage.rules_total = len(exercised), len(design.rules)
    return coverage


def _contains(events: list[tuple[str, str]], steps: tuple[tuple[str, str], ...]) -> bool:
    """True when `steps` happened one after another somewhere in `events`."""
    size = len(steps)
    return any(tuple(events[start : start + size]) == steps for start in range(len(events) - size + 1))
