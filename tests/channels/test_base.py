"""The webhook steps every channel shares, sending with retries, and text splitting."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from channels.base import MAX_WEBHOOK_BYTES, MalformedPayload, WebhookChannel, send_with_retries, split_text
from core.crypto import Sealer
from core.delivery import Delivery
from core.inbox import Inbox
from core.messages import Inbound, Rendered, Replies, TextContent
from core.records.db import Database


class EchoRouter:
    def __init__(self) -> None:
        self.handled: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> Replies:
        self.handled.append(inbound)
        return Replies("en", [Rendered(inbound.content.text)])

    def key(self, channel: str, channel_user: str) -> str:
        return f"{channel}:{channel_user}"


class ToyChannel(WebhookChannel):
    """A channel whose platform signs with the header `x-toy: ok` and sends a JSON list of texts."""

    name = "toy"
    refused_status = 403

    def __init__(self) -> None:
        self.sent: list[str] = []

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        return headers.get("x-toy") == "ok"

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Inbound]:
        try:
            items = json.loads(body)
        except ValueError:
            raise MalformedPayload("not JSON") from None
        if not isinstance(items, list):
            raise MalformedPayload("not a list of events")
        return [Inbound("toy", "u1", TextContent(item["text"]), event_id=item["id"]) for item in items]

    async def send(self, inbound: Inbound, replies: Replies) -> None:
        self.sent.extend(message.text for message in replies.messages)


@pytest.fixture()
def toy(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    router, channel = EchoRouter(), ToyChannel()
    delivery = Delivery(router, Inbox(database, Sealer("test-key"), "app"), channel.send, retry_delays=(0.01,))
    app = FastAPI()
    app.include_router(channel.router(delivery))
    with TestClient(app) as client:
        yield client, router, channel
    database.dispose()


def post(client: TestClient, body: bytes, signed: bool = True):
    return client.post("/webhooks/toy", content=body, headers={"x-toy": "ok"} if signed else {})


def test_a_verified_request_is_accepted_and_answered_in_the_background(toy):
    client, router, channel = toy
    response = post(client, b'[{"id": "1", "text": "hello"}]')
    assert response.status_code == 200
    client.portal.call(asyncio.sleep, 0.1)
    assert channel.sent == ["hello"]


def test_an_unverified_request_is_refused_before_it_is_read(toy):
    client, router, channel = toy
    response = post(client, b"not even JSON", signed=False)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden"}
    assert router.handled == []


def test_a_malformed_body_gets_400_and_nothing_is_processed(toy):
    client, router, _ = toy
    assert post(client, b"{oops").status_code == 400
    assert post(client, b'{"id": 1}').status_code == 400
    assert router.handled == []


def test_an_oversized_body_gets_413_whatever_its_length_header_says(toy):
    client, router, _ = toy
    big = b"[" + b" " * MAX_WEBHOOK_BYTES + b"]"
    assert post(client, big).status_code == 413

    def chunks():
        yield b"["
        for _ in range(MAX_WEBHOOK_BYTES // 65536 + 1):
            yield b" " * 65536
        yield b"]"

    response = client.post("/webhooks/toy", content=chunks(), headers={"x-toy": "ok"})
    assert response.status_code == 413
    assert router.handled == []


def test_a_redelivered_event_is_answered_once(toy):
    client, router, channel = toy
    body = b'[{"id": "same", "text": "hello"}]'
    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200
    client.portal.call(asyncio.sleep, 0.1)
    assert channel.sent == ["hello"]


class PlatformError(Exception):
    def __init__(self, status: int, retry_after: float = 0) -> None:
        super().__init__(status)
        self.status, self.retry_after = status, retry_after


def passing(error: Exception) -> float | None:
    if isinstance(error, PlatformError) and (error.status == 429 or error.status >= 500):
        return error.retry_after
    return None


def test_send_retries_a_passing_error_and_returns_the_result():
    outcomes = [PlatformError(429, retry_after=0.01), PlatformError(503), "sent"]

    async def call():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert asyncio.run(send_with_retries(call, passing, channel="toy", delays=(0.01, 0.01))) == "sent"


def test_send_gives_up_after_the_last_retry_and_at_once_on_a_lasting_error():
    calls = {"n": 0}

    async def always(status: int):
        calls["n"] += 1
        raise PlatformError(status)

    with pytest.raises(PlatformError):
        asyncio.run(send_with_retries(lambda: always(500), passing, channel="toy", delays=(0.01, 0.01)))
    assert calls["n"] == 3
    calls["n"] = 0
    with pytest.raises(PlatformError):
        asyncio.run(send_with_retries(lambda: always(400), passing, channel="toy", delays=(0.01, 0.01)))
    assert calls["n"] == 1


def test_split_text_keeps_every_word_and_respects_the_limit():
    text = "\n\n".join(f"Paragraph {n}: " + "word " * 40 for n in range(30))
    parts = split_text(text, 500)
    assert all(len(part) <= 500 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert all(part.startswith("Paragraph") for part in parts)


def test_split_text_cuts_a_text_without_spaces_at_the_limit():
    text = "ก" * 1200
    assert [len(part) for part in split_text(text, 500)] == [500, 500, 200]
    assert split_text("short", 500) == ["short"]
