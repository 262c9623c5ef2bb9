"""A conversation remembers that the person's phone types Zawgyi, so their short messages (a
"yes", a "stop") reach the bot in Unicode too; a clearly Unicode message ends that."""

import asyncio

from core.messages import TextContent
from core.records.models import Conversation
from tests.core.test_conversation_events import event, router  # noqa: F401  (the imported fixture)

LONG_ZAWGYI = "အလုပ္ရွင္က ပတ္စပို႔ သိမ္းထားတယ္"
LONG_UNICODE = "အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားတယ်"
YES_ZAWGYI, YES_UNICODE = "ဟုတ္ကဲ့", "ဟုတ်ကဲ့"


def say(conversations, text: str) -> None:
    asyncio.run(conversations.handle(event(TextContent(text))))


def test_a_short_zawgyi_yes_is_converted_once_the_phone_is_known_to_type_zawgyi(router):  # noqa: F811
    conversations, bot, _, _, database, _ = router
    say(conversations, YES_ZAWGYI)
    assert bot.sent[-1][1] == YES_ZAWGYI, "alone, two syllables could be either encoding"
    say(conversations, LONG_ZAWGYI)
    assert bot.sent[-1][1] == LONG_UNICODE
    say(conversations, YES_ZAWGYI)
    assert bot.sent[-1][1] == YES_UNICODE
    with database.session() as session:
        assert session.get(Conversation, conversations.key("telegram", "42")).zawgyi


def test_a_clearly_unicode_message_ends_the_zawgyi_reading(router):  # noqa: F811
    conversations, bot, _, _, database, _ = router
    say(conversations, LONG_ZAWGYI)
    say(conversations, LONG_UNICODE)
    with database.session() as session:
        assert not session.get(Conversation, conversations.key("telegram", "42")).zawgyi
    say(conversations, YES_UNICODE)
    assert bot.sent[-1][1] == YES_UNICODE
