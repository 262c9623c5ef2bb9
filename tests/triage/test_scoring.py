"""Scores of `./saphan eval triage`, and the labelled vignettes they are computed on."""

from __future__ import annotations

import json

from core.settings import LANGUAGES
from triage.catalogue import FAMILIES, load
from triage.engine import RISK_LEVELS, Assessment, Evidence, UrgentReason
from triage.scoring import VIGNETTES_DIR, LanguageScores, Vignette, load_vignettes, report


def vignette(risk: str, families: set[str]) -> Vignette:
    return Vignette("{}", "v", "en", risk, False, frozenset(families))


def assessment(risk: str, families: list[str], via: tuple[str, ...] = ()) -> Assessment:
    catalogue = load()
    evidence = tuple(Evidence(catalogue.default(f), 0, "…", "intent") for f in families)
    reasons = tuple(UrgentReason("danger_now", 0, v) for v in via)
    return Assessment(risk, False, reasons, evidence, (), catalogue.version)


def test_every_vignette_is_labelled_with_the_allowed_values():
    vignettes = load_vignettes()
    assert {v.language for v in vignettes} == set(LANGUAGES)
    for path in VIGNETTES_DIR.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            expected = json.loads(line)["expected"]
            assert expected["risk"] in RISK_LEVELS and expected["urgent"] == (expected["risk"] == "urgent")
            assert set(expected["families"]) <= set(FAMILIES)


def test_the_figures_count_urgent_cases_risk_and_families():
    scores = LanguageScores()
    both = assessment("urgent", ["physical_violence"], ("intent", "phrase"))
    scores.add(vignette("urgent", {"physical_violence"}), both)
    scores.add(vignette("urgent", {"restriction_of_movement"}), assessment("high", ["document_retention"]))
    scores.add(vignette("high", {"debt_bondage"}), assessment("urgent", ["debt_bondage"], ("phrase",)))
    figures = scores.figures()
    assert figures["urgent_recall"] == 0.5 and figures["urgent_precision"] == 0.5
    assert round(figures["risk_accuracy"], 3) == 0.333
    assert round(figures["family_f1"], 3) == 0.667
    assert scores.urgent_by["both"] == 1 and scores.urgent_by["missed"] == 1
    assert not scores.meets_targets() and len(scores.misses) == 2


def test_the_report_names_every_language_and_each_case_that_missed():
    scores = LanguageScores()
    scores.add(vignette("medium", {"withheld_wages"}), assessment("none", []))
    text = report({"en": scores}, "model.tar.gz", "test-1")
    assert "| en | 1 |" in text and "**missed**" in text and "v: risk none (expected medium)" in text
