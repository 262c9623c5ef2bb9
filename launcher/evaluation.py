"""`./saphan eval nlu`, `./saphan eval triage` and `./saphan triage`, against a running bot.

The model is trained on `nlu/<lang>/` only, so the current model is the training-split model;
the held-out examples in `tests/nlu/<lang>/` are normalised as the app does, then parsed by the
running bot through its HTTP API. Triage runs the vignettes in `tests/triage/vignettes/` (or the
cases given) through the same classifier, cues and engine as the live bot. Reports are Markdown.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from myanmar.converter import convert as convert_myanmar

from core.botclient import BotClient
from core.directory import Directory
from core.language import detect, normalise
from core.nlu_data import HELD_OUT_DIR, load_examples
from core.nlu_metrics import SAFETY_CRITICAL, TARGET_CRITICAL_RECALL, TARGET_MACRO_F1, Scores, score
from core.settings import LANGUAGES, Settings
from triage import catalogue, cues
from triage.cases import CaseError, Triager, error_line, parse_case
from triage.scoring import LanguageScores, load_vignettes
from triage.scoring import report as triage_report


def _client(settings: Settings) -> BotClient:
    return BotClient(settings.resolved_bot_urls(), 60, settings.bot_api_token.get_secret_value())


async def _classify(settings: Settings, texts: list[str]) -> list[str]:
    """The bot's intent for each text (`nlu_fallback` when it is unsure), eight at a time."""
    client = _client(settings)
    limit = asyncio.Semaphore(8)

    async def intent(text: str) -> str:
        async with limit:
            return (await client.parse(normalise(text))).intent

    try:
        return await asyncio.gather(*(intent(text) for text in texts))
    finally:
        await client.aclose()


def evaluate_nlu(settings: Settings) -> dict[str, Scores]:
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


def _triager(client: BotClient) -> Triager:
    return Triager(client.parse, catalogue.load(), cues.load_all(), Directory.load())


def evaluate_triage(settings: Settings) -> dict[str, LanguageScores]:
    """Triage every vignette with the running bot and score it per language."""

    async def run() -> dict[str, LanguageScores]:
        client = _client(settings)
        triager = _triager(client)
        scores = {language: LanguageScores() for language in LANGUAGES}
        try:
            for vignette in load_vignettes():
                scores[vignette.language].add(vignette, await triager.assess(parse_case(vignette.line)))
        finally:
            await client.aclose()
        return {language: s for language, s in scores.items() if s.cases}

    return asyncio.run(run())


def triage_lines(settings: Settings, source: TextIO, out: TextIO, err: TextIO) -> int:
    """Triage each JSON line of `source` into a JSON line on `out`; return how many failed.

    A bad line gives an error line (with its id when it has one) on `out` and a message on
    `err`; the other lines are still triaged.
    """

    async def run() -> int:
        client = _client(settings)
        triager = _triager(client)
        failed = 0
        try:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    result = await triager.result(parse_case(line))
                except CaseError as error:
                    failed += 1
                    result = error_line(error.case_id, str(error))
                    print(f"saphan: line {number}: {error}", file=err, flush=True)
                print(json.dumps(result, ensure_ascii=False), file=out, flush=True)
        finally:
            await client.aclose()
        return failed

    return asyncio.run(run())


def language_detection() -> dict[str, tuple[int, int, int]]:
    """Per language: held-out examples detected correctly, left undecided, and detected wrongly.

    Undecided keeps the conversation's language, which is right when the person has written
    in it before; wrong switches the conversation to another language.
    """
    counts = {}
    for language in LANGUAGES:
        texts = [t for items in load_examples(HELD_OUT_DIR, language).values() for t in items]
        found = [detect(normalise(text)) for text in texts]
        counts[language] = (
            found.count(language),
            found.count(None),
            sum(1 for f in found if f not in (language, None)),
        )
    return counts


def report_triage(results: dict[str, LanguageScores], model: Path) -> str:
    """The triage results as a Markdown report."""
    return triage_report(results, model.name, catalogue.load().version)


def report_nlu(results: dict[str, Scores], model: Path) -> str:
    """The NLU results as a Markdown report."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# NLU evaluation on the held-out sets",
        "",
        f"Model `{model.name}`, {when}. Targets per language: macro-F1 ≥ {TARGET_MACRO_F1}, "
        f"recall ≥ {TARGET_CRITICAL_RECALL} for {', '.join(SAFETY_CRITICAL)}.",
        "",
        "| language | examples | accuracy | macro-F1 | "
        + " | ".join(f"recall {i}" for i in SAFETY_CRITICAL)
        + " | targets |",
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


REPORTS = {"nlu": report_nlu, "triage": report_triage}
