"""The router's handling of events other than text: locations, open and close, unsend, groups."""

from __future__ import annotations

import asyncio

import pytest

from core.botclient import Parsed
from core.conversation import LOCATION_PAYLOAD, Conversations
from core.directory import Directory
from core.locales import Catalog
from core.locations import SharedLocations
from core.menus import BACK_TO_ASSISTANT, consent_payload
from core.messages import (
    GROUP_CHAT,
    ClosedContent,
    HandoffRequest,
    Inbound,
    LocationContent,
    OpenedContent,
    Outbound,
    PostbackContent,
    TextContent,
    UnsentContent,
    UnsupportedContent,
)
from core.records.db import Database
from core.records.models import Conversation
from tests.core.conftest import RecordingBot


class FakeBot(RecordingBot):
    async def send(self, conversation_id: str, message: str, metadata: dict) -> list[Outbound]:
        self.sent.append((conversation_id, message, metadata))
        if message == "/confirm_forget":
            return [Outbound(Outbound.keys("data.forgotten").say, forget=True)]
        return [Outbound.keys("thanks.welcome")]


class FakePersonalData:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.forgotten: list[tuple[str, bool]] = []

    def forget(self, conversation: str) -> None:
        with self.database.session() as session:
            saved = session.get(Conversation, conversation) is not None
        self.forgotten.append((conversation, saved))


class FakeTranscripts:
    def __init__(self) -> None:
        self.blanked: list[tuple[str, str]] = []

    def blank(self, conversation: str, message_ref: str) -> int:
        self.blanked.append((conversation, message_ref))
        return 1


@pytest.fixture()
def router(handoff_kit):
    database = handoff_kit.database
    bot, transcripts, locations = FakeBot(), FakeTranscripts(), SharedLocations()
    personal_data = FakePersonalData(database)
    conversations = Conversations(
        secret_key="k",
        default_language="en",
        database=database,
        bot=bot,
        catalog=Catalog.load(),
        directory=Directory.load(),
        locations=locations,
        transcripts=transcripts,
        personal_data=personal_data,
        handoffs=handoff_kit.handoffs,
        outbox=None,
    )
    yield conversations, bot, transcripts, locations, database, personal_data


def event(content, **extra) -> Inbound:
    return Inbound(channel="telegram", channel_user="42", content=content, **extra)


def test_a_location_is_held_and_the_bot_told_with_the_message_reference(router):
    conversations, bot, _, locations, _, _ = router
    asyncio.run(conversations.handle(event(LocationContent(13.7, 100.5), message_id="9")))
    key = conversations.key("telegram", "42")
    ((sender, message, metadata),) = bot.sent
    assert (sender, message) == (key, LOCATION_PAYLOAD)
    assert metadata["message_ref"] and "9" != metadata["message_ref"]
    assert locations.is_pending(key)


def test_a_live_locations_new_fix_is_not_answered_and_not_sent_to_the_bot(router):
    conversations, bot, _, locations, _, _ = router
    key = conversations.key("telegram", "42")
    asyncio.run(conversations.handle(event(LocationContent(13.7, 100.5))))
    locations.consent(key)
    replies = asyncio.run(conversations.handle(event(LocationContent(13.8, 100.6, live=True))))
    assert replies.messages == [] and len(bot.sent) == 1
    assert locations.for_hotline(key) == LocationContent(13.8, 100.6, live=True)


def test_a_group_chat_gets_the_refusal_and_no_conversation_is_made(router):
    conversations, bot, _, _, database, _ = router
    replies = asyncio.run(conversations.handle(event(UnsupportedContent(GROUP_CHAT), language_hint="th")))
    assert [m.text for m in replies.messages] == [Catalog.load().text("th", "errors.private_only")]
    assert bot.sent == []
    with database.session() as session:
        assert session.query(Conversation).count() == 0


def test_closing_marks_the_conversation_and_opening_again_reopens_it(router):
    conversations, bot, _, _, database, _ = router
    key = conversations.key("telegram", "42")
    asyncio.run(conversations.handle(event(OpenedContent(), language_hint="km")))
    assert bot.sent[-1][1] == "/greet" and bot.sent[-1][2]["language"] == "km"
    assert asyncio.run(conversations.handle(event(ClosedContent()))).messages == []
    with database.session() as session:
        assert session.get(Conversation, key).closed_at is not None
    asyncio.run(conversations.handle(event(TextContent("hello"))))
    with database.session() as session:
        assert session.get(Conversation, key).closed_at is None


def test_an_unsent_message_is_blanked_by_the_same_reference_the_bot_got(router):
    conversations, bot, transcripts, _, _, _ = router
    asyncio.run(conversations.handle(event(TextContent("they took my passport"), message_id="77")))
    replies = asyncio.run(conversations.handle(event(UnsentContent("77"))))
    assert replies.messages == []
    key = conversations.key("telegram", "42")
    assert transcripts.blanked == [(key, bot.sent[0][2]["message_ref"])]
    assert len(bot.sent) == 1


def test_the_answer_confirming_forget_me_deletes_after_the_conversation_was_saved(router):
    conversations, _, _, _, _, personal_data = router
    asyncio.run(conversations.handle(event(TextContent("hello"))))
    replies = asyncio.run(conversations.handle(event(PostbackContent("/confirm_forget"))))
    assert [m.text for m in replies.messages] == [Catalog.load().text("en", "data.forgotten")]
    key = conversations.key("telegram", "42")
    # Deleted after the router saved its own state, so nothing is written back afterwards.
    assert personal_data.forgotten == [(key, True)]


class AskingBot(FakeBot):
    """A bot that asks for a person when it hears "person", and reads the STOP payload (which
    a typed "stop" becomes) as STOP."""

    async def parse(self, text: str) -> Parsed:
        intent = "stop" if text == "/stop" else "out_of_scope"
        return Parsed(intent, ((intent, 0.9),), ())

    async def send(self, conversation_id: str, message: str, metadata: dict) -> list[Outbound]:
        self.sent.append((conversation_id, message, metadata))
        if message == "person":
            return [Outbound((), handoff=HandoffRequest("person", {"risk": "low", "families": ["deception"]}))]
        if message == "/stop":
            return [Outbound(Outbound.keys("stop.done").say, stop=True)]
        return [Outbound.keys("thanks.welcome")]


def queue_router(handoff_kit, bot: FakeBot) -> Conversations:
    """A router over `bot` and the handoff kit's queue."""
    return Conversations(
        secret_key="k", default_language="en", database=handoff_kit.database, bot=bot, catalog=Catalog.load(),
        directory=Directory.load(), locations=SharedLocations(), transcripts=FakeTranscripts(),
        personal_data=FakePersonalData(handoff_kit.database), handoffs=handoff_kit.handoffs, outbox=None,
    )  # fmt: skip


@pytest.fixture()
def asking(handoff_kit):
    """A router over a bot that asks for a person when it hears "person"."""
    bot = AskingBot()
    return queue_router(handoff_kit, bot), bot


def test_a_request_for_a_person_queues_a_case_and_the_bot_is_silent_only_while_an_operator_has_it(handoff_kit, asking):
    conversations, bot = asking
    english = handoff_kit.catalog
    asked = asyncio.run(conversations.handle(event(TextContent("person"))))
    assert asked.messages[0].text.startswith(english.text("en", "handoff.nobody_on_duty"))
    assert asked.messages[0].quick_replies[0].payload == BACK_TO_ASSISTANT
    key = conversations.key("telegram", "42")
    case_id = handoff_kit.handoffs.open_case(key)
    assert handoff_kit.handoffs.case(case_id).reason == "person"

    # While the case waits, the bot goes on answering.
    waiting = asyncio.run(conversations.handle(event(TextContent("where is the embassy?"))))
    assert bot.sent[-1][1] == "where is the embassy?" and waiting.messages

    # Once an operator has it, the bot is not asked: the words go to the case.
    asyncio.run(handoff_kit.handoffs.claim(case_id, handoff_kit.add_operator("ann", ["th-1300"])))
    sent_before = len(bot.sent)
    quiet = asyncio.run(conversations.handle(event(TextContent("is anyone there?"), message_id="m7")))
    assert quiet.messages == [] and len(bot.sent) == sent_before
    assert [m.text for m in handoff_kit.handoffs.messages(case_id)] == ["is anyone there?"]


def test_stop_reaches_the_assistant_and_ends_the_case_even_while_an_operator_has_it(handoff_kit, asking):
    conversations, bot = asking
    asyncio.run(conversations.handle(event(TextContent("person"))))
    key = conversations.key("telegram", "42")
    case_id = handoff_kit.handoffs.open_case(key)
    asyncio.run(handoff_kit.handoffs.claim(case_id, handoff_kit.add_operator("ann", ["th-1300"])))
    stopped = asyncio.run(conversations.handle(event(TextContent("stop"))))
    assert bot.sent[-1][1] == "/stop" and stopped.messages, "the assistant answers STOP"
    case = handoff_kit.handoffs.case(case_id)
    assert (case.state, handoff_kit.bot.resumed) == ("closed", [key]), "the case ends at once, the bot resumes"
    assert [m.text for m in handoff_kit.handoffs.messages(case_id)] == ["stop"], "the operator sees why"


def test_stop_while_the_case_waits_ends_it_so_no_one_writes_to_the_person_later(handoff_kit, asking):
    conversations, bot = asking
    asyncio.run(conversations.handle(event(TextContent("person"))))
    key = conversations.key("telegram", "42")
    case_id = handoff_kit.handoffs.open_case(key)
    stopped = asyncio.run(conversations.handle(event(TextContent("stop"))))
    assert stopped.messages[0].text == handoff_kit.catalog.text("en", "stop.done")
    case = handoff_kit.handoffs.case(case_id)
    assert case.state == "closed" and handoff_kit.handoffs.open_case(key) is None


def test_a_stop_word_typed_alone_is_the_stop_button_in_the_persons_language(handoff_kit, asking):
    conversations, bot = asking
    asyncio.run(conversations.handle(event(TextContent("person"))))
    key = conversations.key("telegram", "42")
    stopped = asyncio.run(conversations.handle(event(TextContent("หยุด!!"))))
    assert bot.sent[-1][1] == "/stop", "the model is not asked to read it"
    assert (stopped.language, stopped.messages[0].text) == ("th", handoff_kit.catalog.text("th", "stop.done"))
    assert handoff_kit.handoffs.open_case(key) is None


def test_consent_buttons_are_answered_by_the_app_and_never_reach_the_bot(handoff_kit, asking):
    conversations, bot = asking
    asked = asyncio.run(conversations.handle(event(TextContent("person"))))
    assert [reply.payload for reply in asked.messages[-1].quick_replies] == [
        consent_payload("handover", True), consent_payload("handover", False)
    ]  # fmt: skip
    sent_before = len(bot.sent)
    given = asyncio.run(conversations.handle(event(PostbackContent(consent_payload("handover", True)))))
    assert given.messages[0].text == handoff_kit.catalog.text("en", "consent.handover.given")
    assert len(bot.sent) == sent_before
    key = conversations.key("telegram", "42")
    assert handoff_kit.consents.granted(key, "handover") is not None


class YesNoBot(AskingBot):
    """A bot that reads a few typed answers, as its classifier would rank them."""

    READINGS = {
        "yes": Parsed("affirm", (("affirm", 0.8), ("greet", 0.05)), ()),
        "ok i guess": Parsed("affirm", (("affirm", 0.45), ("goodbye", 0.3)), ()),
        "yes he hits me": Parsed("affirm", (("affirm", 0.8),), ("danger_now",)),
        "no": Parsed("deny", (("deny", 0.4), ("disclose_debt", 0.2)), ()),
    }

    async def parse(self, text: str) -> Parsed:
        return self.READINGS.get(text) or await super().parse(text)


def test_a_typed_yes_or_no_answers_the_consent_question_of_a_waiting_case_only_when_clear(handoff_kit):
    bot = YesNoBot()
    conversations = queue_router(handoff_kit, bot)
    key, english = conversations.key("telegram", "42"), handoff_kit.catalog

    def say(text: str) -> list[str]:
        return [m.text for m in asyncio.run(conversations.handle(event(TextContent(text)))).messages]

    say("person")
    assert handoff_kit.handoffs.pending_question(key) == "handover"
    for unclear in ("yes he hits me", "ok i guess"):  # flagged by the safety net; not sure enough
        sent_before = len(bot.sent)
        say(unclear)
        assert bot.sent[-1][1] == unclear and len(bot.sent) == sent_before + 1, "the bot answers it"
        assert handoff_kit.consents.current(key) == {}
    sent_before = len(bot.sent)
    assert say("yes")[0] == english.text("en", "consent.handover.given") and len(bot.sent) == sent_before
    assert handoff_kit.consents.granted(key, "handover") is not None
    assert handoff_kit.handoffs.pending_question(key) == "transcript"
    assert say("no")[0] == english.text("en", "consent.transcript.refused")
    assert handoff_kit.consents.current(key)["transcript"].granted is False
    assert handoff_kit.handoffs.pending_question(key) is None
    say("yes")
    assert bot.sent[-1][1] == "yes", "with nothing asked, a yes is the bot's"


def test_stop_and_hostile_text_typed_while_a_consent_question_waits_are_never_an_answer(handoff_kit):
    bot = YesNoBot()
    conversations = queue_router(handoff_kit, bot)
    key = conversations.key("telegram", "42")
    asyncio.run(conversations.handle(event(TextContent("person"))))
    hostile = "\u202eyes\u0000<script>alert(1)</script>" + "yes " * 1000
    asyncio.run(conversations.handle(event(TextContent(hostile))))
    assert handoff_kit.consents.current(key) == {} and handoff_kit.handoffs.pending_question(key) == "handover"
    stopped = asyncio.run(conversations.handle(event(TextContent("stop"))))
    assert stopped.messages[0].text == handoff_kit.catalog.text("en", "stop.done")  # DNH-7: STOP works here too
    assert handoff_kit.consents.current(key) == {} and handoff_kit.handoffs.open_case(key) is None


def test_a_typed_yes_reaches_the_operator_not_the_consent_log_once_an_operator_has_the_case(handoff_kit):
    bot = YesNoBot()
    conversations = queue_router(handoff_kit, bot)
    asyncio.run(conversations.handle(event(TextContent("person"))))
    key = conversations.key("telegram", "42")
    case_id = handoff_kit.handoffs.open_case(key)
    asyncio.run(handoff_kit.handoffs.claim(case_id, handoff_kit.add_operator("ann", ["th-1300"])))
    assert handoff_kit.handoffs.pending_question(key) is None
    asyncio.run(conversations.handle(event(TextContent("yes"), message_id="m8")))
    assert handoff_kit.consents.current(key) == {}
    assert [m.text for m in handoff_kit.handoffs.messages(case_id)] == ["yes"]


def test_a_waiting_person_can_go_back_to_the_assistant(handoff_kit, asking):
    conversations, bot = asking
    asyncio.run(conversations.handle(event(TextContent("person"))))
    key = conversations.key("telegram", "42")
    back = asyncio.run(conversations.handle(event(PostbackContent(BACK_TO_ASSISTANT))))
    assert back.messages[0].text == handoff_kit.catalog.text("en", "handoff.left_queue")
    assert handoff_kit.bot.resumed == [key] and handoff_kit.handoffs.open_case(key) is None
    assert all(message != BACK_TO_ASSISTANT for _, message, _ in bot.sent), "the bot never sees that button"
