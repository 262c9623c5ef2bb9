"""The page survives an app restart: a message written while the app is down is delivered once,
after the restart, and its answer is shown once.

This module runs its own bot and app (not the shared `stack`), so it can stop and start the
app process while the page stays open.
"""

from __future__ import annotations

import time

import pytest

from launcher import processes
from launcher.scratch import scratch_settings
from tests.browser.chat import ENGLISH, shown, stored, wait_for_greeting, wait_for_text
from tests.integration.test_webchat_conversation import bot_received

pytestmark = pytest.mark.browser
WRITTEN_WHILE_DOWN = "i want talk to real person"


@pytest.fixture(scope="module")
def own_stack(model, tmp_path_factory):
    """A bot and an app of this module's own; yields their settings and the app's process."""
    var_dir = tmp_path_factory.mktemp("reconnect")
    settings = scratch_settings(var_dir)
    log_dir = var_dir / "log"
    log_dir.mkdir()
    supervisor = processes.Supervisor(processes.children(settings, model, log_dir), say=lambda *_, **__: None)
    supervisor.start()
    try:
        yield settings, next(child for child in supervisor.children if child.name == "app")
    finally:
        supervisor.stop()


def wait_until_ready(child: processes.Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not child.ready():
        assert child.process.poll() is None, "the app stopped while starting" + child.log_tail()
        assert time.monotonic() < deadline, "the app was not ready in time"
        time.sleep(0.2)


def test_message_written_while_the_app_is_down_is_delivered_once_after_it_restarts(own_stack, open_page):
    settings, app = own_stack
    page = open_page()
    page.goto(f"http://127.0.0.1:{settings.app_port}/chat")
    wait_for_greeting(page)
    page.get_by_role("button", name=ENGLISH["language.name"], exact=True).wait_for()
    session = stored(page, "sessionStorage")["saphan.session"]

    app.stop()
    page.get_by_role("status").get_by_text(ENGLISH["webchat.offline"]).wait_for(timeout=15_000)
    page.get_by_label(ENGLISH["webchat.input_label"]).fill(WRITTEN_WHILE_DOWN)
    page.get_by_role("button", name=ENGLISH["webchat.send"]).click()
    assert page.locator("#log li.you.pending").count() == 1, "shown as waiting while the app is down"

    app.start()
    wait_until_ready(app)
    wait_for_text(page, ENGLISH["handoff.nobody_on_duty"], timeout=60_000)
    page.locator("#log li.pending").wait_for(state="detached", timeout=10_000)
    page.wait_for_timeout(2_000)  # room for a duplicate to show up, if there were one

    assert shown(page, WRITTEN_WHILE_DOWN) == 1
    assert shown(page, ENGLISH["handoff.nobody_on_duty"]) == 1
    assert shown(page, ENGLISH["greeting.safety_check"]) == 1, "the same conversation goes on"
    assert page.get_by_role("status").inner_text() == ""
    assert bot_received(settings, session, WRITTEN_WHILE_DOWN) == 1
