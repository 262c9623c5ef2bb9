"""Triage cues: the per-language phrases and age patterns in `data/cues/<lang>.yml`.

A cue is a short, specific phrase that signals danger now, self-harm, a medical need or one
triage family. Cues work beside the intent classifier: the safety net catches an urgent
message the classifier misreads, and family cues find a second indicator in one message.
Matching is on the app's normalised text, case-insensitive, with Latin diacritics removed on
both sides; Latin-script phrases match whole words, the other scripts match anywhere.

This module needs only PyYAML, so the bot process (Python 3.10) uses it too: its safety-net
component (`nlu/safety_net.py`) applies the same cues before the bot picks an answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

CUES_DIR = Path(__file__).resolve().parent.parent / "data" / "cues"
SAFETY_NET = ("danger_now", "self_harm", "medical_need")
# Words that say the person has already got out; they keep a past confinement from counting as
# danger now (triage.engine), and never lower anything else.
OUT_OF_DANGER = "out_of_danger"
_NATIVE_DIGITS = {
    ord(native): str(value)
    for start in ("\u0e50", "\u0ed0", "\u17e0", "\u1040")  # Thai, Lao, Khmer, Burmese zero
    for value, native in enumerate(chr(ord(start) + i) for i in range(10))
}
_LATIN_EDGE = re.compile(r"[a-z0-9]")


class InvalidCues(ValueError):
    """A cue file breaks its schema; the message names the file and the key."""


def fold_latin(text: str) -> str:
    """Lower-case `text` and drop the diacritics of Latin letters (đ becomes d).

    Marks on other scripts (Thai vowels, Burmese medials, Khmer signs) are letters of those
    scripts, so they stay. The intent classifier folds its features the same way.
    """
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text.lower().replace("đ", "d")):
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def fold(text: str) -> str:
    """`fold_latin`, with Thai, Lao, Khmer and Burmese digits turned into ASCII digits."""
    return fold_latin(text.translate(_NATIVE_DIGITS))


@dataclass(frozen=True)
class CueMatch:
    """One cue found in a message: what it signals and the words that matched."""

    signal: str
    words: str


def phrase_pattern(phrase: str) -> re.Pattern:
    """`phrase` as it is matched in folded text: Latin phrases as whole words, others anywhere."""
    folded = fold(phrase.strip())
    start = r"(?<![a-z0-9])" if _LATIN_EDGE.match(folded[:1]) else ""
    end = r"(?![a-z0-9])" if _LATIN_EDGE.match(folded[-1:]) else ""
    return re.compile(start + re.escape(folded) + end)


class LanguageCues:
    """The compiled cues of one language."""

    def __init__(self, language: str, version: str, phrases: dict[str, list[str]], ages: list[str]) -> None:
        self.language = language
        self.version = version
        self._patterns = {signal: [phrase_pattern(p) for p in items if p.strip()] for signal, items in phrases.items()}
        self._ages = [re.compile(pattern, re.IGNORECASE) for pattern in ages]

    def find(self, text: str) -> list[CueMatch]:
        """Every signal whose cue occurs in `text`, once each, with the first words that matched."""
        folded = fold(text)
        found = []
        for signal, patterns in self._patterns.items():
            for pattern in patterns:
                match = pattern.search(folded)
                if match:
                    # Folding keeps the length of NFC text, so the person's own words can be cited.
                    words = text[match.start() : match.end()] if len(folded) == len(text) else match.group()
                    found.append(CueMatch(signal, words))
                    break
        return found

    def ages(self, text: str) -> list[int]:
        """The ages that `text` states, as numbers."""
        folded = fold(text)
        return [int(m.group("age")) for pattern in self._ages for m in pattern.finditer(folded)]


def load_language(path: Path) -> LanguageCues:
    """Read and validate one cue file.

    Raises:
        InvalidCues: a key is missing, a list is empty or an age pattern lacks its `age` group.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("version", "language", "source", "families", "age_patterns", *SAFETY_NET):
        if not raw.get(key):
            raise InvalidCues(f"{path.name}: missing or empty '{key}'")
    phrases = {family: list(items or []) for family, items in raw["families"].items()}
    for signal in SAFETY_NET:  # a family list of the same name (medical_need) adds to it
        phrases[signal] = list(raw[signal]) + phrases.get(signal, [])
    phrases[OUT_OF_DANGER] = list(raw.get(OUT_OF_DANGER) or [])
    for pattern in raw["age_patterns"]:
        if "age" not in re.compile(pattern).groupindex:
            raise InvalidCues(f"{path.name}: age pattern {pattern!r} has no (?P<age>...) group")
    return LanguageCues(raw["language"], str(raw["version"]), phrases, list(raw["age_patterns"]))


def load_all(directory: Path = CUES_DIR) -> dict[str, LanguageCues]:
    """The cues of every language that has a cue file, by language code."""
    found = (load_language(path) for path in sorted(directory.glob("*.yml")))
    return {cues.language: cues for cues in found}


def safety_net_signals(all_cues: Iterable[LanguageCues], text: str) -> list[str]:
    """The safety-net signals whose cues (in any language) occur in `text`, most urgent first."""
    found = {match.signal for cues in all_cues for match in cues.find(text) if match.signal in SAFETY_NET}
    return [signal for signal in SAFETY_NET if signal in found]
