"""The web chat page in real headless Chromium: languages, quick replies, location sharing,
quick exit and what the browser keeps."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from core.locales import LOCALES_DIR, load_file
from core.messages import SHARE_LOCATION
from tests.browser.chat import ENGLISH, press, shown, stored, wait_for_greeting, wait_for_text

pytestmark = pytest.mark.browser
THAI = load_file(LOCALES_DIR / "th.yml")
BANGKOK = {"latitude": 13.7563, "longitude": 100.5018}


@pytest.fixture
def chat_url(stack) -> str:
    settings, _ = stack
    return f"http://127.0.0.1:{settings.app_port}/chat"


def record_frames(page) -> list[dict]:
    """The frames the page sends over its WebSocket, as they go."""
    sent: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(json.loads(payload))))
    return sent


def test_pick_a_language_send_a_message_and_see_the_reply(open_page, chat_url, output_dir):
    page = open_page()
    page.goto(chat_url)
    wait_for_greeting(page)

    press(page, THAI["language.name"])
    wait_for_text(page, THAI["language.changed"])
    expect(page.locator("html")).to_have_attribute("lang", "th", timeout=30_000)  # set once the Thai texts have loaded
    assert page.get_by_role("button", name=THAI["webchat.quick_exit"]).is_visible()

    page.get_by_label(THAI["webchat.input_label"]).fill("สวัสดีค่ะ")
    page.get_by_role("button", name=THAI["webchat.send"]).click()
    wait_for_text(page, THAI["greeting.safety_check"])

    # Readable on a 360 px phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(output_dir / "webchat-thai-360px.png"), full_page=True)


def test_keyboard_only_use(open_page, chat_url):
    page = open_page()
    page.goto(chat_url)
    wait_for_greeting(page)
    page.get_by_role("button", name=ENGLISH["language.name"], exact=True).wait_for()
    # Quick exit comes first in the tab order, then the language picker and the keep-chat box.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "exit"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "language"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "keep"
    # The quick replies are reached with Tab and pressed with Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.parentElement.id") == "replies"
    page.keyboard.press("Enter")
    wait_for_text(page, ENGLISH["menu.prompt"])

    page.get_by_label(ENGLISH["webchat.input_label"]).focus()
    page.keyboard.type("i want talk to real person")
    page.keyboard.press("Enter")
    wait_for_text(page, ENGLISH["handoff.nobody_on_duty"])


def test_share_location_after_consent_with_a_granted_permission(open_page, chat_url, output_dir):
    page = open_page(permissions=["geolocation"], geolocation=BANGKOK)
    sent = record_frames(page)
    page.goto(chat_url)
    wait_for_greeting(page)
    press(page, ENGLISH["language.name"])
    wait_for_text(page, ENGLISH["language.changed"])

    press(page, ENGLISH["menu.share_location"])
    wait_for_text(page, ENGLISH["location.ask"])
    assert not [frame for frame in sent if frame["type"] == "location"], "no location before consent"
    press(page, ENGLISH["menu.yes"])
    wait_for_text(page, ENGLISH["location.how"])
    page.screenshot(path=str(output_dir / "webchat-send-location-360px.png"), full_page=True)

    press(page, ENGLISH["menu.send_location"])
    wait_for_text(page, ENGLISH["location.received"])
    locations = [frame for frame in sent if frame["type"] == "location"]
    assert len(locations) == 1
    assert (locations[0]["latitude"], locations[0]["longitude"]) == (BANGKOK["latitude"], BANGKOK["longitude"])
    assert not [frame for frame in sent if frame.get("payload") == SHARE_LOCATION], "never sent as a postback"
    assert shown(page, ENGLISH["fallback.not_understood"]) == 0


def test_denied_location_permission_is_explained_and_nothing_is_sent(open_page, chat_url):
    page = open_page()  # no permission granted: Chromium refuses the page's request
    sent = record_frames(page)
    page.goto(chat_url)
    wait_for_greeting(page)
    press(page, ENGLISH["language.name"])
    press(page, ENGLISH["menu.share_location"])
    press(page, ENGLISH["menu.yes"])
    press(page, ENGLISH["menu.send_location"])

    wait_for_text(page, ENGLISH["webchat.location_denied"])
    assert not [frame for frame in sent if frame["type"] == "location" or frame.get("payload") == SHARE_LOCATION]
    # The person can still cancel (or try again): the buttons stay, usable.
    press(page, ENGLISH["menu.cancel"])
    wait_for_text(page, ENGLISH["location.declined"])


def test_quick_exit_clears_everything_and_back_does_not_return(open_page, chat_url):
    page = open_page()
    before = chat_url.replace("/chat", "/healthz")
    page.goto(before)
    page.goto(chat_url)
    wait_for_greeting(page)
    page.get_by_label(ENGLISH["webchat.keep_chat"]).check()
    assert stored(page, "localStorage") and not stored(page, "sessionStorage")
    page.evaluate("sessionStorage.setItem('other', 'x')")

    press(page, ENGLISH["webchat.quick_exit"])
    page.wait_for_url("about:blank")
    assert page.content().count("Saphan") == 0
    page.go_back()
    assert page.url == before, "the chat must not be in the history"
    assert page.evaluate("sessionStorage.length") == 0
    assert stored(page, "localStorage") == {}


def test_escape_twice_is_a_quick_exit(open_page, chat_url):
    page = open_page()
    page.goto(chat_url)
    wait_for_greeting(page)
    page.get_by_label(ENGLISH["webchat.input_label"]).focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url("about:blank")
    page.go_back()
    assert "/chat" not in page.url


def test_one_escape_is_not_an_exit(open_page, chat_url):
    page = open_page()
    page.goto(chat_url)
    wait_for_greeting(page)
    page.keyboard.press("Escape")
    page.wait_for_timeout(1_700)
    page.keyboard.press("Escape")
    page.wait_for_timeout(500)
    assert page.url == chat_url


def test_nothing_is_kept_after_the_tab_closes_unless_asked(open_page, chat_url, output_dir):
    page = open_page()
    page.goto(chat_url)
    wait_for_greeting(page)
    page.locator("main").evaluate("(main) => main.scrollTo(0, 0)")
    page.screenshot(path=str(output_dir / "webchat-top-360px.png"))
    session = stored(page, "sessionStorage")
    assert list(session) == ["saphan.session"] and stored(page, "localStorage") == {}

    # Ticked: the token and the log move to localStorage.
    page.get_by_label(ENGLISH["webchat.keep_chat"]).check()
    kept = stored(page, "localStorage")
    assert kept["saphan.session"] == session["saphan.session"]
    assert ENGLISH["greeting.safety_check"] in kept["saphan.chat"]
    assert stored(page, "sessionStorage") == {}
    press(page, ENGLISH["language.name"])
    wait_for_text(page, ENGLISH["language.changed"])

    # Coming back in a new tab: the same conversation, shown once, the box still ticked.
    page.close()
    again = open_page(context=page.context)
    again.goto(chat_url)
    wait_for_text(again, ENGLISH["language.changed"])
    again.wait_for_timeout(1_500)
    assert shown(again, ENGLISH["greeting.safety_check"]) == 1
    assert again.get_by_label(ENGLISH["webchat.keep_chat"]).is_checked()
    assert stored(again, "localStorage")["saphan.session"] == session["saphan.session"]

    # Unticked: nothing of Saphan's stays in localStorage; the tab keeps only the token.
    again.get_by_label(ENGLISH["webchat.keep_chat"]).uncheck()
    assert stored(again, "localStorage") == {}
    assert stored(again, "sessionStorage") == session
