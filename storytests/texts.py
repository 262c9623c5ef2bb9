"""Which locale keys an answer says: the person sees rendered text, the trainer names keys.

An answer is its texts joined by blank lines (list items by a line break, see
`core.locales.Catalog.render`), so it is cut into pieces at those joins, and runs of pieces are
matched against each key's text in the answer's language, its `{parameters}` matching any text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.locales import Catalog

# Texts the assistant never says on their own: page and console labels, parameter values.
_NOT_SAID = ("console.", "webchat.", "country.", "list.", "summary.family.")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_JOINS = re.compile(r"\n\n|\n(?=- )")

Position = tuple[int, int]  # (answer, piece): where in a turn's answers a key was said


class TextKeys:
    """Finds locale keys in rendered answers, for one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._keys = [key for key in catalog.keys() if not key.startswith(_NOT_SAID)]

    def find(self, key: str, texts: list[tuple[str, str]], after: Position | None = None) -> Position | None:
        """Where `key` is said in `texts` (each `(text, language)`), after `after`; None if not."""
        for number, (text, language) in enumerate(texts):
            pieces = _pieces(text)
            pattern = self._pattern(key, language)
            for start in range(len(pieces)):
                if after is not None and (number, start) <= after:
                    continue
                if any(pattern.fullmatch(_join(text, pieces, start, end)) for end in range(start + 1, len(pieces) + 1)):
                    return (number, start)
        return None

    def keys_in(self, text: str, language: str) -> list[str]:
        """The keys an answer says, in order; a piece no key explains is shown as `?`."""
        pieces = _pieces(text)
        found, start = [], 0
        while start < len(pieces):
            match = self._longest(text, pieces, start, language)
            if match is None:
                found.append("?")
                start += 1
            else:
                key, start = match
                found.append(key)
        return found

    def _longest(self, text: str, pieces: list[tuple[int, int]], start: int, language: str):
        for end in range(len(pieces), start, -1):
            part = _join(text, pieces, start, end)
            matches = [key for key in self._keys if self._pattern(key, language).fullmatch(part)]
            if matches:
                return max(matches, key=lambda key: len(_PLACEHOLDER.sub("", self._template(key, language)))), end
        return None

    def _template(self, key: str, language: str) -> str:
        return self._catalog.text(language, key)

    def _pattern(self, key: str, language: str) -> re.Pattern:
        return _compiled(self._template(key, language))


@lru_cache(maxsize=8192)
def _compiled(template: str) -> re.Pattern:
    literal = _PLACEHOLDER.split(template)
    # A parameter's value stays on its line: texts and list items are joined by line breaks.
    return re.compile(
        "(?s)"
        + "[^\n]+?".join(
            re.escape(part.strip()) if i in (0, len(literal) - 1) else re.escape(part) for i, part in enumerate(literal)
        )
    )


def _pieces(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the pieces between joins."""
    bounds, start = [], 0
    for join in _JOINS.finditer(text):
        bounds.append((start, join.start()))
        start = join.end()
    bounds.append((start, len(text)))
    return bounds


def _join(text: str, pieces: list[tuple[int, int]], start: int, end: int) -> str:
    return text[pieces[start][0] : pieces[end - 1][1]].strip()
