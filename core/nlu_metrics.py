"""Intent-classification metrics for the held-out sets: accuracy, macro-F1, recall per intent."""

from __future__ import annotations

from dataclasses import dataclass

SAFETY_CRITICAL = ("danger_now", "self_harm", "ask_human", "stop")
TARGET_MACRO_F1 = 0.90
TARGET_CRITICAL_RECALL = 0.97


@dataclass(frozen=True)
class Scores:
    """How one language's held-out examples were classified."""

    examples: int
    accuracy: float
    macro_f1: float
    recall: dict[str, float]
    confusions: list[tuple[str, str, str]]

    def meets_targets(self) -> bool:
        """Macro-F1 and the safety-critical recalls reach their targets."""
        return self.macro_f1 >= TARGET_MACRO_F1 and all(
            self.recall.get(intent, 0.0) >= TARGET_CRITICAL_RECALL for intent in SAFETY_CRITICAL
        )


def score(pairs: list[tuple[str, str, str]]) -> Scores:
    """Score `(text, expected intent, predicted intent)` triples.

    Macro-F1 averages F1 over the expected intents; a prediction of any other label (such as
    `nlu_fallback`) counts against the expected intent's recall only.
    """
    intents = sorted({expected for _, expected, _ in pairs})
    recall, f1s = {}, []
    for intent in intents:
        true_positive = sum(1 for _, e, p in pairs if e == intent and p == intent)
        expected = sum(1 for _, e, _ in pairs if e == intent)
        predicted = sum(1 for _, _, p in pairs if p == intent)
        recall[intent] = true_positive / expected
        precision = true_positive / predicted if predicted else 0.0
        total = precision + recall[intent]
        f1s.append(2 * precision * recall[intent] / total if total else 0.0)
    correct = sum(1 for _, e, p in pairs if e == p)
    return Scores(
        examples=len(pairs),
        accuracy=correct / len(pairs),
        macro_f1=sum(f1s) / len(f1s),
        recall=recall,
        confusions=[pair for pair in pairs if pair[1] != pair[2]],
    )
