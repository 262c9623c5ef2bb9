"""Load: many people at once on web chat, LINE and Telegram, with urgent cases among them.

Starts the stack of `bench/stack.py` (the real bot and app; LINE and Telegram on, pointed at a
local fake of their APIs) and plays `--conversations` people at once for `--seconds`: a third
on the web chat's WebSocket, a third on LINE's webhook and a third on Telegram's; conversation
k talks to app process k % `--apps`. A person opens the chat (web chat: hello; LINE: a follow
event; Telegram: /start), then writes one message at a time and waits for its answer:
safe-migration questions, disclosures and, for one message in twenty, an urgent message ("they
are beating me now") that the app's safety net turns into a case and an alert at once. The
texts are in seven languages and drawn with a fixed seed. After a few messages, and before
each urgent one, a new person takes the conversation over, so that every urgent message opens
a case of its own.

Measured:
- per message (a chat's opening counts as one), from sending to its first answer: the first
  `bot` frame or the `ack` (web chat), the first reply or push to the person at the fake LINE
  API, the first sendMessage to the chat at the fake Telegram API. A message with no answer
  within 30 s is lost; a refused webhook, a failed WebSocket or an error frame is an error;
- per urgent message, from sending until the event stream of an operator signed in to the
  console (of every app process) brings the alert of its case.

Baseline, in the same run and on the same stack, just before the load: one person at a time
asking 21 plain questions in a row (7 on each channel). Every p50 and p95 of the load is also
given as a ratio to the baseline's p50: the machines are shared and noisy, so the ratios say
more than the milliseconds. The load generator runs on the same machine; its delays count in.

Run it with `./.venv/app/bin/python bench/load.py [--conversations N] [--seconds S] [--json PATH]`;
it is not a test. It stops by itself: the load sends for `--seconds`, then waits at most 35 s
for the answers still due and 10 s for the alerts still due.
Targets: nothing lost, no error, every alert within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import PROFILES, line_text_event, running_stack  # noqa: E402
from console.accounts import Accounts  # noqa: E402
from core.identity import conversation_id  # noqa: E402
from core.records.db import Database  # noqa: E402
from core.records.models import Handoff  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.teams import Teams  # noqa: E402
from fakeplatform import FakePlatform, Recorded, line_api, telegram_api  # noqa: E402
from launcher.scratch import LINE_CHANNEL_SECRET, TELEGRAM_WEBHOOK_SECRET  # noqa: E402
from triage.cues import load_all, safety_net_signals  # noqa: E402

SEED = 1300
CHANNELS = ("webchat", "line", "telegram")
# The kinds of message a conversation writes, drawn from a shuffled deck: one in twenty is urgent.
DECK = ("urgent",) + ("disclosure",) * 5 + ("question",) * 14
MESSAGES_PER_PERSON = 6  # then a new person takes the conversation over
MESSAGE_TIMEOUT_SECONDS = 30.0  # no answer by then: the message is lost
PAUSE_SECONDS = 1.0  # the answer is complete when nothing more came for this long; then the next message
RAMP_SECONDS = 3.0  # the conversations start spread over this time
DRAIN_SECONDS = MESSAGE_TIMEOUT_SECONDS + 5  # after the load, for the answers still due; then everything stops
ALERT_TARGET_SECONDS = 1.0
ALERT_WAIT_SECONDS = 10.0  # after the drain, for the alerts still due
BASELINE_MESSAGES = 21
INBOX_POLL_SECONDS = 0.02  # how often the fake platform's new requests are sorted (their times are exact)
OPERATOR = "loadbench"
PASSWORD = "benchmark operator password"

# What people write, by language and kind. The questions and disclosures are the trainers'
# (stories/tests/<lang>/, with English glosses) and the model's examples (nlu/<lang>/); the
# urgent texts hold a phrase of the safety net's (data/cues/<lang>.yml, danger_now).
MESSAGES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "question": (
            "an agent on facebook offers me a job in malaysia, no fee, is it real?",
            "how much recruitment fee",
            "whats the hotline number in thailand",
        ),
        "disclosure": (
            "my boss took my passport and i cannot leave the house",
            "my boss not give salary 3 month",
            "they lock us in the dorm every night",
        ),
        "urgent": ("please help me they are beating me now",),
    },
    "th": {
        "question": (
            "มีคนในติ๊กต๊อกชวนไปทำงานแอดมินที่กัมพูชา เงินเดือน3หมื่น ไม่เสียค่าใช้จ่าย จริงป่าวคะ",
            "ไปทำงานเกาหลีต้องเสียค่าหัวคิวเท่าไหร่ครับ",
            "สายด่วนที่ไทยเบอร์ไรครับ โทรฟรีป่าว",
        ),
        "disclosure": ("นายจ้างยึดพาสปอร์ตไป ไม่ให้ออกจากบ้านเลย", "สามเดือนแล้วยังไม่ได้เงินเดือนเลยครับ"),
        "urgent": ("ช่วยด้วย เขากำลังตีผมอยู่ตอนนี้",),  # "help, he is beating me right now"
    },
    "my": {
        "question": (
            "FB မှာ ပွဲစားတစ်ယောက်က မလေးရှား စက်ရုံအလုပ် ခေါ်နေတယ်။ ပွဲခ မပေးရဘူးတဲ့ တကယ်ဟုတ်ပါ့မလား",
            "ထိုင်းသွားဖို့ ပွဲစားခ ဘယ်လောက်ဆို သင့်တော်လဲ",
            "ဟော့လိုင်း ဖုန်းနံပါတ် ပေးပါဦး",
        ),
        "disclosure": (
            "အိမ်ရှင်က ကျမ ပတ်စ်ပို့ကို သိမ်းထားတယ်၊ အိမ်ပြင် လုံးဝ ထွက်ခွင့်မပေးဘူး",
            "လစာ သုံးလ မရသေးဘူး",
        ),
        "urgent": ("ကယ်ပါ အခု ရိုက်နေတယ်",),  # "save me, they are beating (me) now"
    },
    "km": {
        "question": ("ទៅធ្វើការថៃស្របច្បាប់ធ្វើម៉េច", "ត្រូវបង់លុយឲ្យមេខ្យល់ទេ", "បើមានបញ្ហានៅថៃ ត្រូវតេទៅលេខណាបង?"),
        "disclosure": ("ថៅកែស្រីនៅម៉ាឡេយកពាស្ព័រខ្ញុំទុក មិនឲ្យចេញពីផ្ទះសោះ", "បីខែហើយមិនទាន់បានប្រាក់ខែ"),
        "urgent": ("ជួយផងៗ គេកំពុងវាយខ្ញុំ",),  # "help, they are beating me"
    },
    "lo": {
        "question": (
            "ເຫັນໂຄສະນາໃນເຟສ ຮັບສະໝັກໄປເຮັດວຽກກະສິກຳຢູ່ເກົາຫຼີ ບໍ່ຕ້ອງເສຍເງິນຈັກກີບ ແມ່ນແທ້ບໍ",
            "ຕ້ອງຈ່າຍເງິນໃຫ້ເອເຈັນບໍ່",
            "ຢູ່ໄທ ຖ້າມີບັນຫາໂທເບີໃດ",
        ),
        "disclosure": (
            "ບໍ່ໄດ້ເງິນເດືອນມາສາມເດືອນແລ້ວ",
            "ຢູ່ຈີນນີ້ ຜົວລັອກປະຕູໄວ້ ບໍ່ໃຫ້ອອກຈາກເຮືອນ ພາສປອດກໍເອົາໄປເຊື່ອງ",
        ),
        "urgent": ("ຊ່ວຍດ້ວຍ ເຂົາກຳລັງຕີຂ້ອຍ",),  # "help, they are beating me"
    },
    "vi": {
        "question": (
            "co nguoi tren zalo ru qua campuchia lam sale online luong 1500$ bao an o, "
            "ko can kinh nghiem. co that ko a",
            "phí đi Đài Loan bao nhiêu là hợp lý",
            "cho mình xin số đường dây nóng bên Thái với",
        ),
        "disclosure": (
            "chủ nhà giữ hộ chiếu của em rồi, không cho em ra khỏi nhà",
            "công ty nợ lương em 3 tháng rồi, cứ hẹn tháng sau",
        ),
        "urgent": ("cứu em với, họ đang đánh em",),  # "save me, they are beating me"
    },
    "id": {
        "question": (
            "ada sponsor nawarin kerja di kilang malaysia, katanya gratis ga ada potongan gaji. beneran ga ya?",
            "sy harus bayar agen gak?",
            "cara kerja ke malaysia yg resmi gmn",
            "nomor hotlinenya berapa?",
        ),
        "disclosure": (
            "paspor saya ditahan mandor, saya ga bisa keluar dari ladang",
            "udah 5 bulan gaji sy gak dibayar",
        ),
        "urgent": ("tolong selamatkan saya, lagi dipukuli majikan",),  # "please save me, the employer is beating me"
    },
}


# -- what was sent ---------------------------------------------------------------------------


@dataclass
class Sent:
    """One message sent (or a chat opened), and what became of it."""

    channel: str
    kind: str  # opening, question, disclosure or urgent
    at: float  # time.monotonic() when it was sent
    timeout_at: float
    answered_at: float | None = None
    error: str | None = None  # what failed: an HTTP status, an error frame's code, an exception's name
    inbox_key: str = ""  # LINE and Telegram: whose answers at the fake API answer it
    conversation: str = ""  # the pseudonymous id (urgent messages only: it finds their case)

    @property
    def lost(self) -> bool:
        """Accepted, but not answered before its timeout."""
        return self.error is None and self.answered_at is None


class Deck:
    """The kinds of message one conversation writes: `DECK`, shuffled with the conversation's
    seed, again after every twenty draws."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cards: list[str] = []

    def draw(self) -> str:
        """The next kind."""
        if not self.cards:
            self.cards = list(DECK)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def check_mix() -> None:
    """Stop unless the safety net catches every urgent text and no other one: else the alerts
    would not be those of the urgent messages."""
    cues = list(load_all().values())
    for language, kinds in MESSAGES.items():
        for kind, texts in kinds.items():
            for number, text in enumerate(texts):
                if bool(safety_net_signals(cues, text)) != (kind == "urgent"):
                    verb = "misses" if kind == "urgent" else "catches"
                    raise SystemExit(f"bench/load.py: the safety net {verb} MESSAGES[{language!r}][{kind!r}][{number}]")


# -- answers at the fake LINE and Telegram APIs -----------------------------------------------


class Inbox:
    """The calls the fake LINE and Telegram APIs received, sorted by person as they arrive.

    A person's key is `line:<user id>` or `telegram:<chat id>`; a LINE reply is sorted by its
    reply token, which the person registers before posting the event it belongs to.
    """

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.reply_tokens: dict[str, str] = {}
        self._news: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._read = 0

    async def collect(self) -> None:
        """Sort the new calls to their person, until cancelled."""
        while True:
            calls = self.platform.requests()
            for call in calls[self._read :]:
                key = self._key_of(call)
                if key:
                    self.arrivals[key].append(call.at)
                    self._news[key].set()
            self._read = len(calls)
            await asyncio.sleep(INBOX_POLL_SECONDS)

    def _key_of(self, call: Recorded) -> str | None:
        """Whose answer `call` carries: a LINE reply or push, or a Telegram sendMessage; else None."""
        if call.path.startswith(line_api.REPLY_PATH):
            return self.reply_tokens.get((call.json() or {}).get("replyToken"))
        if call.path.startswith(line_api.PUSH_PATH):
            return f"line:{(call.json() or {}).get('to')}"
        if call.path.startswith(telegram_api.PREFIX) and telegram_api.method_of(call) == "sendMessage":
            return f"telegram:{telegram_api.params(call).get('chat_id')}"
        return None

    async def first_answer(self, key: str, since: float, until: float) -> float | None:
        """When the first call for `key` at or after `since` arrived; None if none came by `until`."""
        news = self._news[key]
        while True:
            later = [at for at in self.arrivals[key] if at >= since]
            if later:
                return min(later)
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            news.clear()
            try:
                await asyncio.wait_for(news.wait(), remaining)
            except TimeoutError:
                pass

    async def quiet(self, key: str, until: float) -> None:
        """Wait until nothing more came for `key` for `PAUSE_SECONDS` (or until `until`)."""
        while (now := time.monotonic()) < until:
            wait = max(self.arrivals[key], default=0.0) + PAUSE_SECONDS - now
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, until - now))


# -- people on each channel ----------------------------------------------------------------------


class WebChatPerson:
    """A person on the web chat: one WebSocket, one session, messages answered before their ack."""

    channel = "webchat"

    def __init__(self, app_url: str, language: str, secret_key: str) -> None:
        self.url = app_url.replace("http://", "ws://", 1) + "/chat/ws"
        self.language = language
        self.secret_key = secret_key
        self.socket: ClientConnection | None = None
        self.token = ""
        self.number = 0

    @property
    def conversation(self) -> str:
        """The pseudonymous id the app gives this session (known once the chat is open)."""
        return conversation_id(self.secret_key, self.channel, self.token)

    async def open(self, sent: Sent) -> None:
        """Connect and say hello; answered by the first frame of the greeting."""
        self.socket = await connect(self.url, max_size=2**20, open_timeout=None, close_timeout=2)
        await self.socket.send(json.dumps({"type": "hello", "session": None, "language": self.language}))
        while sent.answered_at is None and sent.error is None:
            frame = json.loads(await self.socket.recv())
            if frame["type"] == "welcome":
                self.token = frame["session"]
            elif frame["type"] == "bot":
                sent.answered_at = time.monotonic()
            elif frame["type"] == "error":
                sent.error = f"error frame {frame.get('code')}"

    async def say(self, text: str, sent: Sent) -> None:
        """Send `text`; answered by its first bot frame, or its ack if it has none; done at its ack."""
        self.number += 1
        client_id = f"m{self.number}"
        sent.at = time.monotonic()
        await self.socket.send(json.dumps({"type": "message", "id": client_id, "text": text}))
        while True:
            frame = json.loads(await self.socket.recv())
            kind, frame_id = frame["type"], str(frame.get("id", ""))
            if kind == "bot" and frame_id.startswith(f"{client_id}.") and sent.answered_at is None:
                sent.answered_at = time.monotonic()
            elif kind == "ack" and frame_id == client_id:
                sent.answered_at = sent.answered_at or time.monotonic()
                return
            elif kind == "error" and frame_id in ("", client_id):
                sent.error = f"error frame {frame.get('code')}"
                return

    async def settle(self, sent: Sent) -> None:
        """The person reads the answer before writing again."""
        await asyncio.sleep(PAUSE_SECONDS)

    async def close(self) -> None:
        """Close the WebSocket, as a tab that is closed."""
        if self.socket is not None:
            await self.socket.close()


class WebhookPerson:
    """What a person on LINE and on Telegram share: webhooks posted, answers read at the fake API
    under `self.key` (set by the subclass, with `client` and `inbox`)."""

    client: httpx.AsyncClient
    inbox: Inbox
    key: str

    async def post_webhook(self, path: str, body: bytes, headers: dict[str, str], sent: Sent) -> None:
        """Post a webhook body and wait for the first answer to it."""
        sent.at = time.monotonic()
        response = await self.client.post(path, content=body, headers=headers)
        if not response.is_success:
            sent.error = f"HTTP {response.status_code}"
            return
        sent.answered_at = await self.inbox.first_answer(self.key, sent.at, sent.timeout_at)

    async def settle(self, sent: Sent) -> None:
        """Wait until the rest of the answer has come, as the person reads it."""
        await self.inbox.quiet(self.key, sent.timeout_at)

    async def close(self) -> None:
        """Nothing to close: webhooks hold no connection of the person's."""


class LinePerson(WebhookPerson):
    """A person on LINE: signed events posted to the webhook; answers read at the fake LINE API."""

    channel = "line"

    def __init__(self, client: httpx.AsyncClient, inbox: Inbox, language: str, secret_key: str) -> None:
        self.client = client
        self.inbox = inbox
        self.language = language  # LINE tells the app no language: only the texts are in it
        self.user = f"U{uuid.uuid4().hex}"
        self.key = f"line:{self.user}"
        self.conversation = conversation_id(secret_key, self.channel, self.user)

    async def open(self, sent: Sent) -> None:
        """Add the account as a friend (a follow event)."""
        token = uuid.uuid4().hex
        event = {
            "type": "follow", "mode": "active", "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": self.user}, "webhookEventId": uuid.uuid4().hex.upper(),
            "deliveryContext": {"isRedelivery": False}, "replyToken": token, "follow": {"isUnblocked": False},
        }  # fmt: skip
        await self._post(json.dumps({"destination": "Ubench", "events": [event]}).encode(), token, sent)

    async def say(self, text: str, sent: Sent) -> None:
        """Send `text` as a message event."""
        token = uuid.uuid4().hex
        await self._post(line_text_event(self.user, text, token), token, sent)

    async def _post(self, body: bytes, token: str, sent: Sent) -> None:
        """Post a signed webhook body and wait for the first answer to it."""
        self.inbox.reply_tokens[token] = self.key
        sent.inbox_key = self.key
        headers = {
            "X-Line-Signature": line_api.signature(body, LINE_CHANNEL_SECRET),
            "Content-Type": "application/json",
        }
        await self.post_webhook("/webhooks/line", body, headers, sent)


class TelegramPerson(WebhookPerson):
    """A person on Telegram: updates posted with the secret token; answers read at the fake Bot API."""

    channel = "telegram"
    chat_ids = itertools.count(7_000_000_000)
    update_ids = itertools.count(100_000)  # one sequence for the whole bot, as Telegram's

    def __init__(self, client: httpx.AsyncClient, inbox: Inbox, language: str, secret_key: str) -> None:
        self.client = client
        self.inbox = inbox
        self.language = language
        self.chat_id = next(self.chat_ids)
        self.key = f"telegram:{self.chat_id}"
        self.conversation = conversation_id(secret_key, self.channel, str(self.chat_id))
        self.message_ids = itertools.count(1)

    async def open(self, sent: Sent) -> None:
        """Start the bot (/start), as Telegram does when a person opens it."""
        await self.say("/start", sent)

    async def say(self, text: str, sent: Sent) -> None:
        """Send `text` in the private chat."""
        sent.inbox_key = self.key
        person = {"id": self.chat_id, "is_bot": False, "first_name": "Dara", "language_code": self.language}
        message = {
            "message_id": next(self.message_ids), "date": int(time.time()), "text": text, "from": person,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Dara"},
        }  # fmt: skip
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        body = json.dumps({"update_id": next(self.update_ids), "message": message})
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET, "Content-Type": "application/json"}
        await self.post_webhook("/webhooks/telegram", body, headers, sent)


Person = WebChatPerson | LinePerson | TelegramPerson


# -- the crowd --------------------------------------------------------------------------------


class Crowd:
    """Makes the people, one app process each, and runs their steps with a timeout."""

    def __init__(self, settings: Settings, inbox: Inbox, apps: int, conversations: int) -> None:
        self.secret_key = settings.secret_key.get_secret_value()
        self.inbox = inbox
        self.app_urls = [f"http://127.0.0.1:{settings.app_port + number}" for number in range(apps)]
        limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
        self.clients = [
            httpx.AsyncClient(base_url=url, timeout=MESSAGE_TIMEOUT_SECONDS, limits=limits) for url in self.app_urls
        ]

    def person(self, channel: str, app: int, language: str) -> Person:
        """A new person on `channel`, writing in `language` to app process `app`."""
        if channel == "webchat":
            return WebChatPerson(self.app_urls[app], language, self.secret_key)
        kind = LinePerson if channel == "line" else TelegramPerson
        return kind(self.clients[app], self.inbox, language, self.secret_key)

    async def step(self, person: Person, kind: str, text: str | None, record: list[Sent]) -> Sent:
        """Open the chat (`text` None) or send `text`, and wait for the answer (at most until the
        message's timeout); the message is in `record` from the start, so a cancelled step
        leaves it there unanswered."""
        now = time.monotonic()
        sent = Sent(person.channel, kind, now, now + MESSAGE_TIMEOUT_SECONDS)
        record.append(sent)
        if kind == "urgent":
            sent.conversation = person.conversation
        try:
            async with asyncio.timeout(MESSAGE_TIMEOUT_SECONDS):
                await (person.open(sent) if text is None else person.say(text, sent))
        except TimeoutError:
            pass  # not answered in time: lost
        except (httpx.HTTPError, WebSocketException, OSError, ValueError, KeyError) as error:
            sent.error = sent.error or type(error).__name__
        if sent.answered_at is None:
            await asyncio.sleep(PAUSE_SECONDS)  # a failing app is not hammered
        return sent

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        for client in self.clients:
            await client.aclose()


async def close_quietly(person: Person | None) -> None:
    """Close a person's connection, waiting two seconds at most."""
    if person is None:
        return
    try:
        async with asyncio.timeout(2):
            await person.close()
    except (TimeoutError, WebSocketException, OSError):
        pass


def channel_of(number: int, apps: int) -> tuple[str, int]:
    """The channel and app process of conversation `number`: apps in turn, and channels in turn
    within each app, so that every app gets every channel."""
    return CHANNELS[(number // apps) % len(CHANNELS)], number % apps


async def converse(crowd: Crowd, number: int, apps: int, seed: int, stop_at: float, record: list[Sent]) -> None:
    """Conversation `number`: people one after another, each opening the chat and writing one
    message at a time, until `stop_at`."""
    rng = random.Random(f"{seed}:{number}")
    deck = Deck(rng)
    channel, app = channel_of(number, apps)
    person: Person | None = None
    said = 0
    try:
        while time.monotonic() < stop_at:
            kind = deck.draw()
            if person is None or said >= MESSAGES_PER_PERSON or (kind == "urgent" and said):
                await close_quietly(person)
                person, said = crowd.person(channel, app, rng.choice(sorted(MESSAGES))), 0
                opening = await crowd.step(person, "opening", None, record)
                if opening.answered_at is None:
                    person = None
                    continue
                await person.settle(opening)
            sent = await crowd.step(person, kind, rng.choice(MESSAGES[person.language][kind]), record)
            said += 1
            if sent.answered_at is None:
                person = None  # a late answer must not pass for the next message's
                continue
            await person.settle(sent)
    finally:
        await close_quietly(person)


# -- the operators' console --------------------------------------------------------------------


class Console:
    """The operator signed in to one app process, on duty, with the console's event stream open."""

    def __init__(self, app_url: str, alerts: dict[str, float]) -> None:
        self.client = httpx.AsyncClient(base_url=app_url, timeout=30)
        self.alerts = alerts
        self._stream: asyncio.Task | None = None
        self.dropped = ""

    async def sign_in(self) -> None:
        """Sign in, go on duty and open the event stream."""
        answer = await self.client.post("/console/api/sign-in", json={"username": OPERATOR, "password": PASSWORD})
        answer.raise_for_status()
        csrf = answer.json()["csrf"]
        duty = await self.client.post("/console/api/duty", json={"on_duty": True}, headers={"X-CSRF-Token": csrf})
        duty.raise_for_status()
        self._stream = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        """Note when each case's alert first came, until cancelled or the stream drops."""
        try:
            async with self.client.stream("GET", "/console/api/events", timeout=None) as stream:
                kind = ""
                async for line in stream.aiter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "alert":
                        self.alerts.setdefault(json.loads(line[6:])["case"], time.monotonic())
            self.dropped = "closed by the app"
        except httpx.HTTPError as error:
            self.dropped = type(error).__name__

    async def close(self) -> None:
        """Stop listening; say so if the stream had dropped before (its alerts would be missing)."""
        if self._stream:
            self._stream.cancel()
        if self.dropped:
            print(f"the console's event stream at {self.client.base_url} dropped: {self.dropped}", file=sys.stderr)
        await self.client.aclose()


def add_operator(settings: Settings) -> None:
    """Create the benchmark's operator account, in every team, as `./saphan operator add` does."""
    database = Database(settings.resolved_database_url())
    teams = Teams.load().ids()
    Accounts(database, teams).add(OPERATOR, "Load bench", PASSWORD, "operator", list(teams))
    database.dispose()


def cases_of(settings: Settings, conversations: set[str]) -> dict[str, list[str]]:
    """The cases opened for `conversations`, by conversation."""
    database = Database(settings.resolved_database_url())
    with database.session() as session:
        rows = session.execute(select(Handoff.id, Handoff.conversation_id)).all()
    database.dispose()
    found: dict[str, list[str]] = defaultdict(list)
    for case, conversation in rows:
        if conversation in conversations:
            found[conversation].append(case)
    return found


async def alert_times(settings: Settings, urgent: list[Sent], alerts: dict[str, float]) -> list[float | None]:
    """For each urgent message, the seconds until its case's alert came (None: none came),
    waiting `ALERT_WAIT_SECONDS` at most for the alerts still due."""
    wanted = {sent.conversation for sent in urgent}
    deadline = time.monotonic() + ALERT_WAIT_SECONDS
    while True:
        cases = await asyncio.to_thread(cases_of, settings, wanted)
        times = []
        for sent in urgent:
            came = [alerts[case] for case in cases.get(sent.conversation, []) if case in alerts]
            times.append(min(came) - sent.at if came else None)
        if None not in times or time.monotonic() > deadline:
            return times
        await asyncio.sleep(0.5)


# -- the run --------------------------------------------------------------------------------------


async def baseline(crowd: Crowd, apps: int, seed: int) -> tuple[list[Sent], float]:
    """One person on each channel opens the chat (not measured); then they ask plain questions,
    one at a time, in turn. Returns the questions and how long they took."""
    rng = random.Random(f"{seed}:baseline")
    people, warm_up, record = [], [], []
    for number, channel in enumerate(CHANNELS):
        person = crowd.person(channel, number % apps, rng.choice(sorted(MESSAGES)))
        opening = await crowd.step(person, "opening", None, warm_up)
        if opening.answered_at is None:
            raise SystemExit(f"bench/load.py: the {channel} baseline chat did not open ({opening.error or 'timeout'})")
        await person.settle(opening)
        people.append(person)
    started = time.monotonic()
    for number in range(BASELINE_MESSAGES):
        person = people[number % len(people)]
        sent = await crowd.step(person, "question", rng.choice(MESSAGES[person.language]["question"]), record)
        await person.settle(sent)
    elapsed = time.monotonic() - started
    for person in people:
        await close_quietly(person)
    return record, elapsed


async def load(crowd: Crowd, conversations: int, seconds: float, apps: int, seed: int) -> list[Sent]:
    """Play the conversations for `seconds`, then wait for the answers still due (at most
    `DRAIN_SECONDS`) and stop whatever still runs."""
    record: list[Sent] = []
    stop_at = time.monotonic() + seconds

    async def delayed(number: int) -> None:
        await asyncio.sleep(RAMP_SECONDS * number / conversations)
        await converse(crowd, number, apps, seed, stop_at, record)

    tasks = [asyncio.create_task(delayed(number)) for number in range(conversations)]
    _, running = await asyncio.wait(tasks, timeout=stop_at + DRAIN_SECONDS - time.monotonic())
    for task in running:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    if running:
        print(f"{len(running)} conversations still waiting at the end of the drain were stopped", file=sys.stderr)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome  # a fault of the benchmark's own, not of the app
    return record


async def measure(settings: Settings, platform: FakePlatform, args: argparse.Namespace) -> dict:
    """The baseline, then the load; the report's figures."""
    inbox = Inbox(platform)
    collector = asyncio.create_task(inbox.collect())
    crowd = Crowd(settings, inbox, args.apps, args.conversations)
    alerts: dict[str, float] = {}
    consoles = [Console(url, alerts) for url in crowd.app_urls]
    try:
        for console in consoles:
            await console.sign_in()
        base, base_seconds = await baseline(crowd, args.apps, args.seed)
        record = await load(crowd, args.conversations, args.seconds, args.apps, args.seed)
        urgent = [sent for sent in record if sent.kind == "urgent" and sent.error is None and sent.conversation]
        alert_seconds = await alert_times(settings, urgent, alerts)
    finally:
        for console in consoles:
            await console.close()
        await crowd.aclose()
        collector.cancel()
    result = report(args, (base, base_seconds), record, alert_seconds, inbox, settings.var_dir / "log")
    result["urgent"]["alerts_all"] = len(alerts)  # also the cases that the bot's triage found urgent
    return result


# -- the report -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float | None:
    """The `share` percentile of `values` (seconds), in milliseconds (nearest rank); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))] * 1000


def ratio(value: float | None, base: float | None) -> float | None:
    """`value` / `base`, rounded; None without both."""
    return round(value / base, 2) if value is not None and base else None


def figures(records: list[Sent], seconds: float, base_p50: float | None, inbox: Inbox) -> dict:
    """Counts and latencies of `records`; throughput is answered messages per second of load."""
    latencies = [sent.answered_at - sent.at for sent in records if sent.answered_at is not None]
    lost = [sent for sent in records if sent.lost]
    p50, p95, p99 = (percentile(latencies, share) for share in (0.5, 0.95, 0.99))
    return {
        "sent": len(records),
        "openings": sum(sent.kind == "opening" for sent in records),
        "answered": len(latencies),
        "throughput": round(len(latencies) / seconds, 2),
        "p50_ms": p50 and round(p50, 1),
        "p95_ms": p95 and round(p95, 1),
        "p99_ms": p99 and round(p99, 1),
        "p50_ratio": ratio(p50, base_p50),
        "p95_ratio": ratio(p95, base_p50),
        "errors": sum(sent.error is not None for sent in records),
        "lost": len(lost),
        # LINE and Telegram only: lost messages whose answer came after all, too late
        "lost_answered_late": sum(
            any(at >= sent.at for at in inbox.arrivals.get(sent.inbox_key, [])) for sent in lost if sent.inbox_key
        ),
    }


def log_findings(log_dir: Path) -> dict[str, int]:
    """Warnings and errors in the stack's logs: the app's by level and event (its lines are
    content-free JSON); in other logs only how many lines mention an error."""
    found: Counter[str] = Counter()
    for log in sorted(log_dir.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                entry = None
            if isinstance(entry, dict) and "level" in entry:
                if entry["level"] in ("warning", "error", "critical"):
                    found[f"{log.name} {entry['level']}: {entry.get('event')}"] += 1
            elif any(word in line for word in ("ERROR", "Error", "Traceback", "CRITICAL")):
                found[f"{log.name}: lines mentioning an error"] += 1
    return dict(found)


def report(
    args: argparse.Namespace,
    baseline_run: tuple[list[Sent], float],
    record: list[Sent],
    alert_seconds: list[float | None],
    inbox: Inbox,
    log_dir: Path,
) -> dict:
    """Everything measured, as one JSON-ready dict."""
    base, base_seconds = baseline_run
    base_latencies = [sent.answered_at - sent.at for sent in base if sent.answered_at is not None]
    base_p50 = percentile(base_latencies, 0.5)
    came = [seconds for seconds in alert_seconds if seconds is not None]
    return {
        "conversations": args.conversations,
        "seconds": args.seconds,
        "profile": args.profile,
        "bots": args.bots,
        "apps": args.apps,
        "seed": args.seed,
        "baseline": {
            **figures(base, base_seconds, base_p50, inbox),
            "by_channel_p50_ms": {
                channel: percentile([s.answered_at - s.at for s in base if s.channel == channel and s.answered_at], 0.5)
                for channel in CHANNELS
            },
        },
        "all": figures(record, args.seconds, base_p50, inbox),
        "channels": {
            channel: figures([s for s in record if s.channel == channel], args.seconds, base_p50, inbox)
            for channel in CHANNELS
        },
        "kinds": {
            kind: figures([s for s in record if s.kind == kind], args.seconds, base_p50, inbox)
            for kind in ("opening", "question", "disclosure", "urgent")
        },
        "urgent": {
            "cases": len(alert_seconds),
            "alert_p50_ms": percentile(came, 0.5),
            "alert_p95_ms": percentile(came, 0.95),
            "alert_max_ms": max(came) * 1000 if came else None,
            "alerts_over_1s": sum(seconds > ALERT_TARGET_SECONDS for seconds in came),
            "alerts_missing": len(alert_seconds) - len(came),
        },
        "error_kinds": dict(Counter(sent.error for sent in record + base if sent.error)),
        "log_findings": log_findings(log_dir),
        "log_dir": str(log_dir),
    }


def number(value: float | None, width: int, digits: int = 0) -> str:
    """`value` right-aligned in `width` characters, or a dash when there is none."""
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


COLUMNS = (  # heading, width, the row's field, digits
    ("sent", 6, "sent", 0),
    ("answered", 8, "answered", 0),
    ("lost", 5, "lost", 0),
    ("errors", 6, "errors", 0),
    ("msg/s", 6, "throughput", 1),
    ("p50 ms", 7, "p50_ms", 0),
    ("p95 ms", 7, "p95_ms", 0),
    ("p99 ms", 7, "p99_ms", 0),
    ("p50/base", 8, "p50_ratio", 2),
    ("p95/base", 8, "p95_ratio", 2),
)


def print_report(result: dict) -> None:
    """The report, as a table."""
    base, urgent, everything = result["baseline"], result["urgent"], result["all"]
    print(
        f"\nload: {result['conversations']} conversations for {result['seconds']:.0f} s (profile "
        f"{result['profile']}, {result['bots']} bot(s), {result['apps']} app(s)); logs in {result['log_dir']}"
    )
    by_channel = ", ".join(f"{channel} {number(p50, 0)}" for channel, p50 in base["by_channel_p50_ms"].items())
    print(
        f"baseline: {base['answered']}/{base['sent']} plain questions one at a time, p50 {number(base['p50_ms'], 0)}"
        f" ms, p95 {number(base['p95_ms'], 0)} ms (p50 by channel: {by_channel})\n"
    )
    print(f"{'':<9}" + "".join(f" {heading:>{width}}" for heading, width, _, _ in COLUMNS))
    for name, row in {"all": everything, **result["channels"]}.items():
        print(f"{name:<9}" + "".join(f" {number(row[field], width, digits)}" for _, width, field, digits in COLUMNS))
    print(
        f"(sent includes {everything['openings']} chat openings; "
        f"{everything['lost_answered_late']} of the lost messages were answered later)\n"
    )
    print(
        f"urgent: {urgent['cases']} cases, alert p50 {number(urgent['alert_p50_ms'], 0)} ms, "
        f"p95 {number(urgent['alert_p95_ms'], 0)} ms, max {number(urgent['alert_max_ms'], 0)} ms; "
        f"over 1 s: {urgent['alerts_over_1s']}, missing: {urgent['alerts_missing']} "
        f"(alerts in all: {urgent['alerts_all']})"
    )
    if result["error_kinds"]:
        print("errors: " + ", ".join(f"{kind} ×{count}" for kind, count in result["error_kinds"].items()))
    for finding, count in result["log_findings"].items():
        print(f"log: {finding} ×{count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50, help="conversations at once (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load sends (default 60)")
    parser.add_argument("--profile", choices=PROFILES, default="embedded", help="the stack's profile")
    parser.add_argument("--bots", type=int, default=1, help="bot processes (default 1)")
    parser.add_argument("--apps", type=int, default=1, help="app processes; conversation k uses app k %% apps")
    parser.add_argument("--seed", type=int, default=SEED, help="the seed of the message mix")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    args = parser.parse_args()
    if args.conversations < 1 or args.seconds <= 0 or args.apps < 1 or args.bots < 1:
        parser.error("--conversations, --seconds, --apps and --bots must be positive")
    check_mix()
    with running_stack(profile=args.profile, bots=args.bots, apps=args.apps) as (settings, platform):
        add_operator(settings)
        result = asyncio.run(measure(settings, platform, args))
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
