"""Recognising locale keys in rendered answers, as the story runner and its report do."""

from __future__ import annotations

from core.directory import Directory, hotline_parts
from core.locales import Catalog
from core.messages import Outbound, TextPart
from storytests.texts import TextKeys

CATALOG = Catalog.load()
KEYS = TextKeys(CATALOG)


def rendered(outbound: Outbound, language: str) -> str:
    return CATALOG.render(outbound, language).text


def test_each_text_of_an_answer_is_named_by_its_key_in_every_language():
    outbound = Outbound((TextPart("disclosure.thanks"), *hotline_parts(Directory.load(), "TH")), menu="main")
    for language in ("en", "km", "my"):
        keys = KEYS.keys_in(rendered(outbound, language), language)
        assert keys[0] == "disclosure.thanks" and keys[1] == "hotline.intro"
        assert set(keys[2:]) == {"hotline.line"}, keys


def test_parameters_do_not_swallow_the_texts_around_them():
    text = rendered(Outbound((TextPart.of("consent.record.ask", days="30"), TextPart("consent.free_choice"))), "th")
    assert KEYS.keys_in(text, "th") == ["consent.record.ask", "consent.free_choice"]


def test_a_key_is_found_in_order_and_not_before_the_previous_one():
    answers = [
        (rendered(Outbound.keys("greeting.safety_check", "greeting.intro"), "lo"), "lo"),
        (rendered(Outbound.keys("language.menu_prompt"), "lo"), "lo"),
    ]
    first = KEYS.find("greeting.intro", answers)
    assert first == (0, 1)
    assert KEYS.find("language.menu_prompt", answers, after=first) == (1, 0)
    assert KEYS.find("greeting.safety_check", answers, after=first) is None
    assert KEYS.find("stop.done", answers) is None


def test_text_no_key_explains_is_shown_as_unknown():
    assert KEYS.keys_in("something the catalogue never says", "en") == ["?"]
