"""Scores for `./saphan eval triage`: triage results against labelled vignettes, per language."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import ROOT
from triage.engine import Assessment

VIGNETTES_DIR = ROOT / "tests" / "triage" / "vignettes"
TARGETS = {"urgent_recall": 1.0, "urgent_precision": 0.85, "risk_accuracy": 0.80, "family_f1": 0.75}
CAUGHT_BY = ("intent only", "phrase only", "both", "child rule only", "missed")


def _caught_by(via: set[str]) -> str:
    """Which of `CAUGHT_BY` raised an urgent case, from the sources of its urgent reasons."""
    if {"intent", "phrase"} <= via:
        return "both"
    for source, name in (("intent", "intent only"), ("phrase", "phrase only"), ("child", "child rule only")):
        if source in via:
            return name
    return "missed"


@dataclass(frozen=True)
class Vignette:
    """A labelled case: its input line and the expected triage."""

    line: str
    id: str
    language: str
    risk: str
    child: bool
    families: frozenset[str]


def load_vignettes(directory: Path = VIGNETTES_DIR) -> list[Vignette]:
    """Every vignette of every language file."""
    found = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                expected = raw.pop("expected")
                found.append(
                    Vignette(json.dumps(raw, ensure_ascii=False), raw["id"], raw["lang"], expected["risk"],
                             bool(expected["child"]), frozenset(expected["families"]))  # fmt: skip
                )
    return found


@dataclass
class LanguageScores:
    """Counts for one language, turned into the four target figures."""

    cases: int = 0
    risk_correct: int = 0
    urgent_true_positive: int = 0
    urgent_expected: int = 0
    urgent_predicted: int = 0
    family_true_positive: int = 0
    family_expected: int = 0
    family_predicted: int = 0
    urgent_by: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAUGHT_BY, 0))
    misses: list[str] = field(default_factory=list)

    def add(self, vignette: Vignette, assessment: Assessment) -> None:
        """Count one vignette's result."""
        self.cases += 1
        self.risk_correct += assessment.risk == vignette.risk
        expected_urgent, predicted_urgent = vignette.risk == "urgent", assessment.urgent
        self.urgent_expected += expected_urgent
        self.urgent_predicted += predicted_urgent
        self.urgent_true_positive += expected_urgent and predicted_urgent
        families = set(assessment.families)
        self.family_true_positive += len(families & vignette.families)
        self.family_expected += len(vignette.families)
        self.family_predicted += len(families)
        if expected_urgent:
            self.urgent_by[_caught_by({reason.via for reason in assessment.urgent_reasons})] += 1
        if assessment.risk != vignette.risk or families != vignette.families:
            self.misses.append(
                f"{vignette.id}: risk {assessment.risk} (expected {vignette.risk}); "
                f"families {sorted(families)} (expected {sorted(vignette.families)})"
            )

    def figures(self) -> dict[str, float]:
        """Urgent recall and precision, exact risk accuracy, and family micro-F1."""
        precision = self.family_true_positive / self.family_predicted if self.family_predicted else 1.0
        recall = self.family_true_positive / self.family_expected if self.family_expected else 1.0
        return {
            "urgent_recall": self.urgent_true_positive / self.urgent_expected if self.urgent_expected else 1.0,
            "urgent_precision": self.urgent_true_positive / self.urgent_predicted if self.urgent_predicted else 1.0,
            "risk_accuracy": self.risk_correct / self.cases if self.cases else 0.0,
            "family_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        }

    def meets_targets(self) -> bool:
        """Every figure reaches its target."""
        return all(self.figures()[name] >= target for name, target in TARGETS.items())


def report(scores: dict[str, LanguageScores], model_name: str, catalogue_version: str) -> str:
    """The results as a Markdown report."""
    lines = [
        "# Triage evaluation on Saphan's vignettes",
        "",
        f"Model `{model_name}`, indicator catalogue {catalogue_version}. Targets per language: "
        + ", ".join(f"{name.replace('_', ' ')} ≥ {value}" for name, value in TARGETS.items()) + ".",
        "",
        "| language | cases | urgent recall | urgent precision | risk accuracy | family F1 | targets |",
        "|---|---|---|---|---|---|---|",
    ]
    for language, s in scores.items():
        f = s.figures()
        met = "met" if s.meets_targets() else "**missed**"
        lines.append(
            f"| {language} | {s.cases} | {f['urgent_recall']:.3f} | {f['urgent_precision']:.3f} | "
            f"{f['risk_accuracy']:.3f} | {f['family_f1']:.3f} | {met} |"
        )
    lines += ["", "## What caught the urgent cases", "", "| language | " + " | ".join(CAUGHT_BY) + " |",
              "|---" * (len(CAUGHT_BY) + 1) + "|"]  # fmt: skip
    for language, s in scores.items():
        lines.append(f"| {language} | " + " | ".join(str(s.urgent_by[name]) for name in CAUGHT_BY) + " |")
    for language, s in scores.items():
        if s.misses:
            lines += ["", f"## {language}: cases not matched exactly", ""] + [f"- {miss}" for miss in s.misses]
    return "\n".join(lines) + "\n"
