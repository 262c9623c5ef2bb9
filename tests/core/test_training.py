"""Training chats: tickets, the training queue, and deletion that leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from core.data_rights import PersonalData
from core.handoff import Person
from core.locations import SharedLocations
from core.records.models import ConsentDecision, Conversation, Handoff, HandoffMessage, utcnow
from core.teams import TRAINING_QUEUE
from core.training import TICKET_MINUTES, TrainingChats


class ErasedTranscripts:
    def __init__(self) -> None:
        self.erased: list[str] = []

    def erase(self, conversation: str) -> int:
        self.erased.append(conversation)
        return 1


def chats(kit, transcripts=None) -> TrainingChats:
    personal_data = PersonalData(kit.database, transcripts or ErasedTranscripts(), kit.locations, kit.consents)
    return TrainingChats(kit.database, personal_data, "secret")


def test_a_ticket_names_its_trainer_until_it_expires_and_cannot_be_forged(kit):
    training = chats(kit)
    ticket = training.ticket(7)
    assert training.trainer_of(ticket) == 7
    later = utcnow() + timedelta(minutes=TICKET_MINUTES + 1)
    assert training.trainer_of(ticket, now=later) is None
    trainer, expires, nonce, signature = ticket.split(".")
    forged = [
        f"8.{expires}.{nonce}.{signature}",  # another trainer
        f"{trainer}.{int(expires) + 99999}.{nonce}.{signature}",  # a longer life
        f"{trainer}.{expires}.{nonce}.{'0' * 32}",
        "", "...", "7", None, 7, ["7"], "x" * 500,
    ]  # fmt: skip
    assert [training.trainer_of(bad) for bad in forged] == [None] * len(forged)
    assert TrainingChats(kit.database, None, "another secret").trainer_of(ticket) is None  # type: ignore[arg-type]


def request(kit, key: str, training: bool) -> str:
    person = Person(key, "webchat", f"address-{key}", "en", training)
    asyncio.run(kit.handoffs.request(person, "urgent", {"risk": "urgent", "urgent": True, "families": ["confinement"]}))
    return kit.handoffs.open_case(key)


def test_a_training_chats_case_is_only_in_the_training_queue_and_answered_by_trainers(kit):
    training = chats(kit)
    kit.add_conversation("real")
    training.mark("drill", "webchat", trainer=3)
    assert training.is_training("drill") and not training.is_training("real")
    alerts = []
    kit.bus.publish = lambda kind, **data: alerts.append((kind, data))  # type: ignore[method-assign]
    real, drill = request(kit, "real", False), request(kit, "drill", True)
    assert [case.id for case in kit.handoffs.queue(None)] == [real]
    assert [case.id for case in kit.handoffs.queue(None, training=True)] == [drill]
    flags = {data["case"]: data["training"] for kind, data in alerts if kind == "alert"}
    assert flags == {real: False, drill: True}

    # Whether someone can join is asked of the training queue, not of the real team.
    kit.on_duty.add(TRAINING_QUEUE)
    notice = asyncio.run(kit.handoffs.request(Person("drill", "webchat", "address-drill", "en", True), "person", None))
    assert notice[0].say[0].key == "handoff.connecting"
    notice = asyncio.run(kit.handoffs.request(Person("real", "webchat", "address-real", "en"), "person", None))
    assert notice[0].say[0].key == "handoff.nobody_on_duty"


def test_ending_the_training_deletes_its_chats_and_cases_and_keeps_no_statistics(kit):
    transcripts = ErasedTranscripts()
    training = chats(kit, transcripts)
    kit.add_conversation("real")
    for key, trainer in (("drill-1", 3), ("drill-2", 3), ("other-trainer", 4)):
        training.mark(key, "webchat", trainer)
    real, drill = request(kit, "real", False), request(kit, "drill-1", True)
    asyncio.run(kit.handoffs.person_wrote(drill, "they lock the door", None))
    kit.consents.record("drill-1", "handover", True, "en", "th-1300")

    assert training.end(3) == 2
    assert sorted(transcripts.erased) == ["drill-1", "drill-2"]
    with kit.database.session() as session:
        assert set(session.scalars(select(Conversation.id)).all()) == {"real", "other-trainer"}
        assert session.scalars(select(Handoff.id)).all() == [real], "no training case stays, not even as statistics"
        assert session.scalar(select(func.count()).select_from(HandoffMessage)) == 0
        assert session.scalar(select(func.count()).select_from(ConsentDecision)) == 0


def test_the_purge_ends_training_chats_left_idle(kit):
    training = chats(kit)
    training.mark("drill", "webchat", 3)
    assert training.end_idle() == 0
    assert training.end_idle(now=utcnow() + timedelta(hours=13)) == 1
    assert not training.is_training("drill")


def test_forgetting_a_training_chat_deletes_its_case_instead_of_keeping_statistics(kit):
    training = chats(kit)
    training.mark("drill", "webchat", 3)
    request(kit, "drill", True)
    PersonalData(kit.database, ErasedTranscripts(), SharedLocations(), kit.consents).forget("drill")  # type: ignore[arg-type]
    with kit.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Handoff)) == 0
