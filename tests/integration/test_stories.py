"""The trainers' stories, run against the live bot, actions and app; and a trainer's workflow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.locales import Catalog
from core.settings import ROOT
from storytests import report, suite
from storytests.coverage import BotDesign

pytestmark = pytest.mark.integration
CATALOG, DESIGN = Catalog.load(), BotDesign.load()


def run(paths: list[Path], settings, platform=None) -> suite.Run:
    stories, errors = suite.load(paths, CATALOG, DESIGN)
    return suite.run(stories, errors, settings, CATALOG, DESIGN, platform)


def test_every_trainer_story_passes_in_every_language(stack, platform_api, output_dir):
    settings, _ = stack
    result = run([suite.STORIES_DIR], settings, platform_api)
    (output_dir / "stories.html").write_text(report.html(result.results, result.errors, result.coverage), "utf-8")
    assert result.ok, report.summary(result.results, result.errors, result.coverage)
    assert all(count >= 10 for count in result.coverage.stories.values()), result.coverage.stories
    channels = {result.story.channel for result in result.results}
    assert channels == {"webchat", "line", "telegram"}


CHANNEL_STORY = """\
stories:
  - story: a worker on {channel} asks for the hotline number
    channel: {channel}
    steps:
      - user: what is the hotline number
      - response: {expected}
"""


@pytest.mark.parametrize(("channel", "path"), [("line", "/v2/bot/message/"), ("telegram", "/bot")])
def test_a_line_or_telegram_story_goes_through_the_webhook_and_fails_at_its_line(
    stack, platform_api, tmp_path, channel, path
):
    settings, _ = stack
    story = tmp_path / "en" / f"{channel}.yml"
    story.parent.mkdir()
    story.write_text(CHANNEL_STORY.format(channel=channel, expected="stop.done"), encoding="utf-8")
    before = len(platform_api.requests(path))
    (result,) = run([story.parent], settings, platform_api).results
    assert len(platform_api.requests(path)) > before, "the answers went out through the platform's API"
    assert result.failure.line == 6 and "hotline.intro" in result.failure.actual
    assert [answer.language for answer in result.turns[-1].answers] == ["en"] * len(result.turns[-1].answers)

    story.write_text(CHANNEL_STORY.format(channel=channel, expected="hotline.intro"), encoding="utf-8")
    assert run([story.parent], settings, platform_api).ok
    assert run([story.parent], settings).results[0].failure.actual == "this run has no fake LINE/Telegram"


KHMER_STORY = """\
stories:
  - story: a worker asks for the hotline number in Khmer
    steps:
      - button: ខ្មែរ
      - user: សុំលេខទូរស័ព្ទជំនួយផង
      - response: {expected}
"""


def test_a_trainer_writes_a_khmer_story_reads_why_it_fails_fixes_it_and_sees_it_pass(stack, tmp_path, output_dir):
    settings, _ = stack
    folder = tmp_path / "km"
    folder.mkdir()
    story = folder / "hotline.yml"
    story.write_text(KHMER_STORY.format(expected="stop.done"), encoding="utf-8")

    failed = run([folder], settings)
    assert not failed.ok
    (result,) = failed.results
    assert result.failure.line == 6 and result.failure.expected == "the text stop.done"
    assert "hotline.intro" in result.failure.actual
    page = report.html(failed.results, failed.errors, failed.coverage)
    (output_dir / "story-km-failing.html").write_text(page, encoding="utf-8")
    assert f"Diverged at <code>{story}:6</code>" in page
    assert "សុំលេខទូរស័ព្ទជំនួយផង" in page, "the report shows the conversation up to the divergence"
    assert CATALOG.text("km", "hotline.intro") in page, "and what the assistant said, in Khmer"
    assert "1 failed" in report.summary(failed.results, failed.errors, failed.coverage)

    story.write_text(KHMER_STORY.format(expected="hotline.intro"), encoding="utf-8")
    fixed = run([folder], settings)
    assert fixed.ok and fixed.results[0].passed
    assert "0 failed" in report.summary(fixed.results, fixed.errors, fixed.coverage)


def test_the_command_runs_the_readable_stories_and_names_the_broken_file_and_line(tmp_path):
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "broken.yml").write_text("stories:\n  - story: broken\n    steps:\n      - say: hi\n", "utf-8")
    (folder / "fine.yml").write_text(
        "stories:\n  - story: fine\n    steps:\n      - button: English\n      - response: language.changed\n", "utf-8"
    )
    html = tmp_path / "report.html"
    env = {**os.environ, "SAPHAN_VAR_DIR": str(tmp_path / "var")}
    finished = subprocess.run(
        [sys.executable, str(ROOT / "saphan"), "stories", str(folder), "--html", str(html)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert f"{folder / 'broken.yml'}:4: unknown step 'say'" in finished.stdout
    assert "stories: 1 run, 1 passed, 0 failed, 1 not readable" in finished.stdout
    assert "broken.yml:4" in html.read_text(encoding="utf-8")
