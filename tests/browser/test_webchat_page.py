"""The web chat page in real headless Chromium: pick a language, talk, see the answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from core.locales import LOCALES_DIR, load_file

pytestmark = pytest.mark.browser
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
THAI = load_file(LOCALES_DIR / "th.yml")
ENGLISH = load_file(LOCALES_DIR / "en.yml")


@pytest.fixture
def page(stack):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
        page = context.new_page()
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
        yield page
        assert outside == [], "the page must work offline: no request may leave the machine"
        browser.close()


def test_pick_a_language_send_a_message_and_see_the_reply(stack, page, output_dir):
    settings, _ = stack
    page.goto(f"http://127.0.0.1:{settings.app_port}/chat")
    log = page.get_by_role("log")
    log.get_by_text(ENGLISH["greeting.safety_check"]).wait_for(timeout=30_000)

    page.get_by_role("button", name=THAI["language.name"]).click()
    log.get_by_text(THAI["language.changed"]).wait_for(timeout=30_000)
    assert page.locator("html").get_attribute("lang") == "th"

    page.get_by_label(THAI["webchat.input_label"]).fill("สวัสดีค่ะ")
    page.get_by_role("button", name=THAI["webchat.send"]).click()
    log.get_by_text(THAI["greeting.safety_check"]).last.wait_for(timeout=30_000)

    # Readable on a 360 px phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(output_dir / "webchat-thai-360px.png"), full_page=True)


def test_keyboard_only_use(stack, page):
    settings, _ = stack
    page.goto(f"http://127.0.0.1:{settings.app_port}/chat")
    page.get_by_role("log").get_by_text(ENGLISH["greeting.safety_check"]).wait_for(timeout=30_000)
    page.get_by_label(ENGLISH["webchat.input_label"]).focus()
    page.keyboard.type("i want talk to real person")
    page.keyboard.press("Enter")
    page.get_by_role("log").get_by_text(ENGLISH["handoff.no_person_yet"]).wait_for(timeout=30_000)
