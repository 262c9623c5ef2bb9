"""Every text exists in all seven languages, and rendering follows the keys (core/locales.py)."""

import re
from pathlib import Path

import pytest
import yaml

from core.locales import LOCALES_DIR, Catalog, load_file, placeholders
from core.menus import MENUS, TYPED_STOP_WORDS, typed_command
from core.messages import Outbound, TextPart
from core.settings import LANGUAGES, ROOT

ENGLISH = load_file(LOCALES_DIR / "en.yml")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_exactly_the_english_keys_and_placeholders(language):
    texts = load_file(LOCALES_DIR / f"{language}.yml")
    assert set(texts) == set(ENGLISH)
    for key, text in texts.items():
        assert text.strip(), f"{language}: {key} is empty"
        assert placeholders(text) == placeholders(ENGLISH[key]), f"{language}: {key}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_menu_labels_fit_on_a_button(language):
    texts = load_file(LOCALES_DIR / f"{language}.yml")
    for key, text in texts.items():
        if key.startswith("menu.") and key != "menu.prompt":
            assert len(text) <= 20, f"{language}: {key}"


# Promises of outcome (DNH-13), "illegal" (DNH-12, 24) and "confidential" (never promised), per language.
BANNED = {
    "en": r"guarantee|we will rescue|you will be safe|100 ?%|illegal|confidential",
    "th": r"รับประกัน|การันตี|ผิดกฎหมาย|ปลอดภัยแน่นอน|100 ?%",
    "my": r"အာမခံချက်|တရားမဝင်|100 ?%",
    "km": r"ធានាថា|ខុសច្បាប់|100 ?%",
    "lo": r"ຮັບປະກັນ|ຜິດກົດໝາຍ|100 ?%",
    "vi": r"đảm bảo|cam đoan|bất hợp pháp|phạm pháp|chắc chắn sẽ|100 ?%",
    "id": r"dijamin|menjamin|ilegal|pasti selamat|100 ?%",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_makes_a_promise_or_says_illegal(language):
    banned = re.compile(BANNED[language], re.IGNORECASE)
    texts = load_file(LOCALES_DIR / f"{language}.yml")
    assert {key: text for key, text in texts.items() if banned.search(text)} == {}


def test_the_banned_phrase_lint_can_fail():
    assert re.search(BANNED["vi"], "Chúng tôi đảm bảo bạn an toàn") and re.search(BANNED["th"], "งานนี้ผิดกฎหมาย")


@pytest.mark.parametrize("language", LANGUAGES)
def test_stop_is_named_in_the_first_message_in_every_language(language):
    assert "STOP" in load_file(LOCALES_DIR / f"{language}.yml")["greeting.safety_check"]


def test_every_stop_word_the_first_messages_name_is_a_typed_command():
    named = set()
    for language in LANGUAGES:
        words = load_file(LOCALES_DIR / f"{language}.yml")["greeting.safety_check"].casefold().split()
        stop_words = {word.strip(".!?,") for word in words if typed_command(word)}
        assert stop_words - {"stop"} or language == "en", f"{language}: its own STOP word is not a typed command"
        named |= stop_words
    assert named == TYPED_STOP_WORDS


def test_render_translates_parameters_that_name_keys():
    catalog = Catalog.load()
    rendered = catalog.render(
        Outbound((TextPart.of("hotline.line", country="@country.LA", number="1362", name="LWU"),)), "lo"
    )
    assert "1362" in rendered.text and load_file(LOCALES_DIR / "lo.yml")["country.LA"] in rendered.text


def test_a_parameter_naming_several_keys_is_a_list_in_the_language_and_list_items_go_line_by_line():
    catalog = Catalog.load()
    signs = TextPart.of("summary.signs", signs="@summary.family.withheld_wages @summary.family.isolation")
    rendered = catalog.render(Outbound((TextPart("summary.intro"), signs, TextPart("summary.child"))), "my")
    burmese = load_file(LOCALES_DIR / "my.yml")
    wages, isolation = burmese["summary.family.withheld_wages"], burmese["summary.family.isolation"]
    intro, listed, child = rendered.text.split("\n")
    assert intro == burmese["summary.intro"] and listed.endswith(f"{wages}၊ {isolation}")
    assert child == burmese["summary.child"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_list_items_are_list_items_in_every_language(language):
    english, texts = load_file(LOCALES_DIR / "en.yml"), load_file(LOCALES_DIR / f"{language}.yml")
    items = {key for key, text in english.items() if text.startswith("- ")}
    assert {key for key, text in texts.items() if text.startswith("- ")} == items


def test_language_menu_shows_each_language_in_its_own_script():
    rendered = Catalog.load().render(Outbound.keys("language.menu_prompt", menu="language"), "en")
    labels = [reply.label for reply in rendered.quick_replies]
    assert labels == [load_file(LOCALES_DIR / f"{lang}.yml")["language.name"] for lang in LANGUAGES]


def _domain_keys() -> set[str]:
    keys = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        for variations in (yaml.safe_load(path.read_text()).get("responses") or {}).values():
            for variation in variations:
                keys.update(variation["custom"]["say"])
                assert variation["custom"].get("menu") in (None, *MENUS), path
    return keys


def test_every_key_the_bot_says_exists():
    assert _domain_keys() - set(ENGLISH) == set()


def test_no_user_facing_text_is_hard_coded_in_the_domain():
    for path in Path(ROOT / "bot" / "domain").glob("*.yml"):
        for name, variations in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            assert all(set(v) == {"custom"} for v in variations), f"{name} has text outside locales/"
