"""Background delivery: once per event, in order per person, retried, never blocking others; kept
in the inbox so that another process (or the same one restarted) answers what a dead one left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from core.conversation import InvalidPayload
from core.crypto import Sealer
from core.delivery import Delivery
from core.inbox import Inbox
from core.messages import Inbound, Rendered, Replies, TextContent
from core.records.db import Database
from core.records.models import ChannelEvent, ConversationLease, utcnow


class FakeRouter:
    """Stands in for `Conversations`: answers each text with itself, after a delay per text."""

    def __init__(self, delays: dict[str, float] | None = None, failures: dict[str, int] | None = None) -> None:
        self.delays = delays or {}
        self.failures = dict(failures or {})
        self.calls: list[str] = []

    async def handle(self, inbound: Inbound) -> Replies:
        text = inbound.content.text
        self.calls.append(text)
        await asyncio.sleep(self.delays.get(text, 0))
        if text == "forged":
            raise InvalidPayload("no menu offers it")
        if self.failures.get(text, 0) > 0:
            self.failures[text] -= 1
            raise RuntimeError("database unavailable")
        return Replies("en", [Rendered(text)])

    def key(self, channel: str, channel_user: str) -> str:
        return f"{channel}:{channel_user}"

    def unavailable(self, inbound: Inbound) -> Replies:
        return Replies("en", [Rendered("call a hotline")])


@pytest.fixture()
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    yield database
    database.dispose()


SEALER = Sealer("test-key")


def inbox(database: Database, owner: str = "app") -> Inbox:
    return Inbox(database, SEALER, owner)


def delivery_for(router, database, send, owner: str = "app", retry_delays=(0.01,)) -> Delivery:
    return Delivery(router, inbox(database, owner), send, retry_delays=retry_delays)


def inbound(text: str, user: str = "u1", event_id: str | None = None, **extra) -> Inbound:
    return Inbound(channel="line", channel_user=user, content=TextContent(text), event_id=event_id, **extra)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, event: Inbound, replies: Replies) -> None:
        self.sent.extend((event.channel_user, message.text) for message in replies.messages)


def run(coroutine):
    return asyncio.run(coroutine)


def test_answers_keep_the_order_of_one_persons_messages(database):
    async def scenario():
        router, outbox = FakeRouter({"first": 0.2, "second": 0.0}), Outbox()
        delivery = delivery_for(router, database, outbox.send)
        for text in ("first", "second", "third"):
            await delivery.accept(inbound(text))
        await delivery.drain()
        return outbox.sent

    assert run(scenario()) == [("u1", "first"), ("u1", "second"), ("u1", "third")]


def test_a_slow_person_does_not_hold_up_another(database):
    async def scenario():
        router, outbox = FakeRouter({"slow": 0.5}), Outbox()
        delivery = delivery_for(router, database, outbox.send)
        await delivery.accept(inbound("slow", "u1"))
        await delivery.accept(inbound("quick", "u2"))
        await delivery.drain()
        return outbox.sent

    assert run(scenario()) == [("u2", "quick"), ("u1", "slow")]


def test_a_redelivered_event_is_processed_once_even_after_a_restart(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        first = delivery_for(router, database, outbox.send)
        accepted = [await first.accept(inbound("hello", event_id="ev-1"))]
        accepted.append(await first.accept(inbound("hello", event_id="ev-1")))
        await first.drain()
        restarted = delivery_for(router, database, outbox.send)
        accepted.append(await restarted.accept(inbound("hello", event_id="ev-1")))
        accepted.append(await restarted.accept(inbound("hello", event_id="ev-2")))
        await restarted.drain()
        return accepted, router.calls

    accepted, calls = run(scenario())
    assert accepted == [True, False, False, True]
    assert calls == ["hello", "hello"]


def test_the_same_event_id_on_another_channel_is_another_event(database):
    kept = inbox(database)
    line = Inbound("line", "u1", TextContent("a"), event_id="42")
    telegram = Inbound("telegram", "u1", TextContent("a"), event_id="42")
    assert kept.store("c", line)
    assert kept.store("c", telegram)
    assert not kept.store("c", telegram)


def test_a_failed_attempt_is_retried_and_a_hopeless_one_given_up_without_stopping_others(database):
    async def scenario():
        router, outbox = FakeRouter(failures={"flaky": 1, "broken": 99}), Outbox()
        delivery = delivery_for(router, database, outbox.send, retry_delays=(0.01, 0.01))
        for text in ("flaky", "broken", "after"):
            await delivery.accept(inbound(text))
        await delivery.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert sent == [("u1", "flaky"), ("u1", "call a hotline"), ("u1", "after")]
    assert calls.count("broken") == 3  # the first attempt and two retries


def test_a_refused_postback_is_not_retried(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        delivery = delivery_for(router, database, outbox.send, retry_delays=(0.01, 0.01))
        await delivery.accept(inbound("forged"))
        await delivery.accept(inbound("next"))
        await delivery.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert calls == ["forged", "next"]
    assert sent == [("u1", "next")]


def test_a_failing_send_does_not_stop_the_next_answers(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()

        async def send(event: Inbound, replies: Replies) -> None:
            if event.content.text == "lost":
                raise ConnectionError("platform down")
            await outbox.send(event, replies)

        delivery = delivery_for(router, database, send)
        await delivery.accept(inbound("lost"))
        await delivery.accept(inbound("kept"))
        await delivery.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert calls == ["lost", "kept"]  # the bot is asked once: sending is not a reason to ask again
    assert sent == [("u1", "kept")]


def test_an_edit_counts_only_while_its_original_waits(database):
    async def scenario():
        router, outbox = FakeRouter({"original": 0.3}), Outbox()
        delivery = delivery_for(router, database, outbox.send)
        await delivery.accept(inbound("original", message_id="m1"))
        early = await delivery.accept(inbound("corrected", message_id="m1", edit_of="m1"))
        await delivery.drain()
        late = await delivery.accept(inbound("corrected again", message_id="m1", edit_of="m1"))
        await delivery.drain()
        return early, late, router.calls

    early, late, calls = run(scenario())
    assert (early, late) == (True, False)
    assert calls == ["original", "corrected"]


def test_old_event_ids_are_forgotten(database):
    kept = inbox(database)
    assert kept.store("c", inbound("a", event_id="recent"))
    with database.session() as session:
        session.add(ChannelEvent(channel="line", event_hash="0" * 64, received_at=utcnow() - timedelta(days=8)))
        session.commit()
    assert kept.forget_old_event_ids() == 1
    assert not kept.store("c", inbound("a", event_id="recent"))


def test_an_event_left_by_a_process_that_died_is_answered_by_the_next_one(database):
    """A process stores an event and dies before answering it (its lease runs out); another
    process's sweep takes it up and answers it, once."""

    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        dead = inbox(database, owner="app-1")
        assert dead.store("line:u1", inbound("left behind"))
        assert dead.claim("line:u1", now=utcnow() - timedelta(minutes=5))  # its lease has run out by now
        survivor = delivery_for(router, database, outbox.send, owner="app-2")
        sweep = asyncio.create_task(survivor.sweep(interval_seconds=0.05))
        await asyncio.sleep(0.3)
        sweep.cancel()
        await survivor.drain()
        return outbox.sent, inbox(database).has_waiting("line:u1")

    sent, waiting = run(scenario())
    assert sent == [("u1", "left behind")]
    assert waiting is False


def test_a_live_lease_of_another_process_is_respected_until_it_runs_out(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        other = inbox(database, owner="app-1")
        assert other.claim("line:u1")  # the other process works on this conversation now
        delivery = delivery_for(router, database, outbox.send, owner="app-2")
        await delivery.accept(inbound("hello"))
        await delivery.drain()
        before = list(outbox.sent)
        with database.session() as session:
            session.get(ConversationLease, "line:u1").until = utcnow() - timedelta(seconds=1)
            session.commit()
        delivery.wake("line:u1")
        await delivery.drain()
        return before, outbox.sent

    before, after = run(scenario())
    assert before == []
    assert after == [("u1", "hello")]


def test_two_processes_taking_one_persons_messages_answer_them_in_order_once_each(database):
    """Webhooks of one person land on two app processes in turn; every message is answered once,
    in the order it arrived, whichever process answers it."""

    async def scenario():
        router, outbox = FakeRouter({"m0": 0.1, "m3": 0.05}), Outbox()
        processes = [delivery_for(router, database, outbox.send, owner=f"app-{i}") for i in (1, 2)]
        sweeps = [asyncio.create_task(process.sweep(interval_seconds=0.05)) for process in processes]
        for n in range(8):
            await processes[n % 2].accept(inbound(f"m{n}", event_id=f"ev-{n}"))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(outbox.sent) == 8:
                break
        for sweep in sweeps:
            sweep.cancel()
        for process in processes:
            await process.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert sent == [("u1", f"m{n}") for n in range(8)]
    assert calls == [f"m{n}" for n in range(8)]


class RefusingInbox(Inbox):
    """The inbox of a database that takes no writes (read-only, or its disk is full)."""

    def store(self, conversation: str, inbound: Inbound) -> bool:
        raise OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))

    def claim(self, conversation: str, now=None) -> bool:
        raise OperationalError("UPDATE", {}, Exception("attempt to write a readonly database"))


def test_an_event_the_database_will_not_take_is_still_answered_from_memory(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        delivery = Delivery(router, RefusingInbox(database, SEALER, "app"), outbox.send, retry_delays=(0.01,))
        accepted = [await delivery.accept(inbound(text)) for text in ("first", "second")]
        await delivery.drain()
        return accepted, outbox.sent

    accepted, sent = run(scenario())
    assert accepted == [True, True]
    assert sent == [("u1", "first"), ("u1", "second")]


class ForgetfulInbox(Inbox):
    """The inbox of a database that goes away just as answered events are deleted (a restart)."""

    failures = 2

    def answered(self, event_id: int) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("DELETE", {}, Exception("server closed the connection unexpectedly"))
        super().answered(event_id)


def test_an_answered_event_is_deleted_once_the_database_is_back_and_never_answered_again(database, monkeypatch):
    monkeypatch.setattr("core.delivery.ANSWERED_RETRY_FIRST_SECONDS", 0.01)

    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        kept = ForgetfulInbox(database, SEALER, "app")
        delivery = Delivery(router, kept, outbox.send, retry_delays=(0.01,))
        await delivery.accept(inbound("first"))
        await delivery.drain()
        for conversation in kept.waiting_conversations():  # what the sweep would take up again
            delivery.wake(conversation)
        await delivery.drain()
        return outbox.sent, kept.has_waiting("line:u1")

    sent, waiting = run(scenario())
    assert sent == [("u1", "first")]
    assert waiting is False


class RestartingInbox(Inbox):
    """The inbox of a database that is down (restarting) while `down` is set."""

    down = False

    def _check(self) -> None:
        if self.down:
            raise OperationalError("SELECT", {}, Exception("connection refused"))

    def store(self, conversation: str, inbound: Inbound) -> bool:
        self._check()
        return super().store(conversation, inbound)

    def claim(self, conversation: str, now=None) -> bool:
        self._check()
        return super().claim(conversation, now)

    def has_waiting(self, conversation: str) -> bool:
        self._check()
        return super().has_waiting(conversation)


def test_events_held_in_memory_while_the_database_restarts_come_after_those_stored_before(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        kept = RestartingInbox(database, SEALER, "app")
        delivery = Delivery(router, kept, outbox.send, retry_delays=(0.05, 0.05, 0.05))
        await delivery.accept(inbound("first"))  # stored; the database goes before it is answered
        kept.down = True
        await delivery.accept(inbound("second"))  # held in memory
        asyncio.get_running_loop().call_later(0.08, setattr, kept, "down", False)
        await asyncio.sleep(0.01)
        await delivery.accept(inbound("third"))  # behind the second, though the database may be back
        await delivery.drain()
        return outbox.sent

    assert run(scenario()) == [("u1", "first"), ("u1", "second"), ("u1", "third")]


def test_an_event_whose_processing_keeps_killing_processes_is_given_up(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        kept = inbox(database)
        kept.store("line:u1", inbound("poison"))
        for _ in range(3):  # three processes started on it and died
            kept.next_event("line:u1")
        kept.store("line:u1", inbound("next"))
        delivery = delivery_for(router, database, outbox.send)
        delivery.wake("line:u1")
        await delivery.drain()
        return outbox.sent, kept.has_waiting("line:u1")

    sent, waiting = run(scenario())
    assert sent == [("u1", "next")]
    assert waiting is False


def test_the_stored_event_is_sealed_and_comes_back_whole(database):
    kept = inbox(database)
    event = Inbound(
        "line", "U-secret-id", TextContent("they took my passport"), event_id="e", message_id="m", reply_to="r"
    )
    kept.store("line:U", event)
    with database.session() as session:
        stored = session.execute(__import__("sqlalchemy").text("SELECT event FROM inbox_events")).scalar_one()
    assert "passport" not in stored and "U-secret" not in stored
    assert kept.next_event("line:U").inbound == event
