"""Normalisation and language detection (core/language.py)."""

import unicodedata

import pytest

from core.language import detect, named_language, normalise, unsupported_script


def test_normalise_composes_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Tôi bị giữ hộ chiếu")
    assert decomposed != "Tôi bị giữ hộ chiếu"
    assert normalise(decomposed) == "Tôi bị giữ hộ chiếu"


def test_normalise_removes_zero_width_and_control_characters_only():
    assert normalise("\u200bช่วย\u200bด้วย\ufeff\x00\x07") == "ช่วยด้วย"
    assert normalise("line one\nline two") == "line one\nline two"
    # ZWNJ and ZWJ can carry meaning: they stay.
    assert normalise("a\u200cb\u200dc") == "a\u200cb\u200dc"


@pytest.mark.parametrize(
    "text, language",
    [
        ("นายจ้างยึดพาสปอร์ตของฉัน", "th"),
        ("ເຖົ້າແກ່ເອົາໜັງສືຜ່ານແດນຂ້ອຍ", "lo"),
        ("ថៅកែយកលិខិតឆ្លងដែនខ្ញុំ", "km"),
        ("အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားတယ်", "my"),
        ("Tôi bị giữ hộ chiếu", "vi"),
        ("toi bi giu ho chieu khong cho ve", "vi"),
        ("majikan saya tidak bayar gaji", "id"),
        ("my boss not give my passport", "en"),
        ("boss pls help, my passport", "en"),
    ],
)
def test_detect(text, language):
    assert detect(text) == language


@pytest.mark.parametrize("text", ["🙂🙂", "12345", "?", "ok", "ค"])
def test_short_or_unclear_text_keeps_the_conversation_language(text):
    assert detect(text) is None


@pytest.mark.parametrize(
    "text, language",
    [("English", "en"), ("ภาษาไทย", "th"), ("မြန်မာ", "my"), ("ខ្មែរ", "km"), ("ລາວ", "lo"),
     ("Tiếng Việt", "vi"), ("tieng viet", "vi"), ("Bahasa Indonesia", "id"), ("bahasa indonesia!", "id")],
)
def test_a_language_name_alone_chooses_it(text, language):
    assert named_language(text) == language


def test_a_sentence_mentioning_a_language_does_not_choose_it():
    assert named_language("I speak english a little") is None


ZAWGYI_SENTENCE = "အလုပ္ရွင္က ပတ္စပို႔ သိမ္းထားတယ္"
UNICODE_SENTENCE = "အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားတယ်"


def test_zawgyi_is_converted_to_unicode():
    assert normalise(ZAWGYI_SENTENCE) == UNICODE_SENTENCE


def test_unicode_burmese_is_left_alone():
    assert normalise(UNICODE_SENTENCE) == UNICODE_SENTENCE


def test_a_message_mixing_zawgyi_and_unicode_is_converted_where_needed():
    assert normalise(f"{ZAWGYI_SENTENCE} {UNICODE_SENTENCE}") == f"{UNICODE_SENTENCE} {UNICODE_SENTENCE}"


def test_zawgyi_burmese_is_detected_as_burmese():
    assert detect(normalise(ZAWGYI_SENTENCE)) == "my"


@pytest.mark.parametrize("text", ["مرحبا كيف حالك", "你好，我需要帮助", "Привет помогите", "नमस्ते मदद"])
def test_scripts_of_unsupported_languages_are_recognised(text):
    assert unsupported_script(text)


@pytest.mark.parametrize("text", ["hello", "ช่วยด้วย", "🙂🙂", "12345", "ok 你", UNICODE_SENTENCE])
def test_supported_scripts_emoji_and_numbers_are_not_unsupported(text):
    assert not unsupported_script(text)
