"""Reading story files: every mistake names its file and line, and the good stories still run."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.locales import Catalog
from storytests.coverage import BotDesign
from storytests.format import Step, find_files, read_file
from storytests.suite import STORIES_DIR, load

GOOD = """\
stories:
  - story: a greeting
    steps:
      - response: greeting.safety_check
      - user: hello
        intent: greet
      - button: English
      - location: [13.75, 100.5]
      - language: km
      - triage: {risk: low, families: []}
      - handoff: {urgent: true, team: th-1300}
      - kept: {case: false, consents: [location]}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_story_is_read_with_its_steps_lines_and_the_folders_language(tmp_path):
    folder = tmp_path / "km"
    folder.mkdir()
    (found,) = find_files([folder]) if write(folder, "a.yml", GOOD) else []
    read = read_file(*found)
    assert read.errors == []
    (story,) = read.stories
    assert (story.name, story.language, story.line, story.channel) == ("a greeting", "km", 2, "webchat")
    assert story.steps[:3] == (
        Step("response", "greeting.safety_check", 4),
        Step("user", "hello", 5),
        Step("intent", "greet", 5),
    )
    assert [step.kind for step in story.steps if step.by_person] == ["user", "button", "location"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("stories:\n  - story: x\n    steps:\n      - user: [unclosed\n", 5, "not valid YAML"),
        ("- just a list\n", 1, "a list under `stories:`"),
        ("stories:\n  - steps: []\n", 2, "starts with `story:`"),
        ("stories:\n  - story: x\n    langauge: th\n    steps: [{user: hi}]\n", 2, "unknown key 'langauge'"),
        ("stories:\n  - story: x\n    language: fr\n    steps: [{user: hi}]\n", 2, "language must be one of"),
        ("stories:\n  - story: x\n    channel: sms\n    steps: [{user: hi}]\n", 2, "channel must be one of"),
        ("stories:\n  - story: x\n    channel: [line]\n    steps: [{user: hi}]\n", 2, "channel must be one of"),
        (
            "stories:\n  - story: x\n    steps:\n      - response: greeting.intro\n",
            2,
            "at least one step by the person",
        ),
        ("stories:\n  - story: x\n    steps:\n      - user: hi\n      - usr: hi\n", 5, "unknown step 'usr'"),
        ("stories:\n  - story: x\n    steps:\n      - user: hi\n        text: hi\n", 4, "a step has one key"),
        ("stories:\n  - story: x\n    steps:\n      - location: [200, 5]\n", 4, "[latitude, longitude]"),
        ("stories:\n  - story: x\n    steps:\n      - user: hi\n      - consent_asked: photos\n", 5, "consent_asked"),
        ("stories:\n  - story: x\n    steps:\n      - user: hi\n      - triage: {risk: 3}\n", 5, "risk must be a text"),
        (
            "stories:\n  - story: x\n    steps:\n      - user: hi\n      - handoff: maybe\n",
            5,
            "one of opened, urgent, none",
        ),
        (
            "stories:\n  - story: x\n    steps:\n      - user: hi\n      - kept: {photos: true}\n",
            5,
            "unknown key 'photos'",
        ),
        ("stories:\n  - story: x\n    steps:\n      - user: ''\n", 4, "non-empty text"),
        ("stories:\n  - story: x\n    steps:\n      - user: hi\n      - language: fr\n", 5, "language: one of"),
    ],
)
def test_each_mistake_is_reported_with_its_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, "bad.yml", text)
    read = read_file(path, "en")
    assert read.stories == []
    (error,) = read.errors
    assert error.line == line and message in error.message
    assert str(error).startswith(f"{path}:{line}: ")


def test_a_bad_story_does_not_stop_the_good_ones_in_the_same_file_or_others(tmp_path):
    tmp_path = tmp_path / "en"
    tmp_path.mkdir()
    mixed = GOOD + "  - story: broken\n    steps:\n      - shout: hi\n"
    write(tmp_path, "a.yml", mixed)
    write(tmp_path, "b.yml", "stories: [\n")
    write(tmp_path, "c.yml", GOOD.replace("a greeting", "another greeting"))
    stories, errors = load([tmp_path], Catalog.load(), BotDesign.load())
    assert sorted(story.name for story in stories) == ["a greeting", "another greeting"]
    assert sorted((error.path.name, error.line) for error in errors) == [("a.yml", 15), ("b.yml", 2)]


def test_names_the_bot_does_not_have_are_errors_at_their_line(tmp_path):
    tmp_path = tmp_path / "en"
    tmp_path.mkdir()
    text = GOOD.replace("intent: greet", "intent: greeet").replace("greeting.safety_check", "greeting.safty")
    write(tmp_path, "a.yml", text)
    _, errors = load([tmp_path / "a.yml"], Catalog.load(), BotDesign.load())
    assert [(error.line, error.message) for error in errors] == [
        (4, "response: no text key 'greeting.safty' in locales/")
    ]
    write(tmp_path, "a.yml", GOOD.replace("intent: greet", "intent: greeet"))
    _, errors = load([tmp_path / "a.yml"], Catalog.load(), BotDesign.load())
    assert [(error.line, error.message) for error in errors] == [(5, "intent: the bot has no intent 'greeet'")]


def test_a_missing_path_is_an_error_not_a_crash(tmp_path):
    stories, errors = load([tmp_path / "nowhere.yml"], Catalog.load(), BotDesign.load())
    assert stories == [] and "no such file" in errors[0].message


def test_every_story_in_the_repository_can_be_read():
    stories, errors = load([STORIES_DIR], Catalog.load(), BotDesign.load())
    assert errors == [] and stories


def test_a_story_may_run_on_line_or_telegram(tmp_path):
    text = "stories:\n  - story: x\n    channel: {}\n    steps: [{{user: hi}}]\n"
    for channel in ("line", "telegram", "webchat"):
        (story,) = read_file(write(tmp_path, f"{channel}.yml", text.format(channel)), "en").stories
        assert story.channel == channel
