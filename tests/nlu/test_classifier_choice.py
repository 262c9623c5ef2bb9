"""The classifier prefers danger, self-harm and a request for a person when they come close to
the top intent, and STOP when it comes close to a goodbye, a request to be forgotten or a
withdrawal of consent; never over STOP or a report about a relative. A pairwise SVM's choice
leads the ranking. (Run in the bot's Python, where the classifier lives.)"""

import json
import os
import subprocess

import pytest

from core.settings import ROOT
from launcher.envsetup import bot_python

RANKINGS = {
    "close danger wins": [("disclose_bad_conditions", 0.30), ("danger_now", 0.19), ("thanks", 0.1)],
    "far danger does not": [("disclose_bad_conditions", 0.30), ("danger_now", 0.17), ("thanks", 0.1)],
    "close self-harm wins": [("medical_need", 0.37), ("thanks", 0.2), ("self_harm", 0.23)],
    "a person, close": [("ask_hotline", 0.25), ("ask_human", 0.16)],
    "stop is never preferred": [("disclose_sexual_violence", 0.40), ("stop", 0.39)],
    "urgent top stays": [("danger_now", 0.4), ("ask_human", 0.39)],
    "stop on top stays": [("stop", 0.3), ("danger_now", 0.29)],
    "a report about a relative on top stays": [("report_relative", 0.36), ("danger_now", 0.3)],
    "stop close to a goodbye wins": [("goodbye", 0.5), ("thanks", 0.2), ("stop", 0.16)],
    "stop far from a goodbye does not": [("goodbye", 0.5), ("stop", 0.14)],
    "stop close to forget-me wins": [("forget_me", 0.4), ("stop", 0.2)],
    "stop close to a withdrawal wins": [("withdraw_consent", 0.5), ("stop", 0.2)],
    "stop far from a withdrawal does not": [("withdraw_consent", 0.5), ("stop", 0.1)],
    "stop close to a denial does not": [("deny", 0.5), ("stop", 0.4)],
    "danger before stop over a goodbye": [("goodbye", 0.5), ("danger_now", 0.31), ("stop", 0.4)],
}


@pytest.fixture(scope="module")
def chosen() -> dict[str, dict]:
    probe = (
        "import json, sys; from nlu.classifier import NgramIntentClassifier as C, choose; "
        "c = C.get_default_config(); r = json.loads(sys.stdin.read()); "
        "print(json.dumps({k: choose([{'name': n, 'confidence': p} for n, p in v], c['preferences'], "
        "c['kept_when_top']) for k, v in r.items()}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [str(bot_python()), "-c", probe],
        input=json.dumps(RANKINGS),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("case", "intent", "confidence"),
    [
        ("close danger wins", "danger_now", 0.30),
        ("far danger does not", "disclose_bad_conditions", 0.30),
        ("close self-harm wins", "self_harm", 0.37),
        ("a person, close", "ask_human", 0.25),
        ("stop is never preferred", "disclose_sexual_violence", 0.40),
        ("urgent top stays", "danger_now", 0.4),
        ("stop on top stays", "stop", 0.3),
        ("a report about a relative on top stays", "report_relative", 0.36),
        ("stop close to a goodbye wins", "stop", 0.5),
        ("stop far from a goodbye does not", "goodbye", 0.5),
        ("stop close to forget-me wins", "stop", 0.4),
        ("stop close to a withdrawal wins", "stop", 0.5),
        ("stop far from a withdrawal does not", "withdraw_consent", 0.5),
        ("stop close to a denial does not", "deny", 0.5),
        ("danger before stop over a goodbye", "danger_now", 0.5),
    ],
)
def test_the_intent_acted_on(chosen, case, intent, confidence):
    assert chosen[case] == {"name": intent, "confidence": confidence}


def test_the_pairwise_choice_leads_the_ranking_with_the_top_confidence():
    probe = (
        "import json; from nlu.classifier import lead_with; "
        "ranking = [{'name': 'goodbye', 'confidence': 0.5}, {'name': 'stop', 'confidence': 0.3}]; "
        "print(json.dumps(lead_with(ranking, 'stop')))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([str(bot_python()), "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        {"name": "stop", "confidence": 0.5},
        {"name": "goodbye", "confidence": 0.5},
    ]
