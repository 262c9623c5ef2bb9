"""Run stories against a running Saphan: the real app, its channels, the real bot and actions.

Each story is one new conversation: a web chat session, or a person on LINE or Telegram whose
steps are posted to the app's webhooks as signed events and whose answers are read from
the local fake of the platform's API (`fakeplatform`), which the app must be pointed at.

After each of the person's steps, the expectations that follow are checked against that turn's
answers, the bot's tracker (the intent read and the triage) and the app's database (the case,
what is kept). The first expectation that does not hold ends the story and is reported with
its line, what was expected and what happened.
Stories run in parallel (each is its own conversation); results keep the order of the files.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import httpx
from sqlalchemy import select

from core.consent import QUESTIONS
from core.identity import conversation_id
from core.locales import Catalog
from core.records.models import OPEN_STATES, Conversation, Handoff
from core.settings import Settings
from core.stores import Stores
from fakeplatform import FakePlatform
from storytests.format import Step, Story
from storytests.line import LineSession
from storytests.platform_session import PlatformSession
from storytests.telegram import TelegramSession
from storytests.texts import Position, TextKeys
from storytests.webchat import Answer, WebChatSession

PARALLEL_STORIES = 4
# Actions Rasa runs around every turn: not part of any flow.
_BOOKKEEPING = frozenset({"action_listen", "action_session_start"})


@dataclass
class Turn:
    """One turn as it happened: what the person did, at which line, the answers with the keys
    recognised in each, and (after a step of the person) how the bot read it and the triage."""

    person: str
    line: int
    answers: list[Answer]
    keys: list[list[str]]
    intent: str | None = None
    triage: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    """Where a story diverged: the step's line, what it expected and what happened."""

    line: int
    expected: str
    actual: str


@dataclass
class StoryResult:
    """A story's run: its turns, its failure (None if it passed), and for coverage what the bot
    did, in order: `("intent", name)` for each message it read, `("action", name)` for each action."""

    story: Story
    turns: list[Turn] = field(default_factory=list)
    failure: Failure | None = None
    bot_events: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failure is None


class StoryRunner:
    """Runs stories against the app and bot that `settings` describe; LINE and Telegram stories
    need the fake `platform` the app sends to."""

    def __init__(self, settings: Settings, catalog: Catalog, stores: Stores, platform: FakePlatform | None) -> None:
        self._settings = settings
        self._platform = platform
        self._chat_url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
        self._bot = httpx.Client(base_url=settings.resolved_bot_urls()[0], timeout=30)
        self._bot_token = settings.bot_api_token.get_secret_value()
        self._stores = stores
        self._texts = TextKeys(catalog)

    def run_all(self, stories: list[Story]) -> list[StoryResult]:
        """Run `stories`, several at once; the results in the same order."""
        with ThreadPoolExecutor(PARALLEL_STORIES) as pool:
            return list(pool.map(self.run, stories))

    def close(self) -> None:
        """Close the connection to the bot."""
        self._bot.close()

    def run(self, story: Story) -> StoryResult:
        """Run one story to its end or its first failure."""
        started = time.perf_counter()
        result = StoryResult(story)
        if story.channel != "webchat" and self._platform is None:
            result.failure = Failure(story.line, f"a run with {story.channel} on", "this run has no fake LINE/Telegram")
            return result
        session = self._person(story.channel)
        try:
            greeting = session.open(story.language)
            key = conversation_id(self._settings.secret_key.get_secret_value(), session.channel, session.channel_user)
            result.turns.append(self._turn(session.opening, story.line, greeting, key))
            position: Position | None = None
            for step in story.steps:
                if step.by_person:
                    turn = self._act(session, step, result.turns, key)
                    tracker = self._tracker(key)
                    turn.intent, turn.triage = _last_intent(tracker), tracker.get("slots", {}).get("triage") or {}
                    result.turns.append(turn)
                    result.bot_events = _bot_events(tracker, result.bot_events)
                    position = None
                    continue
                problem, position = self._check(step, key, result.turns[-1], position)
                if problem:
                    result.failure = Failure(step.line, *problem)
                    break
        except StepError as error:
            result.failure = Failure(error.line, error.expected, error.actual)
        except (OSError, TimeoutError, RuntimeError, httpx.HTTPError) as error:
            line = result.turns[-1].line if result.turns else story.line
            result.failure = Failure(line, "the conversation to go on", f"{type(error).__name__}: {error}")
        finally:
            session.close()
            result.seconds = time.perf_counter() - started
        return result

    # The person's steps.

    def _person(self, channel: str) -> WebChatSession | PlatformSession:
        if channel == "line":
            return LineSession(self._settings, self._platform)
        if channel == "telegram":
            return TelegramSession(self._settings, self._platform)
        return WebChatSession(self._chat_url)

    def _act(self, session: WebChatSession | PlatformSession, step: Step, turns: list[Turn], key: str) -> Turn:
        if step.kind == "user":
            return self._turn(f"writes: {step.value}", step.line, session.say(str(step.value)), key)
        if step.kind == "location":
            latitude, longitude = step.value
            return self._turn("shares a location", step.line, session.share_location(latitude, longitude), key)
        label, payload = _button(step, turns)
        return self._turn(f"presses: {label}", step.line, session.press(payload), key)

    def _turn(self, person: str, line: int, answers: list[Answer], key: str) -> Turn:
        """The turn; answers whose channel does not say their language (LINE, Telegram) get the
        conversation's."""
        if any(not answer.language for answer in answers):
            language = self._conversation_language(key)
            answers = [answer if answer.language else replace(answer, language=language) for answer in answers]
        keys = [self._texts.keys_in(answer.text, answer.language) for answer in answers]
        return Turn(person, line, answers, keys)

    def _conversation_language(self, key: str) -> str:
        with self._stores.database.session() as db:
            return db.scalar(select(Conversation.language).where(Conversation.id == key)) or "en"

    # The expectations.

    def _check(self, step: Step, key: str, turn: Turn, position: Position | None):
        """`(None, position)` when `step` holds, else `((expected, actual), position)`."""
        texts = [(answer.text, answer.language) for answer in turn.answers]
        if step.kind in ("response", "consent_asked"):
            wanted = step.value if step.kind == "response" else QUESTIONS[step.value]
            found = self._texts.find(wanted, texts, position)
            if found is None:
                where = " after the one before" if position else ""
                return (f"the text {wanted}{where}", _said(turn)), position
            return None, found
        if step.kind == "text":
            fragment = str(step.value).casefold()
            if any(fragment in answer.text.casefold() for answer in turn.answers):
                return None, position
            return (f"an answer containing {step.value!r}", _said(turn)), position
        if step.kind == "offers":
            offered = [label for answer in turn.answers for label, _ in answer.buttons]
            if _offered(step.value, turn):
                return None, position
            return (f"a quick reply {step.value!r}", "offered: " + (", ".join(offered) or "none")), position
        if step.kind == "intent":
            actual = turn.intent
            return (None if actual == step.value else (f"read as {step.value}", f"read as {actual}")), position
        if step.kind == "triage":
            problem = _triage_problem(step.value, turn.triage)
            return ((f"triage {_show(step.value)}", problem) if problem else None), position
        if step.kind == "language":
            languages = sorted({answer.language for answer in turn.answers})
            if turn.answers and languages == [step.value]:
                return None, position
            return (f"every answer in {step.value}", "answers in " + (", ".join(languages) or "none")), position
        if step.kind == "handoff":
            return self._handoff_problem(step.value, key), position
        return self._kept_problem(step.value, key), position

    def _handoff_problem(self, wanted, key: str):
        with self._stores.database.session() as db:
            case = db.scalars(
                select(Handoff).where(Handoff.conversation_id == key).order_by(Handoff.requested_at.desc())
            ).first()
        opened = case is not None and case.state in OPEN_STATES
        actual = "no open case"
        if opened:
            actual = f"a case ({case.state}, urgent={case.urgent}, child={case.child}, team={case.team}, "
            actual += f"reason={case.reason})"
        if wanted == "none":
            return None if not opened else ("no open case", actual)
        if not opened:
            return (f"an open case{' (urgent)' if wanted == 'urgent' else ''}", actual)
        expected = {"urgent": True} if wanted == "urgent" else ({} if wanted == "opened" else wanted)
        wrong = {name: value for name, value in expected.items() if getattr(case, name) != value}
        return (f"a case with {_show(expected)}", actual) if wrong else None

    def _kept_problem(self, wanted: dict, key: str):
        data = self._stores.personal_data.summary(key)
        actual = {
            "transcript": data.has_transcript,
            "case": data.has_case,
            "location": self._stores.consents.granted(key, "location") is not None,
            "may_write_later": data.may_write_later,
            "consents": sorted(data.consents),
        }
        wrong = {
            name for name, value in wanted.items() if (sorted(value) if name == "consents" else value) != actual[name]
        }
        if not wrong:
            return None
        return (f"kept: {_show(wanted)}", "kept: " + _show({name: actual[name] for name in wanted}))

    # The bot's tracker.

    def _tracker(self, key: str) -> dict:
        response = self._bot.get(f"/conversations/{key}/tracker", params={"token": self._bot_token})
        response.raise_for_status()
        return response.json()


def _last_intent(tracker: dict) -> str | None:
    """The intent the bot read in the person's latest message."""
    users = [event for event in tracker.get("events") or [] if event.get("event") == "user"]
    return ((users[-1].get("parse_data") or {}).get("intent") or {}).get("name") if users else None


def _bot_events(tracker: dict, before: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What the bot did in the conversation so far: its tracker's events, after `before`
    (the conversation's events at the previous turn, kept when "forget me" erased them)."""
    found = []
    for event in tracker.get("events") or []:
        if event["event"] == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent:
                found.append(("intent", intent))
        elif event["event"] == "action" and event.get("name") not in _BOOKKEEPING:
            found.append(("action", event["name"]))
    return found if found[: len(before)] == before else before + found


class StepError(Exception):
    """A person's step that cannot be taken (a button that is not offered)."""

    def __init__(self, line: int, expected: str, actual: str) -> None:
        super().__init__(expected)
        self.line, self.expected, self.actual = line, expected, actual


def _button(step: Step, turns: list[Turn]) -> tuple[str, str]:
    """The quick reply a button step presses: by label or payload, the most recent offered first;
    a payload (starting with "/") may also be pressed without being offered."""
    wanted = str(step.value).strip()
    for turn in reversed(turns):
        for answer in turn.answers:
            for label, payload in answer.buttons:
                if wanted.casefold() in (label.strip().casefold(), payload.casefold()):
                    return label, payload
    if wanted.startswith("/"):
        return wanted, wanted
    offered = [label for answer in turns[-1].answers for label, _ in answer.buttons]
    raise StepError(step.line, f"a quick reply {wanted!r} to press", "offered: " + (", ".join(offered) or "none"))


def _offered(wanted: str, turn: Turn) -> bool:
    wanted = str(wanted).strip().casefold()
    return any(
        wanted in (label.strip().casefold(), payload.casefold())
        for answer in turn.answers
        for label, payload in answer.buttons
    )


def _said(turn: Turn) -> str:
    if not turn.answers:
        return "no answer"
    return " | ".join(", ".join(keys) for keys in turn.keys)


def _triage_problem(wanted: dict, actual: dict) -> str | None:
    """What differs between the triage expected and the one held, or None."""
    for name, value in wanted.items():
        held = actual.get(name)
        if name == "families":
            ok = set(value) <= set(held or []) if value else not held
        else:
            ok = held == value
        if not ok:
            return "triage " + _show({n: actual.get(n) for n in wanted})
    return None


def _show(values: dict) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())
