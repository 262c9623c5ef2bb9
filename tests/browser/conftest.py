"""Debian's Chromium, headless, driven by Playwright: one browser per test module.

Every page opened through `open_page` is checked when the test ends: no request may leave the
machine (the chat works offline and loads nothing from a CDN).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
PHONE = {"width": 360, "height": 740}
LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "about:", "data:")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one module's tests. Playwright's sync API runs an event loop in
    the main thread while it is open, so it must close before tests that call asyncio.run."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Browser):
    """Open pages in fresh browser contexts sized like a phone; keyword arguments go to
    `Browser.new_context` (e.g. `permissions`, `geolocation`). Call with `context=` to open
    another page in an earlier page's context (the same browser profile, a new tab)."""
    contexts = []
    outside: list[str] = []

    def opener(context=None, **options) -> Page:
        if context is None:
            context = browser.new_context(**{"viewport": PHONE, "locale": "en-US", **options})
            context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)
            contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()
    assert outside == [], "the page must work offline: no request may leave the machine"
