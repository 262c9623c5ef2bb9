"""Only the payloads the menus offer are accepted (core/menus.py), and a STOP typed on its own
acts as the STOP button."""

import pytest

from core.menus import ALLOWED_PAYLOADS, COMMANDS, chosen_language, language_payload, typed_command
from core.settings import LANGUAGES


def test_every_language_has_a_payload_that_chooses_it():
    for language in LANGUAGES:
        assert language_payload(language) in ALLOWED_PAYLOADS
        assert chosen_language(language_payload(language)) == language


def test_other_payloads_choose_no_language():
    assert chosen_language("/ask_human") is None
    assert chosen_language('/choose_language{"language":"fr"}') is None
    assert '/choose_language{"language":"fr"}' not in ALLOWED_PAYLOADS


@pytest.mark.parametrize("text", ["STOP", "stop!!", "Stop stop", "หยุด", "ရပ်။", "ឈប់", "ຢຸດ", "DỪNG", "berhenti."])
def test_the_stop_words_the_first_message_names_are_the_stop_command_when_typed_alone(text):
    assert typed_command(text) == COMMANDS["stop"]


@pytest.mark.parametrize(
    "text",
    ["", "stop hitting me", "they told me to stop", "dung", "don't stop", "stop stop stop stop", "/stop",
     "stop " * 1000, "stop\u0000<script>", "\u202estop\u202c hit"],
)  # fmt: skip
def test_other_text_is_no_command(text):
    assert typed_command(text) is None
