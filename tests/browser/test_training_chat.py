"""Training mode in Chromium, on the live stack: a trainer opens a training chat from the
console, plays the person and the operator, and ends the training; nothing is left behind and
real operators never see any of it."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import inspect, select, text

from console.accounts import Accounts
from core.identity import conversation_id
from core.records.db import Database
from core.records.models import Handoff
from core.teams import Teams
from tests.browser.chat import ENGLISH, press, wait_for_greeting, wait_for_text
from tests.browser.test_console_handoff import DESKTOP, PASSWORD, sign_in

pytestmark = pytest.mark.integration
URGENT = "they locked me in the room and beat me, help me now"
TRAINER_REPLY = "Hello, I am the trainer playing the operator. Is it safe to write?"


@pytest.fixture
def accounts(stack):
    """A trainer and an operator; both off duty and disabled again afterwards."""
    settings, _ = stack
    database = Database(settings.resolved_database_url())
    accounts = Accounts(database, Teams.load().ids())
    suffix = time.monotonic_ns() % 100000
    trainer = accounts.add(f"tara{suffix}", "Tara", PASSWORD, "trainer", [])
    operator = accounts.add(f"omar{suffix}", "Omar", PASSWORD, "operator", ["th-1300"])
    yield trainer, operator, database
    for account in (trainer, operator):
        accounts.set_duty(account.id, False)
        accounts.disable(account.username)
    database.dispose()


def operator_client(settings, username: str) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{settings.app_port}", timeout=10)
    assert client.post("/console/api/sign-in", json={"username": username, "password": PASSWORD}).status_code == 200
    return client


def rows_mentioning(database: Database, key: str, case_id: str) -> dict[str, int]:
    """Every table of the app's database with a row holding the conversation key or the case id."""
    found = {}
    with database.session() as session:
        for table in inspect(database.engine).get_table_names():
            for column in inspect(database.engine).get_columns(table):
                if str(column["type"]).upper().startswith(("VARCHAR", "TEXT", "CHAR")):
                    count = session.execute(
                        text(f'SELECT COUNT(*) FROM "{table}" WHERE "{column["name"]}" IN (:key, :case)'),
                        {"key": key, "case": case_id},
                    ).scalar()
                    if count:
                        found[f"{table}.{column['name']}"] = count
    return found


def test_a_trainer_plays_both_sides_of_a_training_chat_and_ending_it_leaves_nothing(stack, open_page, accounts):
    settings, _ = stack
    trainer, operator, database = accounts
    console = open_page(viewport=DESKTOP)
    sign_in(console, settings, trainer.username)
    console.locator("#training").wait_for()
    assert console.locator("#live").is_hidden(), "a trainer is never offered real conversations"
    console.locator("#duty").click()
    expect(console.locator("#duty")).to_have_attribute("aria-pressed", "true", timeout=30_000)
    press(console, ENGLISH["console.training_new"])
    link = console.locator("#training-link")
    link.wait_for()
    url = link.get_attribute("href")
    assert url.startswith("/chat?training=")

    chat = open_page()
    chat.goto(f"http://127.0.0.1:{settings.app_port}{url}")
    wait_for_greeting(chat)
    chat.get_by_text(ENGLISH["webchat.training_banner"]).wait_for()
    press(chat, "English")
    chat.locator("#text").fill(URGENT)
    chat.locator("#send").click()
    wait_for_text(chat, ENGLISH["handoff.connecting"])  # the trainer on duty can answer it

    session = chat.evaluate("sessionStorage.getItem('saphan.training_session')")
    key = conversation_id(settings.secret_key.get_secret_value(), "webchat", session)
    with database.session() as db:
        case = db.scalars(select(Handoff).where(Handoff.conversation_id == key)).one()
        assert case.training and case.urgent

    # Real operators never see the training case, in the queue or by its id.
    real = operator_client(settings, operator.username)
    assert case.id not in [each["id"] for each in real.get("/console/api/queue").json()["cases"]]
    assert real.get(f"/console/api/cases/{case.id}").status_code == 404
    assert all(c["ref"] != key[:16] for c in real.get("/console/api/live").json()["conversations"])

    # The trainer takes it as an operator would, and the training chat shows the team's reply.
    row = console.locator(f'[data-case="{case.id}"]')
    row.wait_for(timeout=15_000)
    row.click()
    console.locator("#case-facts").get_by_text(ENGLISH["console.training_case"], exact=True).wait_for()
    console.locator("#claim").click()
    console.locator("#reply").fill(TRAINER_REPLY)
    console.locator("#send").click()
    wait_for_text(chat, TRAINER_REPLY)

    # Ending the training deletes the chat, its case and the bot's transcript.
    console.goto(f"http://127.0.0.1:{settings.app_port}/console#queue")
    console.locator("#training").wait_for()
    press(console, ENGLISH["console.training_end"])
    console.get_by_text(ENGLISH["console.training_ended"].format(count=1)).wait_for()
    assert rows_mentioning(database, key, case.id) == {}
    tracker = httpx.get(
        f"http://127.0.0.1:{settings.bot_port}/conversations/{key}/tracker",
        params={"token": settings.bot_api_token.get_secret_value()},
    ).json()
    assert [e for e in tracker["events"] if e["event"] == "user"] == []

    # The page of an ended training chat can write no more: nothing new is made of it.
    chat.locator("#text").fill("hello again")
    chat.locator("#send").click()
    wait_for_text(chat, ENGLISH["webchat.training_ended"])
    assert rows_mentioning(database, key, case.id) == {}
    real.close()
