"""One person's LINE messages posted to a live app, and what came of them: the replies LINE
received and what the bot's tracker store read."""

from __future__ import annotations

import json
import time
import uuid

import httpx
from sqlalchemy import create_engine, text

from core.identity import conversation_id
from fakeplatform import FakePlatform, line_api
from launcher.scratch import LINE_CHANNEL_SECRET


def post_line(app_url: str, user: str, text_: str, reply_token: str) -> None:
    """Post one signed LINE text event to the app at `app_url`; it must be taken (200)."""
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": reply_token,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": "q", "text": text_},
    }  # fmt: skip
    body = json.dumps({"destination": "Utest", "events": [event]}).encode()
    headers = {"X-Line-Signature": line_api.signature(body, LINE_CHANNEL_SECRET), "Content-Type": "application/json"}
    response = httpx.post(f"{app_url}/webhooks/line", content=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text


def answered_tokens(platform: FakePlatform, tokens: list[str], timeout: float = 60) -> list[str]:
    """The reply tokens of `tokens` that LINE received a reply with, in the order they arrived."""
    deadline = time.monotonic() + timeout
    while True:
        received = [(request.json() or {}).get("replyToken") for request in platform.requests("/v2/bot/message/reply")]
        mine = [token for token in received if token in tokens]
        if len(set(mine)) == len(tokens) or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)


def inbox_settles(database_url: str, timeout: float = 60) -> int:
    """How many events the inbox at `database_url` still holds once it has emptied or `timeout`
    has passed (an answered event is deleted just after its answer is sent)."""
    deadline = time.monotonic() + timeout
    engine = create_engine(database_url)
    try:
        while True:
            with engine.connect() as connection:
                waiting = connection.execute(text("SELECT count(*) FROM inbox_events")).scalar_one()
            if waiting == 0 or time.monotonic() > deadline:
                return waiting
            time.sleep(0.2)
    finally:
        engine.dispose()


def user_texts(settings, user: str) -> list[str]:
    """What the bot's tracker store holds as the LINE person's messages, in order."""
    key = conversation_id(settings.secret_key.get_secret_value(), "line", user)
    engine = create_engine(settings.tracker_store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :key AND type_name = 'user' ORDER BY id"), {"key": key}
            )
            return [json.loads(data)["text"] for (data,) in rows]
    finally:
        engine.dispose()
