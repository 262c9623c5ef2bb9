"""Human handoff: a case from the request for a person to its end.

States: `requested → queued → active → returned | closed`. A request is the bot's answer
asking for a person; the app then queues the case, persisted in `handoffs`, so a restart
of either process loses no case and no message. A case opens when the person asks for a person,
when the triage is urgent (the bot's answer carries the request), or when an operator takes over
a live conversation. While it waits, the bot goes on helping (sharing a location, information);
once an operator takes it the app stops asking the bot, the person's messages go to the case,
and the operator writes back through the person's own channel (`core.outbox`). When the case
ends the bot resumes cleanly (Rasa's `resume` + `action_listen`) and knows an operator had it.

An urgent phrase (the triage's safety net: danger now, self-harm, a medical need) opens and
alerts the case as soon as the message arrives, before the bot reads it, so an alert never
waits behind a busy bot; the bot's triage completes the case when it answers.

No dead ends (DNH-30): when nobody is on duty for the case's team the person is told so at once,
with the hotlines (and the child line for a child), and a call-back if they agreed to be
contacted; when nobody takes a waiting case within `claim_timeout_seconds`, they are told the
same once. The case stays in the queue either way.

The channel address, the triage and the messages are encrypted at rest (`core.crypto`).

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update

from core.botclient import BotClient, BotUnavailable
from core.bus import Bus
from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.crypto import Sealer
from core.directory import Directory, hotline_parts
from core.handover import Handover
from core.locales import Catalog
from core.messages import Outbound, Rendered, Replies, TextPart
from core.outbox import Outbox
from core.records.db import Database
from core.records.models import (
    ACTIVE,
    CLOSED,
    OPEN_STATES,
    QUEUED,
    RETURNED,
    Handoff,
    HandoffMessage,
    Operator,
    utcnow,
)
from core.teams import TRAINING_QUEUE, Teams
from triage.cues import LanguageCues, safety_net_signals

logger = logging.getLogger(__name__)

REASONS = ("person", "urgent", "operator")
OUTCOMES = (
    "information_given",
    "referred_hotline",
    "referred_service",
    "rescue_requested",
    "person_left",
    "no_contact",
    "other",
)
# Short vetted texts an operator can insert, in the person's language (locale keys).
INSERTS = ("safe_now", "not_your_fault", "take_your_time", "call_if_danger")
RISK_ORDER = {"urgent": 0, "high": 1, "medium": 2, "low": 3, "none": 4}
MAX_OPERATOR_TEXT = 4000


class CaseError(Exception):
    """A case action that cannot be done; `code` says why (unknown, taken, not_yours, ended,
    not_delivered, gone, invalid) and `by` names who holds a taken case."""

    def __init__(self, code: str, by: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.by = by


@dataclass(frozen=True)
class Case:
    """A case as the queue shows it: no address, no triage evidence, no messages."""

    id: str
    conversation_id: str | None
    state: str
    team: str
    language: str
    channel: str
    country: str | None
    child: bool
    risk: str
    urgent: bool
    reason: str
    requested_at: datetime
    operator_id: int | None
    operator_name: str | None
    training: bool = False

    def waiting_seconds(self, now: datetime) -> int:
        """How long the case has waited since it was requested."""
        return max(0, int((now - self.requested_at).total_seconds()))

    def priority(self) -> tuple[int, int, datetime]:
        """Sort key: urgent first, then children, then by risk, then the longest waiting."""
        return (0 if self.urgent else 1, 0 if self.child else 1, RISK_ORDER.get(self.risk, 9), self.requested_at)


@dataclass(frozen=True)
class Person:
    """Who a case is about: their conversation, and where and in which language to write to them."""

    conversation: str
    channel: str
    address: str
    language: str
    training: bool = False  # a trainer's training chat: its case goes to the training queue


@dataclass(frozen=True)
class CaseMessage:
    """One message of a case while it was with the hotline."""

    author: str  # "person" or "operator"
    text: str
    sent_at: datetime
    operator_name: str | None


class Handoffs:
    """Opens, routes, hands over and ends cases, and keeps the person informed."""

    def __init__(
        self,
        *,
        database: Database,
        sealer: Sealer,
        teams: Teams,
        bus: Bus,
        outbox: Outbox,
        catalog: Catalog,
        directory: Directory,
        bot: BotClient,
        consents: ConsentLog,
        handover: Handover,
        case_records: CaseRecords,
        someone_on_duty: Callable[[str], bool],
        safety_cues: Iterable[LanguageCues] = (),
        claim_timeout_seconds: float = 120.0,
    ) -> None:
        self._database = database
        self._sealer = sealer
        self._teams = teams
        self._bus = bus
        self._outbox = outbox
        self._catalog = catalog
        self._directory = directory
        self._bot = bot
        self._consents = consents
        self._handover = handover
        self._case_records = case_records
        self._someone_on_duty = someone_on_duty
        self._safety_cues = list(safety_cues)
        self._claim_timeout = timedelta(seconds=claim_timeout_seconds)

    # -- opening a case --------------------------------------------------------------------

    def open_case(self, conversation: str) -> str | None:
        """The id of the conversation's open case (waiting or with an operator), or None."""
        with self._database.session() as session:
            return session.scalar(select(Handoff.id).where(_open_case_of(conversation)))

    def active_case(self, conversation: str) -> str | None:
        """The id of the conversation's case while an operator has it (the bot is silent), or None."""
        with self._database.session() as session:
            return session.scalar(select(Handoff.id).where(_open_case_of(conversation, (ACTIVE,))))

    async def request(
        self, person: Person, reason: str, triage: dict | None, requested_at: datetime | None = None
    ) -> list[Outbound]:
        """Queue a case (or keep the one already waiting) and say what the person is told now:
        whether someone can join, and (once per case) the summary and whether to pass it on.

        The bot goes on answering while the case waits; it falls silent when an operator takes it.
        """
        case, new = await asyncio.to_thread(self._open, person, reason, triage, requested_at, None)
        if new:
            self._alert(case, reason)
        elif triage:
            await asyncio.to_thread(self._update_triage, case.id, triage)
        if await asyncio.to_thread(self._someone_to_answer, case):
            notice = Outbound.keys("handoff.connecting", menu="waiting")
        else:
            first = await asyncio.to_thread(self._mark_told, case.id)
            # The bot has just given the hotlines with an urgent answer: they are not repeated then.
            with_hotlines = not (first and reason == "urgent")
            notice = self._nobody_answers(case, "handoff.nobody_on_duty", with_hotlines=with_hotlines)
        return [notice, *await self._summary_question(case)]

    async def _summary_question(self, case: Case) -> list[Outbound]:
        """The summary and the question whether to pass it on, the first time only."""
        if not await asyncio.to_thread(self._mark_asked, case.id):
            return []
        triage = await asyncio.to_thread(self.triage, case.id)
        return [await asyncio.to_thread(self._handover.summary_question, case, triage)]

    def _mark_asked(self, case_id: str) -> bool:
        """Note that the case's consent questions began; False if they had begun before."""
        return self._mark_once(case_id, Handoff.consent_asked_at)

    async def answer(self, person: Person, kind: str, granted: bool) -> list[Outbound]:
        """Log the person's answer to a consent question about their case (the team of their
        latest case receives what they agree to) and say what follows."""
        case = await asyncio.to_thread(self._latest_case, person.conversation)
        team = case.team if case is not None else None
        await asyncio.to_thread(self._consents.record, person.conversation, kind, granted, person.language, team)
        if kind in ("record", "follow_up"):
            await asyncio.to_thread(self._case_records.minimise, person.conversation)
        if case is not None:
            self._bus.publish("case", case=case.id)
        nobody = case is not None and not await asyncio.to_thread(self._someone_to_answer, case)
        return await asyncio.to_thread(self._handover.after_answer, kind, granted, case, nobody)

    def pending_question(self, conversation: str) -> str | None:
        """The consent question about the person's waiting case that is still unanswered (the
        summary's, then, after a yes, the messages'), or None: a typed yes or no answers it."""
        with self._database.session() as session:
            asked_at = session.scalar(
                select(Handoff.consent_asked_at).where(_open_case_of(conversation, (QUEUED,)))
            )
        if asked_at is None:
            return None
        answered = {d.kind: d for d in self._consents.history(conversation) if d.decided_at >= asked_at}
        if "handover" not in answered:
            return "handover"
        if answered["handover"].granted and "transcript" not in answered:
            return "transcript"
        return None

    def _latest_case(self, conversation: str) -> Case | None:
        with self._database.session() as session:
            row = session.scalars(
                select(Handoff).where(Handoff.conversation_id == conversation).order_by(Handoff.requested_at.desc())
            ).first()
            return _case(row, None) if row is not None else None

    async def alert_if_urgent(self, person: Person, text: str, received_at: datetime | None = None) -> bool:
        """Queue and alert a case at once when `text` holds a safety-net phrase (danger now,
        self-harm, a medical need), before the bot has read it: the alert does not wait for a
        busy bot. The bot's own triage then completes the case. True when a case was opened."""
        signals = safety_net_signals(self._safety_cues, text)
        if not signals:
            return False
        early = {"risk": "urgent", "urgent": True, "child": False, "families": [], "signals": signals}
        case, new = await asyncio.to_thread(self._open, person, "urgent", early, received_at, None)
        if new:
            self._alert(case, "urgent")
        return new

    def _alert(self, case: Case, reason: str) -> None:
        self._bus.publish(
            "alert",
            case=case.id,
            urgent=case.urgent,
            child=case.child,
            language=case.language,
            country=case.country,
            team=case.team,
            training=case.training,
        )
        logger.info("case queued", extra={"team": case.team, "urgent": case.urgent, "reason": reason})

    def _update_triage(self, case_id: str, triage: dict) -> None:
        """Keep the bot's newer triage on a waiting case (evidence only accumulates)."""
        with self._database.session() as session:
            row = session.get(Handoff, case_id)
            row.triage = self._sealer.seal(json.dumps(triage))
            row.risk = str(triage.get("risk") or row.risk)
            row.urgent = row.urgent or bool(triage.get("urgent"))
            row.child = row.child or bool(triage.get("child"))
            row.families = sorted(set(row.families or []) | {str(f) for f in triage.get("families") or []})
            session.commit()

    async def take_over(self, person: Person, triage: dict | None, operator: int) -> str:
        """An operator takes a live conversation: its waiting case, or a new one already theirs.

        Raises:
            CaseError: `taken` when another operator has the conversation already.
        """
        waiting = await asyncio.to_thread(self.open_case, person.conversation)
        if waiting is not None:
            await self.claim(waiting, operator)
            return waiting
        case, _ = await asyncio.to_thread(self._open, person, "operator", triage, None, operator)
        self._bus.publish("queue")
        await self._tell(case, Outbound.keys("handoff.operator_joined"), *await self._summary_question(case))
        return case.id

    def _open(
        self, person: Person, reason: str, triage: dict | None, requested_at: datetime | None, operator: int | None
    ) -> tuple[Case, bool]:
        """The conversation's open case, or a new one; and whether it is new."""
        now = utcnow()
        triage = triage or {}
        country = triage.get("country") if isinstance(triage.get("country"), str) else None
        with self._database.session() as session:
            existing = session.scalar(select(Handoff).where(_open_case_of(person.conversation)))
            if existing is not None:
                return _case(existing, None), False
            row = Handoff(
                id=secrets.token_hex(8),
                conversation_id=person.conversation,
                channel=person.channel,
                address=self._sealer.seal(person.address),
                language=person.language,
                country=country,
                child=bool(triage.get("child")),
                risk=str(triage.get("risk") or "none"),
                urgent=reason == "urgent" or bool(triage.get("urgent")),
                families=[str(family) for family in triage.get("families") or []],
                triage=self._sealer.seal(json.dumps(triage)) if triage else None,
                reason=reason,
                team=self._teams.route(country, person.language),
                state=QUEUED if operator is None else ACTIVE,
                operator_id=operator,
                requested_at=requested_at or now,
                queued_at=now,
                alerted_at=now if operator is None else None,
                claimed_at=now if operator is not None else None,
                training=person.training,
            )
            session.add(row)
            session.commit()
            return _case(row, None), True

    def _someone_to_answer(self, case: Case) -> bool:
        """True when someone can take `case` now: a trainer on duty for a training chat's case."""
        return self._someone_on_duty(TRAINING_QUEUE if case.training else case.team)

    def _mark_told(self, case_id: str) -> bool:
        """Note that the person was told nobody can answer now; False if they had been told before."""
        return self._mark_once(case_id, Handoff.person_told_at)

    def _mark_once(self, case_id: str, column) -> bool:
        """Set the case's time `column` to now unless it is set: one conditional UPDATE, so only
        one of two concurrent callers gets True."""
        with self._database.session() as session:
            result = session.execute(
                update(Handoff).where(Handoff.id == case_id, column.is_(None)).values({column.key: utcnow()})
            )
            session.commit()
            return result.rowcount == 1

    def _nobody_answers(self, case: Case, key: str, with_hotlines: bool = True) -> Outbound:
        """The honest answer when no person can take the case now (DNH-30)."""
        parts = [TextPart(key)]
        if with_hotlines:
            parts += hotline_parts(self._directory, case.country)
        if case.child:
            parts += [
                TextPart.of("handoff.child_line", number=line.number, name=line.name)
                for line in self._directory.child_lines(case.country, case.language)
            ]
        if case.conversation_id and self._consents.granted(case.conversation_id, "follow_up"):
            parts.append(TextPart("handoff.callback_offer"))
        return Outbound(tuple(parts), menu="waiting")

    # -- while the case is open ------------------------------------------------------------

    async def person_wrote(self, case_id: str, text: str, message_ref: str | None = None) -> None:
        """Keep a message the person wrote while the case is open, and tell the console."""
        await asyncio.to_thread(self._add_message, case_id, "person", None, text, message_ref)
        self._bus.publish("case", case=case_id)

    def _add_message(self, case_id: str, author: str, operator: int | None, text: str, ref: str | None) -> datetime:
        now = utcnow()
        with self._database.session() as session:
            session.add(
                HandoffMessage(
                    handoff_id=case_id,
                    author=author,
                    operator_id=operator,
                    text=self._sealer.seal(text),
                    message_ref=ref,
                    sent_at=now,
                )
            )
            if author == "operator":
                session.execute(
                    update(Handoff)
                    .where(Handoff.id == case_id, Handoff.first_reply_at.is_(None))
                    .values(first_reply_at=now)
                )
            session.commit()
        return now

    def changed(self, case_id: str) -> None:
        """Tell the console that something of the case changed outside it (the person's location,
        an answer the assistant gave them)."""
        self._bus.publish("case", case=case_id)

    def blank(self, conversation: str, message_ref: str) -> int:
        """Blank a message the person took back (LINE's unsend); return how many were blanked."""
        with self._database.session() as session:
            cases = select(Handoff.id).where(Handoff.conversation_id == conversation)
            result = session.execute(
                update(HandoffMessage)
                .where(HandoffMessage.handoff_id.in_(cases), HandoffMessage.message_ref == message_ref)
                .values(text=self._sealer.seal(""))
            )
            session.commit()
            return result.rowcount or 0

    # -- operators' actions ----------------------------------------------------------------

    async def claim(self, case_id: str, operator: int) -> Case:
        """Take a waiting case: exactly one operator wins, whoever asks at the same time.

        Raises:
            CaseError: unknown, or `taken` (with who holds it), or `ended`.
        """
        won = await asyncio.to_thread(
            self._transition, case_id, (QUEUED,), state=ACTIVE, operator_id=operator, claimed_at=utcnow()
        )
        case = await self._existing(case_id)
        if not won:
            if case.state == ACTIVE:
                raise CaseError("taken", by=case.operator_name)
            raise CaseError("ended")
        self._bus.publish("queue")
        self._bus.publish("case", case=case_id)
        await self._tell(case, Outbound.keys("handoff.operator_joined"), *await self._summary_question(case))
        return case

    async def write(self, case_id: str, operator: int, text: str) -> datetime:
        """Send an operator's message to the person on their channel, and keep it in the case.

        Raises:
            CaseError: `invalid` text, the case is not this operator's active case, `gone`
                (forgotten), or `not_delivered` (the channel failed after its retries).
        """
        text = text.strip()
        if not text or len(text) > MAX_OPERATOR_TEXT:
            raise CaseError("invalid")
        case = await self._existing(case_id)
        if case.state != ACTIVE or case.operator_id != operator:
            raise CaseError("not_yours")
        await self._deliver(case, Replies(case.language, [Rendered(text, author="team")]))
        sent_at = await asyncio.to_thread(self._add_message, case_id, "operator", operator, text, None)
        self._bus.publish("case", case=case_id)
        return sent_at

    async def transfer(self, case_id: str, operator: int | None, to_operator: int) -> Case:
        """Give an active case to another operator; `operator` None lets a supervisor move any case.

        Raises:
            CaseError: the case is not active (or not `operator`'s), or `invalid` target.
        """
        case = await self._existing(case_id)
        if case.state != ACTIVE or (operator is not None and case.operator_id != operator):
            raise CaseError("not_yours")
        target = await asyncio.to_thread(self._operator_name, to_operator)
        if target is None:
            raise CaseError("invalid")
        moved = await asyncio.to_thread(
            self._transition,
            case_id,
            (ACTIVE,),
            state=ACTIVE,
            operator_id=to_operator,
            expect_operator=case.operator_id,
        )
        if not moved:
            raise CaseError("not_yours")
        self._bus.publish("queue")
        self._bus.publish("case", case=case_id)
        return await self._existing(case_id)

    async def leave_queue(self, case_id: str) -> Outbound | None:
        """The person chose to go back to the assistant while waiting: the case ends (returned)
        and the bot resumes. Returns what they are told, or None once an operator has the case."""
        case = await self._existing(case_id)
        if case.state != QUEUED or not await asyncio.to_thread(
            self._transition, case_id, (QUEUED,), state=RETURNED, outcome="person_left", ended_at=utcnow()
        ):
            return None
        await self._resume(case)
        self._bus.publish("queue")
        self._bus.publish("case", case=case_id)
        if case.conversation_id:  # no one joined: nothing of this case is worth a record question
            await asyncio.to_thread(self._case_records.minimise, case.conversation_id, utcnow())
        return Outbound.keys("handoff.left_queue", menu="main")

    async def person_stopped(self, case_id: str) -> None:
        """The person wrote STOP while their case waited or an operator had it: it ends at once
        (closed, the person left), with no further word from the team, and the bot answers them.
        A case no one had joined keeps nothing worth a record question (DNH-7)."""
        case = await self._existing(case_id)
        if await asyncio.to_thread(
            self._transition, case_id, OPEN_STATES, state=CLOSED, outcome="person_left", ended_at=utcnow()
        ):
            await self._resume(case)
            self._bus.publish("queue")
            self._bus.publish("case", case=case_id)
            if case.state == QUEUED and case.conversation_id:
                await asyncio.to_thread(self._case_records.minimise, case.conversation_id, utcnow())

    async def hand_back(self, case_id: str, operator: int | None) -> Case:
        """Give the conversation back to the bot, which resumes cleanly and says so."""
        return await self._end(case_id, operator, RETURNED, None, Outbound.keys("handoff.returned", menu="main"))

    async def close(self, case_id: str, operator: int | None, outcome: str) -> Case:
        """End the case with an outcome code; the person is told how to come back (DNH-34).

        Raises:
            CaseError: `invalid` outcome, or the case is not open (or not `operator`'s).
        """
        if outcome not in OUTCOMES:
            raise CaseError("invalid")
        case = await self._existing(case_id)
        closing = Outbound((TextPart("handoff.closed"), *hotline_parts(self._directory, case.country)), menu="main")
        return await self._end(case_id, operator, CLOSED, outcome, closing)

    async def _end(self, case_id: str, operator: int | None, state: str, outcome: str | None, notice: Outbound) -> Case:
        case = await self._existing(case_id)
        if case.state not in OPEN_STATES or (operator is not None and case.operator_id not in (None, operator)):
            raise CaseError("not_yours" if case.state in OPEN_STATES else "ended")
        ended = await asyncio.to_thread(
            self._transition, case_id, OPEN_STATES, state=state, outcome=outcome, ended_at=utcnow()
        )
        if not ended:
            raise CaseError("ended")
        await self._resume(case)
        self._bus.publish("queue")
        self._bus.publish("case", case=case_id)
        record = await asyncio.to_thread(self._handover.record_question, case.conversation_id)
        await self._tell(case, notice, *filter(None, [record]))
        if case.conversation_id:
            await asyncio.to_thread(self._case_records.minimise, case.conversation_id)
        return await self._existing(case_id)

    async def _resume(self, case: Case) -> None:
        if case.conversation_id:
            try:
                await self._bot.resume(case.conversation_id)
            except BotUnavailable:
                logger.error("bot not resumed after a case ended; it resumes on the next message")

    # -- the dead-end rule -----------------------------------------------------------------

    async def remind_waiting(self, now: datetime | None = None) -> int:
        """Tell every person whose case waited past the timeout, once; return how many were told."""
        cutoff = (now or utcnow()) - self._claim_timeout
        waiting = await asyncio.to_thread(self._waiting_since, cutoff)
        told = 0
        for case in waiting:
            if not await asyncio.to_thread(self._mark_told, case.id):
                continue  # another app process told them
            told += 1
            follow_up = await asyncio.to_thread(self._handover.follow_up_question, case.conversation_id)
            await self._tell(case, self._nobody_answers(case, "handoff.still_waiting"), *filter(None, [follow_up]))
            logger.info("person told that nobody has taken the case yet", extra={"team": case.team})
        return told

    async def watch(self, interval_seconds: float = 5.0) -> None:
        """Apply the dead-end rule every `interval_seconds`, for as long as the app runs."""
        while True:
            try:
                await self.remind_waiting()
            except Exception as error:  # a failed round is retried at the next one, never fatal
                logger.error("waiting cases not checked", extra={"error": type(error).__name__})
            await asyncio.sleep(interval_seconds)

    def _waiting_since(self, cutoff: datetime) -> list[Case]:
        with self._database.session() as session:
            rows = session.scalars(
                select(Handoff).where(
                    Handoff.state == QUEUED, Handoff.person_told_at.is_(None), Handoff.queued_at < cutoff
                )
            ).all()
            return [_case(row, None) for row in rows]

    # -- reading ---------------------------------------------------------------------------

    def case(self, case_id: str) -> Case | None:
        """One case, or None."""
        with self._database.session() as session:
            row = session.get(Handoff, case_id)
            if row is None:
                return None
            name = session.get(Operator, row.operator_id).display_name if row.operator_id else None
            return _case(row, name)

    def queue(self, teams: list[str] | None, training: bool = False) -> list[Case]:
        """The open cases of `teams` (None: every team), most pressing first: real cases, or
        with `training` the cases of training chats."""
        with self._database.session() as session:
            query = select(Handoff, Operator.display_name).outerjoin(Operator, Handoff.operator_id == Operator.id)
            query = query.where(Handoff.state.in_(OPEN_STATES), Handoff.training.is_(training))
            if teams is not None:
                query = query.where(Handoff.team.in_(teams))
            cases = [_case(row, name) for row, name in session.execute(query).all()]
        return sorted(cases, key=Case.priority)

    def messages(self, case_id: str) -> list[CaseMessage]:
        """The case's messages, oldest first, decrypted."""
        with self._database.session() as session:
            rows = session.execute(
                select(HandoffMessage, Operator.display_name)
                .outerjoin(Operator, HandoffMessage.operator_id == Operator.id)
                .where(HandoffMessage.handoff_id == case_id)
                .order_by(HandoffMessage.id)
            ).all()
            return [CaseMessage(row.author, self._sealer.open(row.text), row.sent_at, name) for row, name in rows]

    def triage(self, case_id: str) -> dict | None:
        """The triage the case was opened with, decrypted."""
        with self._database.session() as session:
            sealed = session.scalar(select(Handoff.triage).where(Handoff.id == case_id))
        return json.loads(self._sealer.open(sealed)) if sealed else None

    def inserts(self, language: str, country: str | None) -> list[tuple[str, str]]:
        """The quick inserts for a case: (label, text in the person's language)."""
        hotlines = self._catalog.render(Outbound(hotline_parts(self._directory, country)), language).text
        texts = [(key, self._catalog.text(language, f"handoff.insert.{key}")) for key in INSERTS]
        return [("hotline", hotlines), *texts]

    # -- helpers ---------------------------------------------------------------------------

    async def _existing(self, case_id: str) -> Case:
        case = await asyncio.to_thread(self.case, case_id)
        if case is None:
            raise CaseError("unknown")
        return case

    def _operator_name(self, operator: int) -> str | None:
        with self._database.session() as session:
            row = session.get(Operator, operator)
            return row.display_name if row is not None and not row.disabled else None

    def _transition(
        self, case_id: str, from_states: tuple[str, ...], expect_operator: int | None = None, **values: object
    ) -> bool:
        """Change a case only if it is in one of `from_states` (and held by `expect_operator`,
        when given): one conditional UPDATE, so concurrent changes cannot both win."""
        condition = [Handoff.id == case_id, Handoff.state.in_(from_states)]
        if expect_operator is not None:
            condition.append(Handoff.operator_id == expect_operator)
        with self._database.session() as session:
            result = session.execute(update(Handoff).where(*condition).values(**values))
            session.commit()
            return result.rowcount == 1

    def _address(self, case_id: str) -> str | None:
        with self._database.session() as session:
            sealed = session.scalar(select(Handoff.address).where(Handoff.id == case_id))
        return self._sealer.open(sealed) if sealed else None

    async def _deliver(self, case: Case, replies: Replies) -> None:
        address = await asyncio.to_thread(self._address, case.id)
        if address is None:
            raise CaseError("gone")
        try:
            await self._outbox.send(case.channel, address, replies)
        except Exception as error:  # the channel has retried; the operator is told it failed
            logger.error("case message not delivered", extra={"channel": case.channel, "error": type(error).__name__})
            raise CaseError("not_delivered") from error

    async def _tell(self, case: Case, *notices: Outbound) -> None:
        """Send notices about the case to the person; a failure is logged, never raised."""
        rendered = [self._catalog.render(notice, case.language) for notice in notices]
        try:
            await self._deliver(case, Replies(case.language, rendered))
        except CaseError as error:
            logger.warning("case notice not delivered", extra={"reason": error.code})


def _open_case_of(conversation: str, states: tuple[str, ...] = OPEN_STATES):
    """The condition that selects the conversation's case in one of `states`."""
    return and_(Handoff.conversation_id == conversation, Handoff.state.in_(states))


def _case(row: Handoff, operator_name: str | None) -> Case:
    return Case(
        id=row.id,
        conversation_id=row.conversation_id,
        state=row.state,
        team=row.team,
        language=row.language,
        channel=row.channel,
        country=row.country,
        child=row.child,
        risk=row.risk,
        urgent=row.urgent,
        reason=row.reason,
        requested_at=row.requested_at,
        operator_id=row.operator_id,
        operator_name=operator_name,
        training=bool(row.training),
    )
