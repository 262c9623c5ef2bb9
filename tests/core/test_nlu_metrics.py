"""Metrics for the held-out NLU sets (core/nlu_metrics.py), checked by hand-computed cases."""

import pytest

from core.nlu_metrics import score


def test_perfect_classification():
    scores = score([("a", "stop", "stop"), ("b", "greet", "greet")])
    assert scores.accuracy == 1 and scores.macro_f1 == 1 and scores.confusions == []


def test_one_miss_lowers_recall_precision_and_f1():
    pairs = [("a", "stop", "stop"), ("b", "stop", "greet"), ("c", "greet", "greet"), ("d", "greet", "greet")]
    scores = score(pairs)
    assert scores.recall == {"stop": 0.5, "greet": 1.0}
    # stop: P=1, R=.5, F1=2/3; greet: P=2/3, R=1, F1=.8
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert scores.accuracy == 0.75 and scores.confusions == [("b", "stop", "greet")]


def test_fallback_counts_as_a_miss():
    scores = score([("a", "danger_now", "nlu_fallback"), ("b", "danger_now", "danger_now")])
    assert scores.recall["danger_now"] == 0.5 and not scores.meets_targets()
