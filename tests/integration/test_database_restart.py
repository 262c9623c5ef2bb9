"""PostgreSQL restarted while people write: nothing lost, nothing twice, no half-written case.

The stack here has a PostgreSQL server of its own (the machine's shared one must not be
restarted under other tests): the app's records and Rasa's tracker store live on it, with one
bot and one app process and LINE pointed at a local fake of its API. While four people write,
one of them urgently, the server is stopped at once (connections cut, open transactions rolled
back) and started again three seconds later. The app is not restarted.
"""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text

from core.identity import conversation_id
from core.menus import language_payload
from fakeplatform import FakePlatform, line_api
from launcher import processes
from launcher.scratch import channel_settings, scratch_settings
from tests.integration.line_traffic import answered_tokens, inbox_settles, post_line, user_texts
from tests.integration.own_postgresql import own_postgresql

pytestmark = pytest.mark.integration
SCRIPT = ["English", "what is the hotline number", "how do I check a job offer", "thank you"]
READ = [language_payload("en"), *SCRIPT[1:]]
URGENT = ["ช่วยด้วย เขากำลังตีผมอยู่ตอนนี้", "ผมอยู่ที่โรงงาน", "ช่วยด้วย", "ขอบคุณ"]
OUTAGE_SECONDS = 3
PAUSE_BETWEEN_MESSAGES = 0.5


@pytest.fixture(scope="module")
def stack(model, tmp_path_factory):
    """One bot and one app process on a PostgreSQL server of the test's own; yields the server,
    the settings, the app process and the fake LINE API."""
    with own_postgresql() as server, FakePlatform() as platform:
        line_api.install(platform)
        var_dir = tmp_path_factory.mktemp("var-restart")
        settings = scratch_settings(
            var_dir,
            database_url=server.create_database("saphan"),
            tracker_store_url=server.create_database("saphan_tracker"),
            **channel_settings(platform.url),
        )
        log_dir = var_dir / "log"
        log_dir.mkdir()
        children = processes.children(settings, model, log_dir)
        supervisor = processes.Supervisor(children)
        supervisor.start()
        try:
            yield server, settings, {child.name: child for child in children}["app"], platform
        finally:
            supervisor.stop()


def write(app_url: str, user: str, messages: list[str], tokens: list[str]) -> None:
    for message, token in zip(messages, tokens):
        post_line(app_url, user, message, token)
        time.sleep(PAUSE_BETWEEN_MESSAGES)


def test_a_database_restart_during_traffic_loses_nothing_and_the_app_recovers_by_itself(stack):
    server, settings, app, platform = stack
    app_url = f"http://127.0.0.1:{settings.app_port}"
    app_pid = app.process.pid
    people = {f"U{uuid.uuid4().hex}": SCRIPT for _ in range(3)}
    urgent_person = f"U{uuid.uuid4().hex}"
    people[urgent_person] = URGENT
    tokens = {user: [uuid.uuid4().hex for _ in messages] for user, messages in people.items()}
    writers = [
        threading.Thread(target=write, args=(app_url, user, messages, tokens[user]))
        for user, messages in people.items()
    ]
    for writer in writers:
        writer.start()
    time.sleep(PAUSE_BETWEEN_MESSAGES * 1.5)  # the server goes during the people's second messages
    server.stop()
    time.sleep(OUTAGE_SECONDS)
    during = httpx.get(f"{app_url}/healthz", timeout=10)
    server.start()
    for writer in writers:
        writer.join()

    for user in people:  # every message answered once, in the order written
        assert answered_tokens(platform, tokens[user], timeout=90) == tokens[user]
    for user, messages in people.items():  # the bot read each message once, in order
        assert user_texts(settings, user) == (READ if messages is SCRIPT else messages)
    assert during.status_code == 503 and during.json()["database"] == "down"

    engine = create_engine(settings.database_url)
    key = conversation_id(settings.secret_key.get_secret_value(), "line", urgent_person)
    try:
        with engine.connect() as connection:
            cases = connection.execute(
                text("SELECT state, urgent, risk, team, triage, queued_at FROM handoffs WHERE conversation_id = :key"),
                {"key": key},
            ).all()
    finally:
        engine.dispose()
    assert len(cases) == 1  # one case, whole: not lost, not half-written, not made twice
    case = cases[0]
    assert case.state == "queued" and case.urgent is True and case.team and case.triage and case.queued_at
    assert inbox_settles(settings.database_url) == 0

    health = httpx.get(f"{app_url}/healthz", timeout=10)  # recovered without a restart
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert app.process.pid == app_pid and app.process.poll() is None
    user, token = f"U{uuid.uuid4().hex}", uuid.uuid4().hex
    post_line(app_url, user, "English", token)
    assert answered_tokens(platform, [token], timeout=30) == [token]

    # The failures were logged without the people's words or ids (Rasa's own failure records too).
    secret = settings.secret_key.get_secret_value()
    private = {*URGENT, *SCRIPT[1:], *people, *(conversation_id(secret, "line", user) for user in people)}
    for log in (settings.var_dir / "log").iterdir():
        written = log.read_text(encoding="utf-8", errors="replace")
        assert not [value for value in private if value in written], log.name
