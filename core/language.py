"""Text normalisation and language detection for what people write.

Normalisation: Burmese typed in the legacy Zawgyi encoding converted to Unicode (chunk by
chunk, each judged with its context, so a message mixing both is handled), Unicode NFC, stray
zero-width characters and control characters removed; nothing else changed. Detection: by script
for Thai, Lao, Khmer and Burmese; by a small lexicon for the Latin-script languages (Vietnamese
diacritics decide at once). A message that names a language ("English", "ภาษาไทย", "မြန်မာ")
chooses that language.
"""

from __future__ import annotations

import re
import unicodedata

from myanmar.converter import convert as convert_myanmar
from myanmartools import ZawgyiDetector

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\ufeff\u2060\u180e"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MYANMAR_CHUNK = re.compile(r"[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff][^\s]*")
_ZAWGYI = ZawgyiDetector()
# Zawgyi probabilities (Google's detector) that decide a conversion. A message's Burmese read as a
# whole, or a chunk read with its neighbours, is Zawgyi above ZAWGYI_SURE; a chunk read alone only
# above ZAWGYI_ALONE, because short Unicode chunks often score high ("ငါ့အမေဆီ" scores 0.998); a
# chunk below UNICODE_SURE is kept as typed even in a Zawgyi message. Measured on the Burmese
# examples and their Zawgyi forms (tests/core/test_zawgyi_examples.py).
ZAWGYI_SURE = 0.95
ZAWGYI_ALONE = 0.999
UNICODE_SURE = 0.05
# A message tells which encoding a phone types only with this many Burmese characters: of the
# Burmese examples that long, 2 in 4,091 Unicode ones read as Zawgyi (10 with no minimum).
ENCODING_EVIDENCE_LENGTH = 15

_SCRIPTS = {
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "lo": re.compile(r"[\u0e80-\u0eff]"),
    "km": re.compile(r"[\u1780-\u17ff\u19e0-\u19ff]"),
    "my": re.compile(r"[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]"),
}
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_VIETNAMESE_MARKS = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĂÂĐÊÔƠƯ]", re.I)
_WORD = re.compile(r"[a-z]+")

# Frequent chat words, written without diacritics for Vietnamese. Chosen to be rare in the
# other two languages; measured by `./saphan eval nlu` on the held-out sets.
_LEXICON = {
    "en": set(
        "i my me the is are am was not dont cant help please pls plz you your what how where "
        "when why want work working job boss money passport they he she we it this that have "
        "has with from and but can need call person hello hi thanks thank sir yes no to a for in of on at "
        "does did get go going home come took take give gave pay paid salary family brother sister mother "
        "father daughter son friend police scared afraid hurt sick room locked beat kill sorry who there "
        "here now today night month months days day them their our us be been will would should could "
        "still anyone someone about all just only really very much more if im ive".split()
    ),
    "vi": set(
        "toi tui em anh chi ban khong ko k bi cua cho duoc dc lam viec tien nha ho chieu cong ty "
        "xin chao cam on giup voi minh nguoi roi chua sao gi dang muon biet o day di ve con chau "
        "co the bao luong chu la va nhung nay thi khi nua het luon ong chong vo thang ngay dem ngu trong "
        "vao len xuong danh giet cuu lua ep tra duoc dau".split()
    ),
    "id": set(
        "saya aku gue gw tidak gak ga nggak yang di ke dan tolong gaji majikan kerja paspor bisa "
        "sudah udah mau apa bagaimana gimana kami kita dia mereka terima kasih selamat pagi halo "
        "minta bantu tolongin agen dong sih banget ini itu ada belum tdk yg sy gmn udh blm krn juga lagi "
        "akan dari untuk buat dengan kalau kalo kenapa pulang uang bos disuruh dipukul kabur takut anak "
        "adik kakak ibu bapak suami istri orang hari tidur makan pergi datang nomor bantuan deh nih aja "
        "engga enggak ndak mas mbak pak kak bang kamu lu bisa harus boleh".split()
    ),
}

_LANGUAGE_NAMES = {
    "en": ("english", "eng", "ภาษาอังกฤษ"),
    "th": ("ภาษาไทย", "ไทย", "thai", "พาสาไท"),
    "my": ("မြန်မာ", "မြန်မာစာ", "ဗမာ", "burmese", "myanmar", "พม่า"),
    "km": ("ខ្មែរ", "ភាសាខ្មែរ", "khmer", "cambodian", "เขมร"),
    "lo": ("ລາວ", "ພາສາລາວ", "lao", "laos", "ลาว"),
    "vi": ("tiếng việt", "tieng viet", "vietnamese", "việt", "viet", "เวียดนาม"),
    "id": ("bahasa indonesia", "indonesia", "indonesian", "bahasa", "อินโดนีเซีย"),
}
_NAME_TO_LANGUAGE = {name: lang for lang, names in _LANGUAGE_NAMES.items() for name in names}


def burmese_encoding(text: str) -> str | None:
    """"zawgyi" or "unicode" when the Burmese in `text`, read as a whole, is clearly one of them
    and long enough to tell; None otherwise (a word or two can often be read either way)."""
    words = _MYANMAR_CHUNK.findall(text)
    if sum(len(word) for word in words) < ENCODING_EVIDENCE_LENGTH:
        return None
    reading = _ZAWGYI.get_zawgyi_probability(" ".join(words))
    return "zawgyi" if reading > ZAWGYI_SURE else "unicode" if reading < UNICODE_SURE else None


def zawgyi_to_unicode(text: str, zawgyi_phone: bool = False) -> str:
    """Convert the chunks of Burmese text that are Zawgyi-encoded to Unicode.

    One chunk is too short to judge alone, so each is judged with its context: the whole
    message's Burmese when that is clearly Zawgyi (or, on a `zawgyi_phone` whose earlier
    messages were, when it is not clearly Unicode), else the chunk with its two neighbours (a
    message mixing both encodings is converted only where it is Zawgyi).
    """
    chunks = list(_MYANMAR_CHUNK.finditer(text))
    if not chunks:
        return text
    words = [chunk.group() for chunk in chunks]
    reading = _ZAWGYI.get_zawgyi_probability(" ".join(words))
    whole_message_is_zawgyi = reading > ZAWGYI_SURE or (zawgyi_phone and reading >= UNICODE_SURE)
    converted, end = [], 0
    for index, chunk in enumerate(chunks):
        alone = _ZAWGYI.get_zawgyi_probability(chunk.group())
        if whole_message_is_zawgyi:
            is_zawgyi = alone > UNICODE_SURE
        else:
            with_neighbours = _ZAWGYI.get_zawgyi_probability(" ".join(words[max(0, index - 1) : index + 2]))
            is_zawgyi = alone > ZAWGYI_ALONE or (with_neighbours > ZAWGYI_SURE and alone > UNICODE_SURE)
        as_unicode = convert_myanmar(chunk.group(), "zawgyi", "unicode") if is_zawgyi else chunk.group()
        converted += [text[end : chunk.start()], as_unicode]
        end = chunk.end()
    return "".join(converted) + text[end:]


def normalise(text: str, zawgyi_phone: bool = False) -> str:
    """Return `text` as Unicode Burmese where it was Zawgyi, in NFC, without zero-width and
    control characters. `zawgyi_phone`: the conversation's earlier Burmese was Zawgyi."""
    text = _CONTROL.sub("", text.translate(_ZERO_WIDTH))
    return unicodedata.normalize("NFC", zawgyi_to_unicode(text, zawgyi_phone)).strip()


def unsupported_script(text: str) -> bool:
    """True when most letters of `text` are in a script none of Saphan's languages uses."""
    letters = [ch for ch in text if unicodedata.category(ch).startswith("L")]
    supported = sum(1 for ch in letters if _LATIN.match(ch) or any(p.match(ch) for p in _SCRIPTS.values()))
    return len(letters) >= 2 and supported * 2 < len(letters)


def named_language(text: str) -> str | None:
    """The language a message names on its own ("English", "ภาษาไทย"), if it is only that."""
    return _NAME_TO_LANGUAGE.get(text.strip().strip(".!?").casefold())


def detect(text: str) -> str | None:
    """Guess the language of `text`, or None when the message is too short or unclear."""
    counts = {lang: len(pattern.findall(text)) for lang, pattern in _SCRIPTS.items()}
    script, count = max(counts.items(), key=lambda item: item[1])
    latin = len(_LATIN.findall(text))
    if count >= 2 and count >= latin:
        return script
    if not latin:
        return None
    if _VIETNAMESE_MARKS.search(text):
        return "vi"
    words = _WORD.findall(text.casefold())
    scores = {lang: sum(word in lexicon for word in words) for lang, lexicon in _LEXICON.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top >= 1 and top > second else None
