"""What the browser tests do on the chat page, in a person's terms."""

from __future__ import annotations

from playwright.sync_api import Page

from core.locales import LOCALES_DIR, load_file

ENGLISH = load_file(LOCALES_DIR / "en.yml")
SAPHAN_KEYS = "Object.keys(%s).filter((key) => key.startsWith('saphan.'))"


def wait_for_text(page: Page, text: str, timeout: float = 30_000) -> None:
    """Wait until the chat log shows `text` (in any message)."""
    page.get_by_role("log").get_by_text(text).last.wait_for(timeout=timeout)


def wait_for_greeting(page: Page) -> None:
    """Wait until the bot's first message (the safety check) is shown."""
    wait_for_text(page, ENGLISH["greeting.safety_check"])


def press(page: Page, label: str) -> None:
    """Press the button whose accessible name is exactly `label`."""
    page.get_by_role("button", name=label, exact=True).click()


def shown(page: Page, text: str) -> int:
    """How many messages in the log contain `text`."""
    return page.get_by_role("log").locator("li", has_text=text).count()


def stored(page: Page, storage: str) -> dict[str, str]:
    """Saphan's keys in the page's `localStorage` or `sessionStorage`, with their values."""
    return page.evaluate(f"Object.fromEntries({SAPHAN_KEYS % storage}.map((key) => [key, {storage}.getItem(key)]))")
