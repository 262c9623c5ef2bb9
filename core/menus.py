"""The menus Saphan offers as quick replies, and the payloads their buttons send.

A payload is Rasa's intent syntax (`/intent{"entity": "value"}`). Only the payloads listed
here are accepted from a button press; anything else a channel receives as a postback is
refused, so a person (or an attacker) cannot inject intents the menus do not offer.
"""

from __future__ import annotations

import json
import re

from core.directory import COUNTRIES
from core.messages import SHARE_LOCATION
from core.settings import LANGUAGES


def language_payload(language: str) -> str:
    """The payload of the language menu's button for `language`."""
    return "/choose_language" + json.dumps({"language": language}, separators=(",", ":"))


def country_payload(country: str) -> str:
    """The payload of the country menu's button for `country`."""
    return "/tell_country" + json.dumps({"country": country}, separators=(",", ":"))


# The details of a family report, each chosen on a button (actions/family.py); never free text.
FAMILY_DETAILS: dict[str, tuple[str, ...]] = {
    "relation": ("parent", "child", "sibling", "partner", "relative", "friend"),
    "last_contact": ("week", "month", "months", "longer"),
    "relative_country": (*COUNTRIES, "unknown"),
}
SKIPPED = "skipped"


def family_payload(detail: str, value: str) -> str:
    """The payload of the button that answers `detail` of a family report with `value`."""
    return "/family_detail" + json.dumps({detail: value}, separators=(",", ":"))


def _family_menu(detail: str) -> tuple[tuple[str, str], ...]:
    """A family report question's buttons: its answers, then Skip."""
    labels = {"relative_country": lambda v: "report.country_unknown" if v == "unknown" else f"country.{v}"}
    label = labels.get(detail, lambda value: f"report.{detail}.{value}")
    buttons = tuple((label(value), family_payload(detail, value)) for value in FAMILY_DETAILS[detail])
    return (*buttons, ("menu.skip", family_payload(detail, SKIPPED)))


# The consents asked about a case with a hotline team; their answers are the app's, never the bot's.
CASE_CONSENTS = ("handover", "transcript", "follow_up", "record")


def consent_payload(kind: str, granted: bool) -> str:
    """The payload of the yes or the no button of the consent question of `kind`."""
    return ("/consent_yes" if granted else "/consent_no") + json.dumps({"kind": kind}, separators=(",", ":"))


def consent_answer(payload: str) -> tuple[str, bool] | None:
    """The kind and the answer a consent button's payload gives, or None for any other payload."""
    for kind in CASE_CONSENTS:
        for granted in (True, False):
            if payload == consent_payload(kind, granted):
                return kind, granted
    return None


# Leaves the queue for a person while waiting for one; the app handles it, never the bot.
BACK_TO_ASSISTANT = "/back_to_assistant"

# Each menu: (label key, payload). A label key "language.name@th" means the key
# `language.name` in the Thai file, whatever the conversation's language.
MENUS: dict[str, tuple[tuple[str, str], ...]] = {
    "language": tuple((f"language.name@{lang}", language_payload(lang)) for lang in LANGUAGES),
    "main": (
        ("menu.talk_to_person", "/ask_human"),
        ("menu.work_abroad", "/ask_legal_migration"),
        ("menu.hotlines", "/ask_hotline"),
        ("menu.share_location", "/share_location"),
        ("menu.language", "/choose_language"),
        ("menu.stop", "/stop"),
    ),
    "country": tuple((f"country.{country}", country_payload(country)) for country in COUNTRIES),
    **{f"family_{detail}": _family_menu(detail) for detail in FAMILY_DETAILS},
    # Equal, neutral choices; nothing is pre-selected (DNH-4, DNH-5).
    "location_consent": (("menu.yes", "/consent_location"), ("menu.no", "/decline_location")),
    "forget_confirm": (("menu.yes", "/confirm_forget"), ("menu.no", "/keep_data")),
    # SHARE_LOCATION asks the person's app for the location; it never reaches the bot.
    "send_location": (("menu.send_location", SHARE_LOCATION), ("menu.cancel", "/decline_location")),
    "answer": (("menu.yes", "/affirm"), ("menu.no", "/deny"), ("menu.skip", "/skip_question"), ("menu.stop", "/stop")),
    "skip": (("menu.skip", "/skip_question"), ("menu.stop", "/stop")),
    # Under the notices of a case that waits for a person: no one has to wait in silence.
    "waiting": (("menu.back_to_assistant", BACK_TO_ASSISTANT),),
    # Equal yes and no for each consent about a case (DNH-4, DNH-5).
    **{
        f"consent_{kind}": (("menu.yes", consent_payload(kind, True)), ("menu.no", consent_payload(kind, False)))
        for kind in CASE_CONSENTS
    },
}

# What a channel's own commands (Telegram's /stop, /language, /forget, /help) send to the bot.
COMMANDS: dict[str, str] = {
    "stop": "/stop",
    "language": "/choose_language",
    "forget": "/forget_me",
    "help": "/help_menu",
}

# The words the first message tells people to type to end the chat (`greeting.safety_check`:
# "STOP" and each language's own word). Typed on their own they act as the STOP button, whatever
# the intent model would make of them (DNH-7). Unaccented "dung" is left out: it is also đúng, "yes".
TYPED_STOP_WORDS = frozenset({"stop", "หยุด", "ရပ်", "ឈប់", "ຢຸດ", "dừng", "berhenti"})
# A typed command is one to three words: "STOP", "หยุด!!", "stop stop".
_COMMAND_WORDS = re.compile(r"[^\s.!?,;:။၊]+")
_MOST_COMMAND_WORDS = 3

ALLOWED_PAYLOADS = frozenset(
    {payload for items in MENUS.values() for _, payload in items if payload != SHARE_LOCATION} | set(COMMANDS.values())
)


def typed_command(text: str) -> str | None:
    """The payload of a STOP typed on its own ("STOP", "หยุด!!", "stop stop"), or None."""
    words = _COMMAND_WORDS.findall(text.casefold())
    if 0 < len(words) <= _MOST_COMMAND_WORDS and all(word in TYPED_STOP_WORDS for word in words):
        return COMMANDS["stop"]
    return None


def chosen_language(payload: str) -> str | None:
    """The language a language-menu payload chooses, or None for any other payload."""
    for lang in LANGUAGES:
        if payload == language_payload(lang):
            return lang
    return None
