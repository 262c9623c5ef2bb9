"""Only the payloads the menus offer are accepted (core/menus.py)."""

from core.menus import ALLOWED_PAYLOADS, chosen_language, language_payload
from core.settings import LANGUAGES


def test_every_language_has_a_payload_that_chooses_it():
    for language in LANGUAGES:
        assert language_payload(language) in ALLOWED_PAYLOADS
        assert chosen_language(language_payload(language)) == language


def test_other_payloads_choose_no_language():
    assert chosen_language("/ask_human") is None
    assert chosen_language('/choose_language{"language":"fr"}') is None
    assert '/choose_language{"language":"fr"}' not in ALLOWED_PAYLOADS
