"""Zawgyi conversion measured on every Burmese example: Unicode is kept, Zawgyi is recovered.

Each example is re-encoded in Zawgyi (as many Burmese phones type) and normalised back. The
converter itself does not round-trip about one example in eighteen, so the bar for recovery is
set a little below what it allows; the bar for Unicode is that almost nothing is touched.
"""

import random
import unicodedata

from myanmar.converter import convert

from core.language import _MYANMAR_CHUNK, burmese_encoding, normalise
from core.nlu_data import HELD_OUT_DIR, TRAINING_DIR, load_examples

EXAMPLES = sorted(
    {text for root in (TRAINING_DIR, HELD_OUT_DIR) for texts in load_examples(root, "my").values() for text in texts}
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def zawgyi(text: str) -> str:
    return convert(text, "unicode", "zawgyi")


def test_unicode_examples_are_almost_never_altered():
    altered = [text for text in EXAMPLES if normalise(text) != nfc(text)]
    assert len(altered) <= len(EXAMPLES) // 1000, altered


def test_zawgyi_examples_are_recovered_as_far_as_the_converter_allows():
    round_trip = sum(nfc(convert(zawgyi(text), "zawgyi", "unicode")) == nfc(text) for text in EXAMPLES)
    recovered = sum(normalise(zawgyi(text)) == nfc(text) for text in EXAMPLES)
    assert recovered >= 0.95 * round_trip, (recovered, round_trip, len(EXAMPLES))


def test_messages_mixing_both_encodings_are_mostly_recovered():
    pick = random.Random(7)
    pairs = [(pick.choice(EXAMPLES), pick.choice(EXAMPLES)) for _ in range(300)]
    round_trip = sum(nfc(convert(zawgyi(b), "zawgyi", "unicode")) == nfc(b) for _, b in pairs)
    recovered = sum(normalise(f"{a} {zawgyi(b)}") == nfc(f"{a} {b}") for a, b in pairs)
    assert recovered >= 0.8 * round_trip, (recovered, round_trip)


def test_a_short_zawgyi_word_is_converted_in_a_zawgyi_message():
    assert normalise("ရပ္ပါ အလုပ္ရွင္ လာေနၿပီ") == "ရပ်ပါ အလုပ်ရှင် လာနေပြီ"


def test_short_zawgyi_messages_are_recovered_on_a_phone_known_to_type_zawgyi():
    round_trip = [text for text in EXAMPLES if nfc(convert(zawgyi(text), "zawgyi", "unicode")) == nfc(text)]
    short = [text for text in round_trip if sum(map(len, _MYANMAR_CHUNK.findall(text))) < 15]
    alone = sum(normalise(zawgyi(text)) == nfc(text) for text in short)
    on_a_zawgyi_phone = sum(normalise(zawgyi(text), zawgyi_phone=True) == nfc(text) for text in short)
    assert on_a_zawgyi_phone >= 0.96 * len(short) and on_a_zawgyi_phone > alone, (on_a_zawgyi_phone, alone, len(short))


def test_only_a_long_enough_message_tells_the_encoding():
    assert burmese_encoding("ဟုတ္ကဲ့") is None and burmese_encoding("ငါ့အမေဆီ") is None
    assert burmese_encoding("အလုပ္ရွင္က ပတ္စပို႔ သိမ္းထားတယ္") == "zawgyi"
    assert burmese_encoding("အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားတယ်") == "unicode"
    assert burmese_encoding("hello") is None
