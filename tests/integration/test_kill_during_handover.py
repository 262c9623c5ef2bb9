"""Killing the app in the middle of handovers leaves every case whole or absent, never partial.

A crowd of people write urgent messages at once over web chat, each opening a case; the app is
killed (SIGKILL, no shutdown) while they are being handled, then started again on the same
database. Every case row is then complete (team, state, times, a channel address and a triage
that decrypt), every person who was already answered has their case in the queue, and the app
serves again. Run on SQLite and on PostgreSQL, with the real bot.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine, select
from websockets.exceptions import WebSocketException

from core.crypto import Sealer
from core.identity import conversation_id
from core.menus import language_payload
from core.records.models import Handoff
from launcher import processes
from launcher.scratch import scratch_settings
from tests.integration.test_webchat_conversation import Chat
from tests.records.conftest import postgresql_database

pytestmark = pytest.mark.integration
PEOPLE = 24
# What a person's chat raises when the app dies under it.
GONE = (OSError, TimeoutError, WebSocketException)
URGENT = "please rescue me, they are beating me now"  # safety-net phrases: the case opens before the bot reads it


def wait_ready(child: processes.Child, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not child.ready():
        assert child.process.poll() is None, f"{child.name} stopped{child.log_tail()}"
        assert time.monotonic() < deadline, f"{child.name} not ready{child.log_tail()}"
        time.sleep(0.3)


def write_urgent(url: str, answered: dict[str, bool], start: threading.Event) -> None:
    """One person: choose English, wait for the others, write the urgent message; note whether
    the answer arrived before the app died."""
    chat = Chat(url)
    chat.hello()
    chat.press(language_payload("en"))
    answered[chat.session] = False
    start.wait()
    try:
        frames = chat.say(URGENT)
        answered[chat.session] = any(frame["type"] == "bot" for frame in frames)
    except GONE:  # the app died first: this person got no answer
        return
    chat.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_settings(request, tmp_path) -> dict:
    with ExitStack() as stack:
        if request.param == "postgresql":
            yield {
                "database_url": stack.enter_context(postgresql_database()),
                "tracker_store_url": stack.enter_context(postgresql_database()),
            }
        else:
            yield {}


def test_a_killed_app_leaves_each_case_whole_or_absent_and_serves_again(model, tmp_path, database_settings):
    (tmp_path / "var").mkdir()
    settings = scratch_settings(tmp_path / "var", **database_settings)
    bot, app = processes.children(settings, model, tmp_path)
    bot.start()
    app.start()
    try:
        wait_ready(bot)
        wait_ready(app)
        url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
        answered: dict[str, bool] = {}
        start = threading.Event()
        people = [threading.Thread(target=write_urgent, args=(url, answered, start)) for _ in range(PEOPLE)]
        for person in people:
            person.start()
        ready_by = time.monotonic() + 60
        while len(answered) < PEOPLE:  # everyone has opened a chat and chosen a language
            assert time.monotonic() < ready_by, f"only {len(answered)} of {PEOPLE} people could open a chat"
            time.sleep(0.05)
        start.set()
        deadline = time.monotonic() + 120  # a busy machine answers slowly; a third is enough
        while sum(answered.values()) < PEOPLE // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(app.process.pid, signal.SIGKILL)  # in the middle: some answered, others not yet
        app.process.wait()
        for person in people:
            person.join(30)
        done = {session for session, yes in answered.items() if yes}
        assert 0 < len(done) < len(answered), "the kill came in the middle of the handovers"

        app.start()
        wait_ready(app)
        engine = create_engine(settings.resolved_database_url())
        sealer = Sealer(settings.encryption_key.get_secret_value())
        with engine.connect() as connection:
            cases = connection.execute(select(Handoff)).mappings().all()
        engine.dispose()
        by_conversation = {case["conversation_id"]: case for case in cases}
        assert len(by_conversation) == len(cases), "one case per conversation, never two"
        for case in cases:
            assert case["state"] == "queued" and case["team"] == "th-1300" and case["urgent"]
            assert case["requested_at"] and case["queued_at"] and case["alerted_at"]
            assert sealer.open(case["address"]) in answered, "the address decrypts to a real session"
            assert json.loads(sealer.open(case["triage"]))["urgent"] is True
        secret = settings.secret_key.get_secret_value()
        for session in done:
            assert conversation_id(secret, "webchat", session) in by_conversation, "an answered person's case is kept"

        chat = Chat(url)
        chat.hello()
        assert chat.press(language_payload("en")), "the app serves again on the same database"
        chat.close()
    finally:
        app.stop()
        bot.stop()
