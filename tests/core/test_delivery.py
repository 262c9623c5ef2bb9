"""Background delivery: once per event, in order per person, retried, never blocking others."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.conversation import InvalidPayload
from core.delivery import Delivery, SeenEvents
from core.messages import Inbound, Rendered, Replies, TextContent
from core.records.db import Database
from core.records.models import ChannelEvent, utcnow


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


@pytest.fixture()
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    yield database
    database.dispose()


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
        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        for text in ("first", "second", "third"):
            await delivery.accept(inbound(text), outbox.send)
        await delivery.drain()
        return outbox.sent

    assert run(scenario()) == [("u1", "first"), ("u1", "second"), ("u1", "third")]


def test_a_slow_person_does_not_hold_up_another(database):
    async def scenario():
        router, outbox = FakeRouter({"slow": 0.5}), Outbox()
        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        await delivery.accept(inbound("slow", "u1"), outbox.send)
        await delivery.accept(inbound("quick", "u2"), outbox.send)
        await delivery.drain()
        return outbox.sent

    assert run(scenario()) == [("u2", "quick"), ("u1", "slow")]


def test_a_redelivered_event_is_processed_once_even_after_a_restart(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        first = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        accepted = [await first.accept(inbound("hello", event_id="ev-1"), outbox.send)]
        accepted.append(await first.accept(inbound("hello", event_id="ev-1"), outbox.send))
        await first.drain()
        restarted = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        accepted.append(await restarted.accept(inbound("hello", event_id="ev-1"), outbox.send))
        accepted.append(await restarted.accept(inbound("hello", event_id="ev-2"), outbox.send))
        await restarted.drain()
        return accepted, router.calls

    accepted, calls = run(scenario())
    assert accepted == [True, False, False, True]
    assert calls == ["hello", "hello"]


def test_the_same_event_id_on_another_channel_is_another_event(database):
    seen = SeenEvents(database)
    assert seen.first_time("line", "42")
    assert seen.first_time("telegram", "42")
    assert not seen.first_time("telegram", "42")


def test_a_failed_attempt_is_retried_and_a_hopeless_one_given_up_without_stopping_others(database):
    async def scenario():
        router, outbox = FakeRouter(failures={"flaky": 1, "broken": 99}), Outbox()
        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01, 0.01))
        for text in ("flaky", "broken", "after"):
            await delivery.accept(inbound(text), outbox.send)
        await delivery.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert sent == [("u1", "flaky"), ("u1", "after")]
    assert calls.count("broken") == 3  # the first attempt and two retries


def test_a_refused_postback_is_not_retried(database):
    async def scenario():
        router, outbox = FakeRouter(), Outbox()
        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01, 0.01))
        await delivery.accept(inbound("forged"), outbox.send)
        await delivery.accept(inbound("next"), outbox.send)
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

        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        await delivery.accept(inbound("lost"), send)
        await delivery.accept(inbound("kept"), send)
        await delivery.drain()
        return outbox.sent, router.calls

    sent, calls = run(scenario())
    assert calls == ["lost", "kept"]  # the bot is asked once: sending is not a reason to ask again
    assert sent == [("u1", "kept")]


def test_an_edit_counts_only_while_its_original_waits(database):
    async def scenario():
        router, outbox = FakeRouter({"original": 0.3}), Outbox()
        delivery = Delivery(router, SeenEvents(database), retry_delays=(0.01,))
        await delivery.accept(inbound("original", message_id="m1"), outbox.send)
        early = await delivery.accept(inbound("corrected", message_id="m1", edit_of="m1"), outbox.send)
        await delivery.drain()
        late = await delivery.accept(inbound("corrected again", message_id="m1", edit_of="m1"), outbox.send)
        await delivery.drain()
        return early, late, router.calls

    early, late, calls = run(scenario())
    assert (early, late) == (True, False)
    assert calls == ["original", "corrected"]


def test_old_event_ids_are_forgotten(database):
    seen = SeenEvents(database)
    seen.first_time("line", "recent")
    with database.session() as session:
        session.add(ChannelEvent(channel="line", event_hash="0" * 64, received_at=utcnow() - timedelta(days=8)))
        session.commit()
    assert seen.forget_old() == 1
    assert not seen.first_time("line", "recent")
