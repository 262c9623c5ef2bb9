"""The bot client maps Rasa's REST JSON and tells failure from silence (core/botclient.py)."""

import asyncio

import pytest

from core.botclient import BotClient, BotUnavailable, to_outbound
from core.messages import Outbound, TextPart
from launcher.scratch import free_port


def test_custom_payload_becomes_outbound():
    message = {"recipient_id": "x", "custom": {"say": ["a.b", {"key": "c.d", "params": {"n": 1}}], "menu": "main"}}
    assert to_outbound(message) == Outbound((TextPart("a.b"), TextPart("c.d", (("n", "1"),))), "main")


@pytest.mark.parametrize(
    "message", [{"text": "raw text"}, {"custom": {"say": "not a list"}}, {"custom": {"say": [{"nokey": 1}]}}]
)
def test_anything_else_becomes_not_understood_never_raw_text(message):
    assert to_outbound(message) == Outbound.keys("fallback.not_understood", menu="main")


def test_a_bot_that_does_not_listen_is_unavailable():
    client = BotClient(f"http://127.0.0.1:{free_port()}", timeout=2, api_token="t")

    async def attempt():
        try:
            with pytest.raises(BotUnavailable):
                await client.send("c", "hello", {})
            assert await client.ready() is False
        finally:
            await client.aclose()

    asyncio.run(attempt())
