"""The app when what it stands on fails: Redis unreachable, the database refusing writes.

The whole app (`create_app`) runs in process, with LINE pointed at a local fake of its API and
no bot listening. With Redis unreachable the app works alone and `/healthz` says so; with the
database read-only (PostgreSQL's `default_transaction_read_only`, what a full disk or a
fail-over to a replica looks like) a person writing on the web chat or on LINE still gets the
hotline numbers, and `/healthz` shows that writes fail. Nothing crashes.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from core.locales import Catalog
from core.records.db import Database
from fakeplatform import line_and_telegram, line_api
from launcher.scratch import LINE_CHANNEL_SECRET, channel_settings, free_port, scratch_settings
from tests.records.conftest import postgresql_database
from webapp.factory import create_app

HOTLINE = "1300"  # Thailand's line: the first primary line of every answer that gives the hotlines
UNAVAILABLE = Catalog.load().text("en", "errors.bot_unavailable")


def line_body(user: str) -> bytes:
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "quoteToken": "q", "text": "help me"},
    }  # fmt: skip
    return json.dumps({"destination": "Utest", "events": [event]}).encode()


def web_chat_greeting(client: TestClient) -> list[str]:
    with client.websocket_connect("/chat/ws") as socket:
        socket.send_json({"type": "hello", "session": None, "language": "en"})
        frames = [socket.receive_json() for _ in range(2)]
    return [frame.get("text", "") for frame in frames if frame["type"] == "bot"]


def test_with_redis_unreachable_the_app_works_alone_and_says_so(tmp_path):
    settings = scratch_settings(
        tmp_path,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        bot_urls=[f"http://127.0.0.1:{free_port()}"],
        bot_timeout_seconds=1.0,
    )
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        greeting = web_chat_greeting(client)  # shares nothing through Redis, and does not fail
        again = client.get("/healthz")
    assert health.json()["redis"] == "down" and health.json()["status"] == "degraded"
    assert again.json()["redis"] == "down"
    assert any(UNAVAILABLE in text_ and HOTLINE in text_ for text_ in greeting)  # no bot here either


@pytest.mark.integration
def test_with_the_database_read_only_people_still_get_the_hotlines(tmp_path):
    with postgresql_database() as database_url, line_and_telegram() as platform:
        Database(database_url).migrate()
        settings = scratch_settings(
            tmp_path,
            database_url=database_url,
            bot_urls=[f"http://127.0.0.1:{free_port()}"],
            bot_timeout_seconds=1.0,
            **channel_settings(platform.url),
        )
        name = database_url.rsplit("/", 1)[1]
        server = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        try:
            with TestClient(create_app(settings)) as client:
                health = client.get("/healthz").json()
                greeting = web_chat_greeting(client)
                body = line_body(f"U{uuid.uuid4().hex}")
                signature = line_api.signature(body, LINE_CHANNEL_SECRET)
                accepted = client.post("/webhooks/line", content=body, headers={"X-Line-Signature": signature})
                replies = platform.wait_for("/v2/bot/message/reply", timeout=30)
        finally:
            with server.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off'))
            server.dispose()
    assert health["database"] == "read-only" and health["status"] == "degraded"
    assert any(UNAVAILABLE in text_ and HOTLINE in text_ for text_ in greeting)
    assert accepted.status_code == 200  # LINE is not made to redeliver what cannot be stored
    assert HOTLINE in replies[0].body.decode()
