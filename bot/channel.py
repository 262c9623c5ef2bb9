"""The channel the app reaches the bot through: Rasa's REST channel, except for failures.

Rasa's REST channel answers a turn that failed with 200 and whatever the bot had said before the
failure, often nothing, so a caller cannot tell a failed turn from a quiet one. This channel
answers such a turn with 500 and no details (the app then tries the message again, or tells the
person to call a hotline). The failure is logged by name only: the message is never logged.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class SaphanInput(RestInput):
    """`POST /webhooks/saphan/webhook` with `{"sender", "message", "metadata"}`: the bot's answers,
    or 500 when the turn failed."""

    @classmethod
    def name(cls) -> str:
        return "saphan"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("saphan_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            collector = CollectingOutputChannel()
            message = UserMessage(
                self._extract_message(request),
                collector,
                await self._extract_sender(request),
                input_channel=self._extract_input_channel(request),
                metadata=self.get_metadata(request),
            )
            try:
                await on_new_message(message)
            except Exception as error:
                logger.error("turn failed: %s", type(error).__name__)
                return response.json({"error": "the turn failed"}, status=500)
            return response.json(collector.messages)

        return webhook
