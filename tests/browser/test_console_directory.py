"""The hotline directory in the console, in Chromium, on the live stack: an admin sees stale
entries and uncovered groups, completes an entry the sources left without a number, and is told
why a wrong one is refused; the file every process reads changes only for the valid edit."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from console.accounts import Accounts
from core.directory import Directory
from core.records.db import Database
from core.teams import Teams
from tests.browser.test_console_handoff import DESKTOP, PASSWORD

pytestmark = pytest.mark.integration
HOSTILE = '<img src=x onerror="window.pwned=1">'


@pytest.fixture
def admin(stack):
    """An admin account for this test; disabled again afterwards."""
    settings, _ = stack
    database = Database(settings.resolved_database_url())
    accounts = Accounts(database, Teams.load().ids())
    username = f"ada{time.monotonic_ns() % 100000}"
    accounts.add(username, "Ada", PASSWORD, "admin", [])
    yield username
    accounts.disable(username)
    database.dispose()


def test_an_admin_completes_an_entry_and_a_wrong_one_is_refused_with_its_reason(stack, open_page, admin):
    settings, _ = stack
    page = open_page(viewport=DESKTOP)
    page.goto(f"http://127.0.0.1:{settings.app_port}/console")
    page.locator("#username").fill(admin)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    page.locator("#tab-directory").click()
    page.locator("#directory-view h2").wait_for()
    expect(page.locator("#directory-gaps")).to_contain_text("Myanmar", timeout=30_000)  # filled after a fetch
    row = page.locator('#directory tr[data-id="kh-ahtjp"]')
    assert "No number yet" in row.inner_text()

    row.get_by_role("button", name="Edit").click()
    assert page.locator("#entry-id").input_value() == "kh-ahtjp"
    page.locator("#entry-number").fill(HOSTILE)
    page.locator("#directory-save").click()
    page.get_by_text("Not saved: hotline kh-ahtjp: number must be digits").wait_for()
    assert Directory.load(settings.directory_file).by_id("kh-ahtjp").number is None
    assert page.evaluate("window.pwned") is None

    page.locator("#entry-number").fill("1288")
    page.locator("#directory-save").click()
    page.locator('#directory tr[data-id="kh-ahtjp"]', has_text="1288").wait_for()
    assert page.locator("#directory-form").is_hidden()
    assert Directory.load(settings.directory_file).by_id("kh-ahtjp").number == "1288"
