"""`./saphan eval nlu`: classify every held-out example with the real bot and report per language.

The model is trained on `nlu/<lang>/` only, so the current model is the training-split model;
the held-out examples in `tests/nlu/<lang>/` are normalised as the app does, then parsed by a
running bot process through its HTTP API. The report is Markdown.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import httpx
from myanmar.converter import convert as convert_myanmar

from core.language import detect, normalise
from core.nlu_data import HELD_OUT_DIR, load_examples
from core.nlu_metrics import SAFETY_CRITICAL, TARGET_CRITICAL_RECALL, TARGET_MACRO_F1, Scores, score
from core.settings import LANGUAGES, Settings


async def _classify(settings: Settings, texts: list[str]) -> list[str]:
    token = settings.bot_api_token.get_secret_value()
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=settings.resolved_bot_url(), timeout=60) as client:

        async def parse(text: str) -> str:
            async with limit:
                response = await client.post("/model/parse", params={"token": token}, json={"text": normalise(text)})
                response.raise_for_status()
                return response.json()["intent"]["name"]

        return await asyncio.gather(*(parse(text) for text in texts))


def evaluate(settings: Settings) -> dict[str, Scores]:
    """Score every language's held-out set against the running bot.

    Burmese is scored twice: as written (Unicode) and re-encoded in Zawgyi, as many Burmese
    phones type it, to show that the app's conversion makes both understood alike.
    """
    results = {}
    for language in LANGUAGES:
        cases = [(text, intent) for intent, texts in load_examples(HELD_OUT_DIR, language).items() for text in texts]
        variants = {language: cases}
        if language == "my":
            variants["my (Zawgyi)"] = [(convert_myanmar(text, "unicode", "zawgyi"), i) for text, i in cases]
        for name, variant in variants.items():
            predicted = asyncio.run(_classify(settings, [text for text, _ in variant]))
            results[name] = score([(text, intent, p) for (text, intent), p in zip(variant, predicted)])
    return results


def language_detection() -> dict[str, tuple[int, int, int]]:
    """Per language: held-out examples detected correctly, left undecided, and detected wrongly.

    Undecided keeps the conversation's language, which is right when the person has written
    in it before; wrong switches the conversation to another language.
    """
    counts = {}
    for language in LANGUAGES:
        texts = [t for items in load_examples(HELD_OUT_DIR, language).values() for t in items]
        found = [detect(normalise(text)) for text in texts]
        counts[language] = (found.count(language), found.count(None), sum(1 for f in found if f not in (language, None)))
    return counts


def report(results: dict[str, Scores], model: Path) -> str:
    """The results as a Markdown report."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# NLU evaluation on the held-out sets",
        "",
        f"Model `{model.name}`, {when}. Targets per language: macro-F1 ≥ {TARGET_MACRO_F1}, "
        f"recall ≥ {TARGET_CRITICAL_RECALL} for {', '.join(SAFETY_CRITICAL)}.",
        "",
        "| language | examples | accuracy | macro-F1 | " + " | ".join(f"recall {i}" for i in SAFETY_CRITICAL) + " | targets |",
        "|---" * (5 + len(SAFETY_CRITICAL)) + "|",
    ]
    for language, s in results.items():
        recalls = " | ".join(f"{s.recall[i]:.3f}" for i in SAFETY_CRITICAL)
        met = "met" if s.meets_targets() else "**missed**"
        lines.append(f"| {language} | {s.examples} | {s.accuracy:.3f} | {s.macro_f1:.3f} | {recalls} | {met} |")
    lines += ["", "## Language detection (same held-out texts)", "",
              "| language | correct | undecided (keeps language) | wrong |", "|---|---|---|---|"]  # fmt: skip
    for language, (right, undecided, wrong) in language_detection().items():
        total = right + undecided + wrong
        lines.append(f"| {language} | {right / total:.3f} | {undecided / total:.3f} | {wrong / total:.3f} |")
    for language, s in results.items():
        lines += ["", f"## {language}", "", "| intent | recall |", "|---|---|"]
        lines += [f"| {intent} | {value:.3f} |" for intent, value in sorted(s.recall.items())]
        if s.confusions:
            lines += ["", "Misclassified:", "", "| text | expected | predicted |", "|---|---|---|"]
            lines += [f"| {t.replace('|', '/')} | {e} | {p} |" for t, e, p in s.confusions]
    return "\n".join(lines) + "\n"
