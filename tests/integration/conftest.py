"""Web chat clients on the live stack, shared by the integration tests."""

from __future__ import annotations

import pytest

from core.menus import language_payload
from tests.integration.test_webchat_conversation import Chat


@pytest.fixture
def chat(stack):
    """A web chat client that has opened a new session (its token in `chat.session`)."""
    settings, _ = stack
    client = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    client.hello()
    yield client
    client.close()


@pytest.fixture
def english_chat(chat):
    """A new web chat session in which the person chose English."""
    chat.press(language_payload("en"))
    return chat
