"""The conversation router: one place where every channel's message meets the bot.

For each `Inbound` it finds the conversation (by pseudonymous id), normalises the text,
settles the language (chosen from a menu or by name, otherwise detected), asks the bot, and
renders the answers in the conversation's language. Messages of one conversation are handled
one at a time, in order. If the bot fails, the person still gets the hotline numbers.

Besides text and buttons: a shared location is held in memory (`core.locations`) and the bot
is told that one arrived; opening the chat greets; closing it (LINE's unfollow) marks the
conversation so nothing more is sent; an unsent message is blanked in the transcript; an
answer that confirms "forget me" deletes everything kept about the conversation once given.

While an operator has the conversation's case (`core.handoff`) the bot is not asked: the person's
text goes to the case. An answer that carries the bot's request for a person queues a case; the
bot goes on answering while it waits. The answers to the consent questions about a case
(`core.handover`) are the app's: they never reach the bot, whether given by button or, while the
case waits, typed (only a clear yes is a yes). The router also remembers, in memory only, who
wrote recently, so an operator can take over a live conversation.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from core.botclient import BotClient, BotUnavailable
from core.data_rights import PersonalData
from core.directory import Directory, hotline_parts
from core.handoff import CaseError, Handoffs, Person
from core.identity import conversation_id, message_ref
from core.language import burmese_encoding, detect, named_language, normalise, unsupported_script
from core.locales import Catalog
from core.locations import SharedLocations
from core.menus import (
    ALLOWED_PAYLOADS,
    BACK_TO_ASSISTANT,
    chosen_language,
    consent_answer,
    language_payload,
    typed_command,
)
from core.messages import (
    GROUP_CHAT,
    ClosedContent,
    Inbound,
    LocationContent,
    OpenedContent,
    Outbound,
    PostbackContent,
    Rendered,
    Replies,
    TextContent,
    UnsentContent,
    UnsupportedContent,
)
from core.outbox import Outbox
from core.records.db import Database
from core.records.models import Conversation, utcnow
from core.records.transcripts import Transcripts
from core.settings import LANGUAGES

logger = logging.getLogger(__name__)


GREETING_PAYLOAD = "/greet"
# What the bot is sent when a location arrives (never a button: people cannot send it).
LOCATION_PAYLOAD = "/location_shared"
# Marks a message written in a language Saphan cannot read; answered with the language menu.
_UNSUPPORTED = "\x00unsupported"
# A conversation counts as live for an operator's takeover while its last message is this recent.
LIVE_FOR = timedelta(minutes=30)
# What the assistant still answers while an operator has the case: the person can always stop,
# take back an agreement, ask what is kept and be forgotten (the last two by button, too).
PERSON_CONTROLS = frozenset({"stop", "withdraw_consent", "ask_what_kept", "forget_me", "confirm_forget", "keep_data"})
MAX_LIVE = 2000
# A typed yes to a consent question about a waiting case counts only when the classifier is this
# sure of it, and this much surer than of anything else (a false yes shares what the person did
# not agree to share; a false no only keeps it back).
TYPED_YES_CONFIDENCE = 0.4
TYPED_YES_MARGIN = 0.25
# Pauses before the bot is asked again after a failed turn (its database restarting, a process
# starting): the person hears the hotline numbers instead only once these have passed.
BOT_RETRY_DELAYS_SECONDS = (0.5, 1.5, 3.0)


@dataclass(frozen=True)
class LiveConversation:
    """A conversation with the bot that an operator may take over (held in memory only)."""

    ref: str
    key: str
    channel: str
    address: str
    language: str
    last_at: datetime


class InvalidPayload(ValueError):
    """A button payload that no menu offers."""


class Conversations:
    """Routes every person's message to the bot and renders the answers."""

    def __init__(
        self,
        *,
        secret_key: str,
        default_language: str,
        database: Database,
        bot: BotClient,
        catalog: Catalog,
        directory: Directory,
        locations: SharedLocations,
        transcripts: Transcripts,
        personal_data: PersonalData,
        handoffs: Handoffs,
        outbox: Outbox,
    ) -> None:
        self._secret_key = secret_key
        self._default_language = default_language
        self._database = database
        self._bot = bot
        self._catalog = catalog
        self._directory = directory
        self._locations = locations
        self._transcripts = transcripts
        self._personal_data = personal_data
        self._handoffs = handoffs
        self._outbox = outbox
        self._live: OrderedDict[str, LiveConversation] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, conversation: str) -> asyncio.Lock:
        lock = self._locks.get(conversation)
        if lock is None:
            lock = self._locks[conversation] = asyncio.Lock()
        return lock

    async def handle(self, inbound: Inbound) -> Replies:
        """Handle one event and return the answers to send, in order (possibly none).

        Raises:
            InvalidPayload: a postback that no menu offers (nothing is sent to the bot).
        """
        content = inbound.content
        if isinstance(content, PostbackContent) and content.payload not in ALLOWED_PAYLOADS:
            raise InvalidPayload("payload not offered by any menu")
        if isinstance(content, UnsupportedContent) and content.kind == GROUP_CHAT:
            language = inbound.language_hint if inbound.language_hint in LANGUAGES else self._default_language
            return Replies(language, [self.render(Outbound.keys("errors.private_only"), language)])
        if isinstance(content, LocationContent) and content.live:
            # A live location's new fix only updates the held location: no answer each time.
            self._locations.receive(self.key(inbound.channel, inbound.channel_user), content)
            language = await self.language_of(inbound.channel, inbound.channel_user)
            return Replies(language or self._default_language, [])
        if isinstance(content, OpenedContent):
            return await self.greet(inbound.channel, inbound.channel_user, inbound.language_hint)
        if isinstance(content, ClosedContent):
            return await self._close(inbound.channel, inbound.channel_user)
        if isinstance(content, UnsentContent):
            return await self._unsend(inbound.channel, inbound.channel_user, content.message_id)
        return await self._exchange(inbound, lambda record: self._settle_language(record, inbound))

    async def greet(self, channel: str, channel_user: str, language_hint: str | None) -> Replies:
        """Open a conversation: the bot's greeting, in the hinted language if there is no other."""
        opened = Inbound(
            channel=channel, channel_user=channel_user, content=OpenedContent(), language_hint=language_hint
        )
        return await self._exchange(opened, lambda record: GREETING_PAYLOAD)

    def key(self, channel: str, channel_user: str) -> str:
        """The pseudonymous conversation id of a channel's user."""
        return conversation_id(self._secret_key, channel, channel_user)

    async def language_of(self, channel: str, channel_user: str) -> str | None:
        """The language of an existing conversation, or None if there is none yet."""
        return await asyncio.to_thread(self._stored_language, self.key(channel, channel_user))

    def _stored_language(self, key: str) -> str | None:
        with self._database.session() as session:
            record = session.get(Conversation, key)
            return record.language if record else None

    async def _exchange(self, inbound: Inbound, settle) -> Replies:
        key = self.key(inbound.channel, inbound.channel_user)
        async with self._lock(key):
            record = await asyncio.to_thread(self._load, key, inbound.channel)
            record.closed_at = None
            if not record.language and inbound.language_hint in LANGUAGES:
                record.language = inbound.language_hint
            message = settle(record)
            language = record.language or self._default_language
            case = await asyncio.to_thread(self._handoffs.active_case, key)
            person = Person(key, inbound.channel, inbound.channel_user, language, record.training_by is not None)
            answer = consent_answer(message) if isinstance(inbound.content, PostbackContent) else None
            if answer is not None:
                outbounds = await self._handoffs.answer(person, *answer)
            elif case is not None and isinstance(inbound.content, (TextContent, LocationContent, PostbackContent)):
                outbounds = await self._to_case(case, key, inbound, message, language, record.zawgyi)
            elif message == BACK_TO_ASSISTANT:
                outbounds = await self._leave_queue(key)
            elif message is None:
                outbounds = [Outbound.keys("errors.not_text", menu="main")]
            elif message == _UNSUPPORTED:
                outbounds = [Outbound.keys("language.unsupported", menu="language")]
            elif not message:
                outbounds = [Outbound.keys("fallback.not_understood", menu="main")]
            elif (typed := await self._typed_consent_answer(key, inbound.content, message)) is not None:
                outbounds = await self._handoffs.answer(person, *typed)
            else:
                if isinstance(inbound.content, LocationContent):
                    self._locations.receive(key, inbound.content)
                metadata = {"language": language, "channel": inbound.channel}
                if inbound.message_id:
                    metadata["message_ref"] = message_ref(self._secret_key, inbound.channel, inbound.message_id)
                if isinstance(inbound.content, TextContent):
                    await self._handoffs.alert_if_urgent(person, message, inbound.received_at)
                outbounds = await self._ask_bot(key, message, metadata)
                await self._stop_waiting_case(key, outbounds)
                if not person.training:  # a training chat is never offered to real operators
                    self._remember_live(key, inbound, language)
                outbounds += await self._open_case_if_asked(person, inbound, outbounds)
            try:
                await asyncio.to_thread(self._save, record)
            except SQLAlchemyError as error:  # the answers stand: the bot has acted on the message
                logger.error("conversation not saved", extra={"error": type(error).__name__})
            if any(outbound.forget for outbound in outbounds):
                # The bot has saved its last turn: now everything kept about the person goes.
                await asyncio.to_thread(self._personal_data.forget, key)
                logger.info("conversation forgotten at the person's request", extra={"channel": inbound.channel})
            # An answer that only asked for a person says nothing itself.
            said = [outbound for outbound in outbounds if outbound.say or outbound.menu]
            return Replies(language, [self._catalog.render(outbound, language) for outbound in said])

    async def _to_case(
        self, case: str, key: str, inbound: Inbound, message: str | None, language: str, zawgyi_phone: bool
    ) -> list[Outbound]:
        """Give the person's message to the open case; the bot stays silent unless the person
        stops, takes back an agreement, asks what is kept or asks to be forgotten (DNH-7, DNH-8):
        those the assistant still answers, and a STOP also ends the case at once."""
        content = inbound.content
        if isinstance(content, TextContent):
            ref = message_ref(self._secret_key, inbound.channel, inbound.message_id) if inbound.message_id else None
            await self._handoffs.person_wrote(case, normalise(content.text, zawgyi_phone), ref)
        elif isinstance(content, LocationContent):
            self._locations.receive(key, content)
            self._handoffs.changed(case)
            return []
        intent = await self._person_control(content, message)
        if intent is None:
            return []
        if intent == "stop":
            await self._handoffs.person_stopped(case)
        answers = await self._ask_bot(key, message, {"language": language, "channel": inbound.channel})
        self._handoffs.changed(case)
        return answers

    async def _typed_consent_answer(self, key: str, content: object, message: str) -> tuple[str, bool] | None:
        """The kind and the answer of a typed yes or no to the consent question the person's
        waiting case asked (as its buttons would give), or None. Only a clear yes is a yes (DNH-4);
        anything else, and any message the safety net flags, goes to the bot as usual."""
        if not isinstance(content, TextContent):
            return None
        kind = await asyncio.to_thread(self._handoffs.pending_question, key)
        if kind is None:
            return None
        try:
            parsed = await self._bot.parse(message)
        except BotUnavailable:
            return None
        if parsed.safety_net:
            return None
        if parsed.intent == "deny":
            return kind, False
        if parsed.intent == "affirm" and _clear_yes(parsed.ranking):
            return kind, True
        return None

    async def _person_control(self, content: object, message: str | None) -> str | None:
        """The control the person used while an operator has their case, or None."""
        if not message:
            return None
        if isinstance(content, PostbackContent):
            intent = message.lstrip("/")
        else:
            try:
                intent = (await self._bot.parse(message)).intent
            except BotUnavailable:
                return None
        return intent if intent in PERSON_CONTROLS else None

    async def _stop_waiting_case(self, key: str, outbounds: list[Outbound]) -> None:
        """After the bot's answer to STOP, a case still waiting for a person ends too: no one
        writes to a person who stopped (DNH-7)."""
        if any(outbound.stop for outbound in outbounds):
            case = await asyncio.to_thread(self._handoffs.open_case, key)
            if case:
                await self._handoffs.person_stopped(case)

    async def _leave_queue(self, key: str) -> list[Outbound]:
        """The person no longer waits for a person: the waiting case ends (if it still waits)."""
        case = await asyncio.to_thread(self._handoffs.open_case, key)
        notice = await self._handoffs.leave_queue(case) if case else None
        return [notice or Outbound.keys("handoff.left_queue", menu="main")]

    async def _open_case_if_asked(self, person: Person, inbound: Inbound, outbounds: list[Outbound]) -> list[Outbound]:
        """Open a case when the bot's answer asks for a person; return what the person is told."""
        request = next((outbound.handoff for outbound in outbounds if outbound.handoff), None)
        if request is None:
            return []
        return await self._handoffs.request(person, request.reason, request.triage, inbound.received_at)

    def _remember_live(self, key: str, inbound: Inbound, language: str) -> None:
        self._live.pop(key, None)
        self._live[key] = LiveConversation(key[:16], key, inbound.channel, inbound.channel_user, language, utcnow())
        while len(self._live) > MAX_LIVE:
            self._live.popitem(last=False)

    def live(self, now: datetime | None = None) -> list[LiveConversation]:
        """The conversations with the bot in the last `LIVE_FOR`, most recent first."""
        cutoff = (now or utcnow()) - LIVE_FOR
        return [live for live in reversed(self._live.values()) if live.last_at >= cutoff]

    async def take_over(self, ref: str, operator: int) -> str:
        """An operator takes over a live conversation; return its case's id.

        Raises:
            CaseError: `unknown` (no live conversation has this ref) or `taken` (another operator has it).
        """
        live = next((item for item in self.live() if item.ref == ref), None)
        if live is None:
            raise CaseError("unknown")
        async with self._lock(live.key):
            try:
                triage = await self._bot.triage(live.key)
            except BotUnavailable:
                triage = None
            person = Person(live.key, live.channel, live.address, live.language)
            case = await self._handoffs.take_over(person, triage, operator)
            self._live.pop(live.key, None)
            return case

    async def _close(self, channel: str, channel_user: str) -> Replies:
        key = self.key(channel, channel_user)
        async with self._lock(key):
            record = await asyncio.to_thread(self._load, key, channel)
            record.closed_at = utcnow()
            await asyncio.to_thread(self._save, record)
            return Replies(record.language or self._default_language, [])

    async def _unsend(self, channel: str, channel_user: str, message_id: str) -> Replies:
        key = self.key(channel, channel_user)
        async with self._lock(key):
            ref = message_ref(self._secret_key, channel, message_id)
            blanked = await asyncio.to_thread(self._transcripts.blank, key, ref)
            blanked += await asyncio.to_thread(self._handoffs.blank, key, ref)
            logger.info("unsent message blanked", extra={"channel": channel, "events": blanked})
            language = await asyncio.to_thread(self._stored_language, key)
            return Replies(language or self._default_language, [])

    def render(self, outbound: Outbound, language: str) -> Rendered:
        """Render an answer the router did not produce (a channel's own notice)."""
        return self._catalog.render(outbound, language)

    def _settle_language(self, record: Conversation, inbound: Inbound) -> str | None:
        """Update the conversation's language; return the text for the bot (None: not text)."""
        content = inbound.content
        if isinstance(content, LocationContent):
            return LOCATION_PAYLOAD
        if isinstance(content, PostbackContent):
            chosen = chosen_language(content.payload)
            if chosen:
                record.language, record.language_chosen = chosen, True
            return content.payload
        if not isinstance(content, TextContent):
            return None
        text = normalise(content.text, record.zawgyi)
        encoding = burmese_encoding(content.text)
        if encoding:
            record.zawgyi = encoding == "zawgyi"
        chosen = named_language(text)
        if chosen:
            record.language, record.language_chosen = chosen, True
            return language_payload(chosen)
        if unsupported_script(text):
            return _UNSUPPORTED
        detected = detect(text)
        if detected:
            record.language = detected
        command = typed_command(text)
        if command:
            return command
        # Text that starts with "/" would be read by Rasa as an intent: people only type text.
        return text.lstrip("/").strip()

    async def _ask_bot(self, key: str, message: str, metadata: dict[str, str]) -> list[Outbound]:
        for pause in (*BOT_RETRY_DELAYS_SECONDS, None):
            try:
                return await self._bot.send(key, message, metadata)
            except BotUnavailable:
                if pause is not None:
                    logger.warning("bot turn failed; will ask again", extra={"channel": metadata["channel"]})
                    await asyncio.sleep(pause)
        logger.error("bot unavailable; hotline numbers given instead", extra={"channel": metadata["channel"]})
        return [self._cannot_answer()]

    def _cannot_answer(self) -> Outbound:
        return Outbound((*Outbound.keys("errors.bot_unavailable").say, *hotline_parts(self._directory)))

    def unavailable(self, inbound: Inbound) -> Replies:
        """What a person is told when their message cannot be handled now (the database or the
        bot is failing): that Saphan cannot answer, and the hotline numbers. Reads no record."""
        language = inbound.language_hint if inbound.language_hint in LANGUAGES else self._default_language
        return Replies(language, [self._catalog.render(self._cannot_answer(), language)])

    def _load(self, key: str, channel: str) -> Conversation:
        with self._database.session() as session:
            record = session.get(Conversation, key)
            if record is None:
                record = Conversation(id=key, channel=channel, language=None, language_chosen=False)
                session.add(record)
                session.commit()
            return record

    def _save(self, record: Conversation) -> None:
        record.last_active_at = utcnow()
        with self._database.session() as session:
            session.merge(record)
            session.commit()


def _clear_yes(ranking: tuple[tuple[str, float], ...]) -> bool:
    """Whether the classifier ranks a yes first, surely enough and far enough ahead of the next
    intent, to count as a typed yes."""
    if not ranking or ranking[0][0] != "affirm":
        return False
    runner_up = ranking[1][1] if len(ranking) > 1 else 0.0
    return ranking[0][1] >= TYPED_YES_CONFIDENCE and ranking[0][1] - runner_up >= TYPED_YES_MARGIN
