"""Every user-facing text, loaded from `locales/<lang>.yml` and rendered by key.

All seven files have the same keys (a test checks it). Rendering falls back to English for
a key missing in one language, and logs the key, never the text.
"""

from __future__ import annotations

import logging
from pathlib import Path
from string import Formatter

import yaml

from core.menus import MENUS
from core.messages import Outbound, QuickReply, Rendered
from core.settings import LANGUAGES, ROOT

logger = logging.getLogger(__name__)
LOCALES_DIR = ROOT / "locales"


class UnknownTextKey(KeyError):
    """A locale key that exists in no language file."""


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def load_file(path: Path) -> dict[str, str]:
    """Read one locale file into a flat `{dotted.key: text}` mapping."""
    return _flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def placeholders(text: str) -> set[str]:
    """The `{names}` a text expects."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


class Catalog:
    """All texts in all languages."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> "Catalog":
        """Load every language's file from `directory`."""
        return cls({lang: load_file(directory / f"{lang}.yml") for lang in LANGUAGES})

    def text(self, language: str, key: str, params: dict[str, str] | None = None) -> str:
        """Render `key` in `language` with its parameters.

        Raises:
            UnknownTextKey: the key is in no language file.
        """
        if "@" in key:
            key, language = key.split("@", 1)
        template = self._texts.get(language, {}).get(key)
        if template is None:
            template = self._texts["en"].get(key)
            if template is None:
                raise UnknownTextKey(key)
            logger.warning("locale key missing, using English", extra={"key": key, "language": language})
        values = {name: self._value(language, value) for name, value in (params or {}).items()}
        return template.format_map(_Defaulting(values))

    def _value(self, language: str, value: str) -> str:
        """A parameter's value: as given, or (starting with `@`) the texts of one or more keys,
        `"@key"` or `"@key1 @key2"`, the latter joined with the language's list separator."""
        if not value.startswith("@"):
            return value
        texts = [self.text(language, key) for key in value[1:].split(" @")]
        return self.text(language, "list.separator").join(texts) if len(texts) > 1 else texts[0]

    def keys(self) -> list[str]:
        """Every text key (those of the English file, which has them all)."""
        return list(self._texts["en"])

    def strings(self, language: str, prefix: str) -> dict[str, str]:
        """All texts under `prefix.` in `language`, keyed by the rest of the key."""
        return {
            key[len(prefix) + 1 :]: self.text(language, key)
            for key in self._texts["en"]
            if key.startswith(prefix + ".")
        }

    def render(self, outbound: Outbound, language: str) -> Rendered:
        """Render an `Outbound` in `language`: its texts joined by blank lines (a text that starts
        with "- " is a list item, on the line after the one before it), and its menu."""
        text = ""
        for part in outbound.say:
            said = self.text(language, part.key, dict(part.params))
            text += ("\n" if said.startswith("- ") else "\n\n") + said if text else said
        replies = tuple(
            QuickReply(label=self.text(language, label), payload=payload)
            for label, payload in MENUS.get(outbound.menu or "", ())
        )
        return Rendered(text=text, quick_replies=replies)


class _Defaulting(dict):
    """Leaves an unknown `{placeholder}` visible instead of failing the whole message."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
