"""Saphan while LINE's or Telegram's API fails, live: the real app and bot, and the fake platform
answering 429, 500, 400 or 403 to the calls for chosen people.

What the tests prove, from what the fake platform received (calls, statuses, bodies, order, times):

- A send that fails for a while (429 with or without the platform's wait, 500) is tried again
  after the platform's wait or the back-off step, whichever is longer; once the platform is back,
  the answer arrives exactly once and in order. On LINE: by reply while LINE takes the reply
  token, by push once LINE refuses it, with one retry key on every attempt of a push (so a push
  LINE took but whose answer was lost is not delivered twice). On Telegram: message by message.
- A refusal that will not pass (400, 403) is tried once: that send is given up, and the app goes
  on answering other people.
- One person's failing sends do not hold up another person's answer (each person has a queue).
- A LINE reply that LINE took but whose answer was lost is tried again; LINE refuses the used
  token with 400, and the app knows the answer arrived: it is not pushed again.

Each test speaks as new people (fresh LINE tags and Telegram chat ids). Their failures are scripted
by an `Outage` put in front of the fake's own responders for one test and taken away after it (also
when the test fails), so the shared fake is left as it was.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from telegram import Update

from fakeplatform import FakePlatform, Recorded, line_api, telegram_api
from fakeplatform.server import Responder
from storytests.line import LineChat, endpoint, recipient
from storytests.telegram import TelegramChat

pytestmark = pytest.mark.integration

WAIT_SECONDS = 30
# No call for this long after the last expected one: nothing more was sent (a retry, a push).
QUIET_SECONDS = 1.5
# Longer than the first two back-off steps (1 s, then 2 s): a refusal retried would show by then.
REFUSAL_WATCH_SECONDS = 3.5


@dataclass(frozen=True)
class Fault:
    """A scripted answer to one call: what the app gets back, and whether the platform took the
    call first (`taken`: the message was delivered, the answer to the app was lost on the way)."""

    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)
    taken: bool = False


@dataclass(frozen=True)
class Answered:
    """A call the outage answered: the status the app got, and whether the platform took it."""

    request: Recorded
    status: int
    taken: bool


class Outage:
    """Scripted failures for chosen recipients, in front of the fake's own responders.

    Calls for a recipient with faults left get the next one; every other call goes to the fake's
    responder. Every call is recorded with whether the platform took it, so a test can count
    what was delivered. On leaving the `with` block the fake's responders are put back.
    """

    def __init__(
        self,
        platform: FakePlatform,
        responders: dict[str, Responder],
        recipient_of: Callable[[Recorded], str | None],
    ) -> None:
        self._platform = platform
        self._responders = responders
        self._recipient_of = recipient_of
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Fault]] = {}
        self._answered: list[Answered] = []

    def __enter__(self) -> Outage:
        for prefix in self._responders:
            self._platform.respond(prefix, self)
        return self

    def __exit__(self, *_exc) -> None:
        with self._lock:
            self._scripts.clear()
        for prefix, responder in self._responders.items():
            self._platform.respond(prefix, responder)

    def fail(self, recipient: str, *faults: Fault) -> None:
        """Answer the next calls for `recipient` (a reply token, a LINE user, a Telegram chat) with `faults`."""
        with self._lock:
            self._scripts.setdefault(recipient, []).extend(faults)

    def __call__(self, request: Recorded) -> tuple[int, dict[str, str], object]:
        key = self._recipient_of(request)
        with self._lock:
            script = self._scripts.get(key) if key else None
            fault = script.pop(0) if script else None
        taken = False
        if fault is None or fault.taken:
            prefix = max((p for p in self._responders if request.path.startswith(p)), key=len)
            status, headers, body = self._responders[prefix](request)
            taken = 200 <= status < 300
        if fault is not None:
            status, headers, body = fault.status, fault.headers, fault.body
        with self._lock:
            self._answered.append(Answered(request, status, taken))
        return status, headers, body

    def answered(self, *recipients: str) -> list[Answered]:
        """The calls for `recipients` answered so far, oldest first."""
        with self._lock:
            return [call for call in self._answered if self._recipient_of(call.request) in recipients]

    def wait(self, *recipients: str, count: int, timeout: float = WAIT_SECONDS) -> list[Answered]:
        """Wait until `count` calls for `recipients` were answered, and return them all.

        Raises:
            TimeoutError: fewer were answered within `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.answered(*recipients)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.answered(*recipients))} of {count} calls were answered")


def gaps(calls: list[Answered]) -> list[float]:
    """The seconds between one call and the next."""
    return [later.request.at - earlier.request.at for earlier, later in zip(calls, calls[1:])]


# --- LINE ------------------------------------------------------------------------------------


def line_429(retry_after: int | None = None) -> Fault:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Fault(429, {"message": "The API rate limit has been exceeded. Try again later."}, headers)


LINE_500 = Fault(500, {"message": "Internal server error"})
LINE_LOST = Fault(500, {"message": "Internal server error"}, taken=True)
LINE_TOKEN_REFUSED = Fault(400, {"message": "Invalid reply token"})
LINE_FORBIDDEN = Fault(403, {"message": "Access to this API is not available for your account"})


def line_messages(calls: list[Answered]) -> list[list[dict]]:
    """The messages of each call LINE took: what the person was shown."""
    return [call.request.json()["messages"] for call in calls if call.taken]


def line_recipient(request: Recorded) -> str | None:
    try:
        return recipient(request) or None
    except (ValueError, AttributeError):
        return None


@pytest.fixture
def line_outage(platform_api):
    api = line_api.installed(platform_api)
    responders = {line_api.REPLY_PATH: api.reply, line_api.PUSH_PATH: api.push}
    with Outage(platform_api, responders, line_recipient) as outage:
        yield outage


@pytest.fixture(scope="module")
def line_greeting(stack, platform_api) -> list[dict]:
    """The messages a new person on LINE is shown for "hello", while LINE works."""
    settings, _ = stack
    return LineChat(settings, platform_api).say("hello")


@pytest.fixture
def line_person(stack, platform_api) -> LineChat:
    settings, _ = stack
    return LineChat(settings, platform_api)


def test_a_line_reply_outlasting_429s_and_a_500_arrives_once(line_person, line_outage, line_greeting):
    event = line_person.text("hello")
    token = event["replyToken"]
    line_outage.fail(token, line_429(retry_after=3), line_429(), LINE_500)
    assert line_person.post(event).status_code == 200
    attempts = line_outage.wait(token, line_person.user, count=4)
    time.sleep(QUIET_SECONDS)
    assert line_outage.answered(token, line_person.user) == attempts  # nothing after: no push, no 5th reply
    assert [(endpoint(call.request), call.status) for call in attempts] == [
        ("reply", 429), ("reply", 429), ("reply", 500), ("reply", 200),
    ]  # fmt: skip
    assert all(call.request.json() == attempts[0].request.json() for call in attempts)
    assert line_messages(attempts) == [line_greeting]
    after_waited_429, after_bare_429, after_500 = gaps(attempts)
    assert after_waited_429 >= 2.8  # LINE's Retry-After (3 s), not the first back-off step (1 s)
    assert after_bare_429 >= 1.8 and after_500 >= 3.8  # the next back-off steps: 2 s, 4 s


def test_a_line_push_outlasting_429s_and_500s_keeps_one_retry_key_and_arrives_once(
    line_person, line_outage, line_greeting
):
    event = line_person.text("hello")
    token, user = event["replyToken"], line_person.user
    line_outage.fail(token, LINE_TOKEN_REFUSED)
    line_outage.fail(user, line_429(retry_after=1), LINE_500, LINE_LOST)
    assert line_person.post(event).status_code == 200
    calls = line_outage.wait(token, user, count=5)
    time.sleep(QUIET_SECONDS)
    assert line_outage.answered(token, user) == calls
    # The lost push was taken: LINE refuses its retry key after that (409), which counts as sent.
    assert [(endpoint(call.request), call.status) for call in calls] == [
        ("reply", 400), ("push", 429), ("push", 500), ("push", 500), ("push", 409),
    ]  # fmt: skip
    pushes = [call.request for call in calls[1:]]
    [retry_key] = {push.headers.get("x-line-retry-key") for push in pushes}
    assert uuid.UUID(retry_key)
    assert all(push.json() == pushes[0].json() for push in pushes)
    assert pushes[0].json()["to"] == user and pushes[0].json()["messages"] == line_greeting
    assert line_messages(calls) == [line_greeting]  # delivered once


def test_a_line_reply_taken_but_whose_answer_was_lost_is_not_sent_again(line_person, line_outage, line_greeting):
    event = line_person.text("hello")
    token = event["replyToken"]
    line_outage.fail(token, LINE_LOST)
    assert line_person.post(event).status_code == 200
    line_outage.wait(token, line_person.user, count=2)  # the lost reply and its retry
    time.sleep(QUIET_SECONDS)
    assert line_messages(line_outage.answered(token, line_person.user)) == [line_greeting]


@pytest.mark.parametrize(
    "reply_faults, push_faults, expected",
    [
        pytest.param([LINE_FORBIDDEN], [], [("reply", 403)], id="reply-refused"),
        pytest.param([LINE_TOKEN_REFUSED], [LINE_FORBIDDEN], [("reply", 400), ("push", 403)], id="push-refused"),
    ],
)
def test_a_line_refusal_is_tried_once_and_the_next_person_is_answered(
    stack, platform_api, line_person, line_outage, line_greeting, reply_faults, push_faults, expected
):
    event = line_person.text("hello")
    token, user = event["replyToken"], line_person.user
    line_outage.fail(token, *reply_faults)
    line_outage.fail(user, *push_faults)
    assert line_person.post(event).status_code == 200
    refused = line_outage.wait(token, user, count=len(expected))
    settings, _ = stack
    other = LineChat(settings, platform_api)
    assert other.say("hello") == line_greeting
    assert [endpoint(call) for call in other.calls()] == ["reply"]
    time.sleep(max(0.0, refused[-1].request.at + REFUSAL_WATCH_SECONDS - time.monotonic()))
    calls = line_outage.answered(token, user)
    assert calls == refused  # not tried again
    assert [(endpoint(call.request), call.status) for call in calls] == expected
    assert line_messages(calls) == []


# --- Telegram --------------------------------------------------------------------------------


def telegram_error(status: int, description: str, **parameters) -> Fault:
    """An error as the Bot API answers it."""
    body = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Fault(status, body)


def flood(seconds: int) -> Fault:
    """Telegram's flood control: 429, and the seconds to wait in `parameters.retry_after`."""
    return telegram_error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


TELEGRAM_500 = telegram_error(500, "Internal Server Error")
BLOCKED = telegram_error(403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = telegram_error(400, "Bad Request: chat not found")


def chat_of(request: Recorded) -> str | None:
    """The chat a `sendMessage` call is for (other methods are never failed)."""
    if telegram_api.method_of(request) != "sendMessage":
        return None
    return str(telegram_api.params(request).get("chat_id"))


def shown(message: dict) -> dict:
    """A `sendMessage` call's parameters without the chat: what the person is shown."""
    return {key: value for key, value in message.items() if key != "chat_id"}


def telegram_messages(calls: list[Answered]) -> list[dict]:
    return [shown(telegram_api.params(call.request)) for call in calls if call.taken]


@pytest.fixture
def telegram_outage(platform_api):
    bot_api = platform_api.responder(telegram_api.PREFIX)
    with Outage(platform_api, {telegram_api.PREFIX: bot_api}, chat_of) as outage:
        yield outage


@pytest.fixture(scope="module")
def telegram_greeting(stack, platform_api) -> list[dict]:
    """The messages a new person on Telegram is shown for "hello", while Telegram works."""
    settings, _ = stack
    return [shown(message) for message in TelegramChat(settings, platform_api).say("hello")]


@pytest.fixture
def telegram_people(stack, platform_api) -> Callable[[], TelegramChat]:
    settings, _ = stack
    return lambda: TelegramChat(settings, platform_api)


def hello(person: TelegramChat) -> Update:
    return Update(person.next_update_id(), message=person.message(text="hello"))


def test_telegram_flood_control_and_a_500_are_waited_out_and_each_message_arrives_once(
    telegram_people, telegram_outage, telegram_greeting
):
    person = telegram_people()
    chat = str(person.chat_id)
    telegram_outage.fail(chat, flood(3), TELEGRAM_500, flood(1))
    assert person.post(hello(person)) == 200
    calls = telegram_outage.wait(chat, count=3 + len(telegram_greeting))
    time.sleep(QUIET_SECONDS)
    assert telegram_outage.answered(chat) == calls
    assert [call.status for call in calls] == [429, 500, 429] + [200] * len(telegram_greeting)
    first_message = [shown(telegram_api.params(call.request)) for call in calls[:4]]
    assert first_message == [telegram_greeting[0]] * 4  # the same message until it went through
    assert telegram_messages(calls) == telegram_greeting  # each message once, in order
    after_flood_3, after_500, after_flood_1 = gaps(calls)[:3]
    assert after_flood_3 >= 2.8  # Telegram's retry_after (3 s), not the first back-off step (1 s)
    assert after_500 >= 1.8 and after_flood_1 >= 3.8  # the back-off steps (2 s, 4 s) when longer


@pytest.mark.parametrize("refusal", [BLOCKED, CHAT_NOT_FOUND], ids=["403-blocked", "400-chat-not-found"])
def test_a_telegram_refusal_is_tried_once_and_the_next_person_is_answered(
    telegram_people, telegram_outage, telegram_greeting, refusal
):
    person, other = telegram_people(), telegram_people()
    chat = str(person.chat_id)
    telegram_outage.fail(chat, refusal)
    assert person.post(hello(person)) == 200
    [refused] = telegram_outage.wait(chat, count=1)
    assert [shown(message) for message in other.say("hello")] == telegram_greeting
    time.sleep(max(0.0, refused.request.at + REFUSAL_WATCH_SECONDS - time.monotonic()))
    # Tried once, and the answer's next message was not tried either.
    assert telegram_outage.answered(chat) == [refused]
    assert refused.status == refusal.status and not refused.taken
    assert shown(telegram_api.params(refused.request)) == telegram_greeting[0]


def test_another_persons_answer_arrives_while_the_first_persons_sends_are_retried(
    telegram_people, telegram_outage, telegram_greeting
):
    first, second = telegram_people(), telegram_people()
    first_chat = str(first.chat_id)
    telegram_outage.fail(first_chat, flood(5), TELEGRAM_500)
    assert first.post(hello(first)) == 200
    telegram_outage.wait(first_chat, count=1)
    asked = time.monotonic()
    assert [shown(message) for message in second.say("hello")] == telegram_greeting
    answered = telegram_outage.answered(str(second.chat_id))[-1].request.at
    assert answered - asked < 4, "the second person waited for the first person's sends"
    calls = telegram_outage.wait(first_chat, count=2 + len(telegram_greeting))
    assert [call.status for call in calls] == [429, 500] + [200] * len(telegram_greeting)
    assert calls[1].request.at > answered  # the first person's send was still failing meanwhile
    assert telegram_messages(calls) == telegram_greeting
