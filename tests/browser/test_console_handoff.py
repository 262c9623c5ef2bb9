"""The operator console in Chromium, on the live stack: an urgent Thai LINE disclosure reaches
the queue, an operator takes it, writes to the person through LINE, and hands back to the bot.

The person's words carry HTML and script on purpose: every view must show them as text.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.accounts import Accounts
from core.identity import conversation_id
from core.locales import LOCALES_DIR, load_file
from core.menus import consent_payload, language_payload
from core.records.db import Database
from core.records.models import Handoff
from core.teams import Teams
from storytests.line import LineChat, texts
from tests.browser.chat import ENGLISH, press, wait_for_greeting, wait_for_text

pytestmark = pytest.mark.integration
THAI = load_file(LOCALES_DIR / "th.yml")
PASSWORD = "operator password for tests"
DESKTOP = {"width": 1280, "height": 800}
HOSTILE = '<img src=x onerror="window.pwned=1">'
URGENT = f"{HOSTILE} ตอนนี้โดนขังอยู่ในห้อง ช่วยหนูด้วยค่ะ"
OPERATOR_TEXT = "สวัสดีค่ะ <script>window.pwned=2</script> ตอนนี้ปลอดภัยที่จะคุยไหมคะ"


@pytest.fixture
def operator(stack):
    """An operator of the Thailand 1300 team; off duty and disabled again afterwards, so the
    other tests still meet nobody on duty."""
    settings, _ = stack
    database = Database(settings.resolved_database_url())
    accounts = Accounts(database, Teams.load().ids())
    username = f"nok{time.monotonic_ns() % 100000}"
    account = accounts.add(username, "Nok", PASSWORD, "operator", ["th-1300"])
    yield username
    accounts.set_duty(account.id, False)
    accounts.disable(username)
    database.dispose()


def case_of(settings, user: str, channel: str = "line") -> str:
    """The id of the open case of a person (other tests leave cases in the same queue)."""
    database = Database(settings.resolved_database_url())
    key = conversation_id(settings.secret_key.get_secret_value(), channel, user)
    with database.session() as session:
        case = session.scalar(select(Handoff.id).where(Handoff.conversation_id == key))
    database.dispose()
    assert case, "the urgent message opened a case"
    return case


def sign_in(page, settings, username: str) -> None:
    page.goto(f"http://127.0.0.1:{settings.app_port}/console")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    page.locator("#duty").wait_for()


def test_an_urgent_thai_line_disclosure_is_taken_answered_and_handed_back(stack, platform_api, open_page, operator):
    settings, _ = stack
    line = LineChat(settings, platform_api)
    page = open_page(viewport=DESKTOP, locale="th-TH")
    sign_in(page, settings, operator)
    page.locator("#duty").click()
    expect(page.locator("#duty")).to_have_attribute("aria-pressed", "true", timeout=30_000)

    line.exchange(line.event("follow", follow={"isUnblocked": False}))
    line.press(language_payload("th"))
    answered = texts(line.say(URGENT))
    assert THAI["urgent.offer_person"] in answered and "1300" in answered
    assert THAI["handoff.connecting"] in answered, "someone is on duty, so the person is told a person will join"
    assert THAI["summary.intro"] in answered and THAI["summary.urgent"] in answered, "the summary is shown first"

    row = page.locator(f'[data-case="{case_of(settings, line.user)}"].urgent')
    row.wait_for(timeout=15_000)
    page.locator("#alert").wait_for(state="visible")
    row.click()
    page.locator("#claim").click()
    joined = line.wait_for_calls(len(line.calls()) + 1)[-1].json()
    assert joined["to"] == line.user and texts(joined["messages"]) == THAI["handoff.operator_joined"]

    # Until the person agrees, the operator sees neither the summary nor the earlier messages.
    page.locator("#triage").get_by_text(THAI["console.summary_not_shared"]).wait_for()
    transcript = page.locator("#transcript")
    transcript.get_by_text(THAI["console.transcript_not_shared"]).wait_for()
    assert URGENT not in transcript.inner_text()
    asked = texts(line.press(consent_payload("handover", True)))
    assert THAI["consent.handover.given"] in asked and THAI["consent.transcript.ask"] in asked
    line.press(consent_payload("transcript", True))
    transcript.get_by_text(URGENT).wait_for()
    page.locator("#triage .catalogue").wait_for()  # the triage panel names its catalogue version
    assert THAI["console.urgent"] in page.locator("#triage").inner_text()

    before = len(line.calls())
    page.locator("#reply").fill(OPERATOR_TEXT)
    page.locator("#send").click()
    pushed = line.wait_for_calls(before + 1)[-1].json()
    assert pushed["to"] == line.user and texts(pushed["messages"]) == OPERATOR_TEXT

    # While the case is open the bot says nothing: the person's words go to the console.
    before = len(line.calls())
    assert line.post(line.text("ขอบคุณค่ะ " + HOSTILE)).status_code == 200
    transcript.get_by_text("ขอบคุณค่ะ " + HOSTILE).wait_for()
    transcript.get_by_text(OPERATOR_TEXT).wait_for()
    time.sleep(1)
    assert len(line.calls()) == before, "the bot stayed silent"

    page.locator("#hand-back").click()
    returned = line.wait_for_calls(before + 1)[-1].json()
    assert THAI["handoff.returned"] in texts(returned["messages"])

    # The bot is back and answers as the assistant again.
    resumed = texts(line.say("ขอเบอร์สายด่วนหน่อยค่ะ"))
    assert "1300" in resumed and THAI["handoff.returned"] not in resumed

    assert page.evaluate("window.pwned") is None, "no script from a message ran"
    assert page.locator("#transcript img, #triage img, #queue img").count() == 0


def test_a_web_chat_page_shows_that_the_hotline_team_wrote_not_the_assistant(stack, open_page, operator):
    settings, _ = stack
    console = open_page(viewport=DESKTOP)
    sign_in(console, settings, operator)
    chat = open_page()
    chat.goto(f"http://127.0.0.1:{settings.app_port}/chat")
    wait_for_greeting(chat)
    chat.get_by_label(ENGLISH["webchat.input_label"]).fill("I want to talk to a real person please")
    chat.get_by_role("button", name=ENGLISH["webchat.send"]).click()
    wait_for_text(chat, ENGLISH["summary.intro"])
    press(chat, ENGLISH["menu.yes"])
    wait_for_text(chat, ENGLISH["consent.handover.given"])

    session = chat.evaluate("sessionStorage.getItem('saphan.session')")
    console.locator(f'[data-case="{case_of(settings, session, "webchat")}"]').click()
    console.locator("#claim").click()
    console.locator("#reply").fill("Hello, I am from the hotline. Is it safe to write now?")
    console.locator("#send").click()

    wait_for_text(chat, "Is it safe to write now?")
    written = chat.get_by_role("log").locator("li", has_text="Is it safe to write now?").last
    assert written.get_attribute("class") == "team"
    assert written.locator(".who").inner_text() == ENGLISH["webchat.team_name"]
    joined = chat.get_by_role("log").locator("li", has_text=ENGLISH["handoff.operator_joined"]).last
    assert joined.locator(".who").inner_text() == ENGLISH["webchat.bot_name"], "the app's notices are the assistant's"
