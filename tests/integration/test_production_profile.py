"""The production profile: two bot and two app processes on PostgreSQL and Redis.

The stack here is its own: fresh PostgreSQL databases for the records and Rasa's tracker store
on 127.0.0.1:5432, Redis on 127.0.0.1:6379, LINE pointed at a local fake of its API. It proves
that one person's messages, landing on either app process and either bot process, are answered
once each and in order; that an operator signed in on app process 1 is alerted at once to a
case that arrived through app process 2; that a bot process killed in the middle of a
conversation loses no message; and that an app process killed with events still waiting leaves
them to the other, which answers them.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text

from console.accounts import Accounts
from core.identity import conversation_id
from core.menus import language_payload
from core.records.db import Database
from core.teams import Teams
from fakeplatform import FakePlatform, line_api
from launcher import processes
from launcher.scratch import channel_settings, free_ports, scratch_settings
from tests.integration.line_traffic import answered_tokens, inbox_settles, post_line, user_texts
from tests.records.conftest import postgresql_database

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/9"
PASSWORD = "production profile operator"
# One person's messages, and what the bot reads of them (a language's name chooses the language).
SCRIPT = ["English", "what is the hotline number", "how do I check a job offer", "thank you"]
READ = [language_payload("en"), *SCRIPT[1:]]


@pytest.fixture(scope="module")
def profile(model, tmp_path_factory):
    """Two bot and two app processes on PostgreSQL and Redis; yields their settings, the
    children (bot-1, bot-2, app-1, app-2) and the fake LINE API."""
    with (
        postgresql_database() as database_url,
        postgresql_database() as tracker_url,
        FakePlatform() as platform,
    ):
        line_api.install(platform)
        var_dir = tmp_path_factory.mktemp("var-production")
        ports = free_ports(4)  # two app processes, then two bot processes
        settings = scratch_settings(
            var_dir,
            database_url=database_url,
            tracker_store_url=tracker_url,
            redis_url=REDIS_URL,
            app_port=ports,
            bot_port=ports + 2,
            **channel_settings(platform.url),
        )
        log_dir = var_dir / "log"
        log_dir.mkdir()
        children = processes.children(settings, model, log_dir, bots=2, apps=2)
        supervisor = processes.Supervisor(children)
        supervisor.start()
        try:
            yield settings, {child.name: child for child in children}, platform
        finally:
            supervisor.stop()


def app_url(settings, number: int) -> str:
    return f"http://127.0.0.1:{settings.app_port + number - 1}"


def test_every_process_reports_the_whole_profile_healthy(profile):
    settings, _, _ = profile
    for number in (1, 2):
        health = httpx.get(f"{app_url(settings, number)}/healthz", timeout=10).json()
        assert health == {
            "status": "ok", "database": "ok", "bot": "ok", "bot_processes": "2/2", "redis": "ok"
        }  # fmt: skip


def test_one_persons_messages_on_both_app_processes_are_answered_once_each_in_order(profile):
    settings, _, platform = profile
    user, tokens = f"U{uuid.uuid4().hex}", [uuid.uuid4().hex for _ in SCRIPT]
    for number, (message, token) in enumerate(zip(SCRIPT, tokens)):
        post_line(app_url(settings, number % 2 + 1), user, message, token)  # no waiting: the next lands at once
    assert answered_tokens(platform, tokens) == tokens  # each answered once, in the order written
    assert user_texts(settings, user) == READ  # the bot read each once, in order


def test_an_operator_on_one_app_process_is_alerted_to_a_case_from_the_other(profile):
    settings, _, _ = profile
    database = Database(settings.database_url)
    Accounts(database, Teams.load().ids()).add("operator1", "Operator One", PASSWORD, "operator", ["th-1300"])
    database.dispose()
    with httpx.Client(base_url=app_url(settings, 1), timeout=30) as console:
        signed_in = console.post("/console/api/sign-in", json={"username": "operator1", "password": PASSWORD})
        csrf = signed_in.json()["csrf"]
        console.post("/console/api/duty", json={"on_duty": True}, headers={"X-CSRF-Token": csrf}).raise_for_status()
        with console.stream("GET", "/console/api/events", timeout=30) as stream:
            user = f"U{uuid.uuid4().hex}"
            posted = time.monotonic()
            post_line(app_url(settings, 2), user, "ช่วยด้วย เขากำลังตีผมอยู่ตอนนี้", uuid.uuid4().hex)  # urgent, in Thai
            kind, alert = "", None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "alert":
                    alert = json.loads(line[6:])
                    break
            waited = time.monotonic() - posted
        queue = console.get("/console/api/queue").json()
    assert alert is not None and alert["urgent"] is True
    assert waited < 10  # a generous bound on a shared machine; bench/load.py measures the real figure
    assert alert["case"] in json.dumps(queue)


def test_a_bot_process_killed_mid_conversation_loses_no_message(profile):
    settings, children, platform = profile
    user, tokens = f"U{uuid.uuid4().hex}", [uuid.uuid4().hex for _ in SCRIPT]
    post_line(app_url(settings, 1), user, SCRIPT[0], tokens[0])
    assert answered_tokens(platform, tokens[:1]) == tokens[:1]
    os.killpg(children["bot-1"].process.pid, signal.SIGKILL)  # no shutdown: as if its machine died
    for number, (message, token) in enumerate(zip(SCRIPT[1:], tokens[1:])):
        post_line(app_url(settings, number % 2 + 1), user, message, token)
    assert answered_tokens(platform, tokens) == tokens
    assert user_texts(settings, user) == READ  # nothing lost, nothing read twice
    health = httpx.get(f"{app_url(settings, 1)}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["bot"] == "partial" and health.json()["bot_processes"] == "1/2"
    children["bot-1"].start()  # back for the tests after this one
    deadline = time.monotonic() + 180
    while not children["bot-1"].ready():
        assert time.monotonic() < deadline, "bot-1 did not come back"
        time.sleep(0.5)


def test_an_app_process_killed_during_an_urgent_handoff_loses_neither_case_nor_message(profile):
    """The person's urgent message and three more are stored by app-1, which is killed at once and
    started again (as the launcher's supervisor does): the case is in the queue with its triage,
    and every message is answered."""
    settings, children, platform = profile
    user = f"U{uuid.uuid4().hex}"
    messages = ["ช่วยด้วย เขากำลังตีผมอยู่ตอนนี้", "ผมอยู่ที่โรงงาน", "ช่วยด้วย", "ขอบคุณ"]
    tokens = [uuid.uuid4().hex for _ in messages]
    for message, token in zip(messages, tokens):
        post_line(app_url(settings, 1), user, message, token)  # each stored by app-1 before it answers 200
    os.killpg(children["app-1"].process.pid, signal.SIGKILL)
    children["app-1"].start()
    answered = set(answered_tokens(platform, tokens, timeout=150))
    pushed = [r for r in platform.requests("/v2/bot/message/push") if user in r.body.decode()]
    assert len(answered) + len(pushed) >= len(messages)  # a late answer is pushed (its reply token is old)
    key = conversation_id(settings.secret_key.get_secret_value(), "line", user)
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{app_url(settings, 1)}/healthz").status_code == 200
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            case = connection.execute(
                text("SELECT state, urgent, triage FROM handoffs WHERE conversation_id = :key"), {"key": key}
            ).one()
    finally:
        engine.dispose()
    assert case.state == "queued" and case.urgent is True and case.triage
    assert inbox_settles(settings.database_url) == 0
