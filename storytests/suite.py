"""A story run from start to end: read the files, check the names they use, run, report.

`./saphan stories` calls `run_on_scratch_stack`, which starts a throwaway bot and app of its own
(with LINE and Telegram pointed at a local fake of their APIs);
the tests call `load` and `run` against the stack they already started.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.locales import Catalog
from core.records.db import Database
from core.settings import ROOT, Settings
from core.stores import open_stores
from fakeplatform import FakePlatform, line_and_telegram
from launcher import processes, training
from launcher.scratch import channel_settings, scratch_settings
from storytests.coverage import BotDesign, Coverage, measure
from storytests.format import Story, StoryError, find_files, read_file
from storytests.runner import StoryResult, StoryRunner

STORIES_DIR = ROOT / "stories" / "tests"
# Intents the bot can read besides the domain's: Rasa's own for a message it is unsure of.
_RASA_INTENTS = ("nlu_fallback",)


@dataclass
class Run:
    """What a story run produced."""

    results: list[StoryResult]
    errors: list[StoryError]
    coverage: Coverage

    @property
    def ok(self) -> bool:
        """True when every story was read and passed."""
        return not self.errors and all(result.passed for result in self.results)


def load(paths: list[Path], catalog: Catalog, design: BotDesign) -> tuple[list[Story], list[StoryError]]:
    """The stories under `paths`, and the errors of those that cannot run (with file and line)."""
    stories, errors = [], []
    for path, language in find_files(paths):
        if not path.exists():
            errors.append(StoryError(path, 1, "no such file or folder"))
            continue
        read = read_file(path, language)
        errors += read.errors
        for story in read.stories:
            problem = _unknown_name(story, catalog, design)
            if problem:
                errors.append(problem)
            else:
                stories.append(story)
    return stories, errors


def _unknown_name(story: Story, catalog: Catalog, design: BotDesign) -> StoryError | None:
    """A story that names an intent or text the bot does not have, as an error at its line."""
    keys, intents = set(catalog.keys()), set(design.intents) | set(_RASA_INTENTS)
    for step in story.steps:
        if step.kind == "intent" and step.value not in intents:
            return StoryError(story.path, step.line, f"intent: the bot has no intent {step.value!r}")
        if step.kind == "response" and step.value not in keys:
            return StoryError(story.path, step.line, f"response: no text key {step.value!r} in locales/")
    return None


def run(
    stories: list[Story],
    errors: list[StoryError],
    settings: Settings,
    catalog: Catalog,
    design: BotDesign,
    platform: FakePlatform | None = None,
) -> Run:
    """Run `stories` against the running stack that `settings` describe (LINE and Telegram
    stories: with the app's channels pointed at the fake `platform`)."""
    stores = open_stores(settings, catalog)
    runner = StoryRunner(settings, catalog, stores, platform)
    try:
        results = runner.run_all(stories)
    finally:
        runner.close()
        stores.dispose()
    return Run(results, errors, measure(results, design))


def run_on_scratch_stack(paths: list[Path]) -> Run:
    """Read the stories under `paths`, start a throwaway bot and app, run them, stop both."""
    catalog, design = Catalog.load(), BotDesign.load()
    stories, errors = load(paths, catalog, design)
    if not stories:
        return Run([], errors, measure([], design))
    with tempfile.TemporaryDirectory(prefix="saphan-stories-") as scratch, line_and_telegram() as platform:
        settings = scratch_settings(Path(scratch), **channel_settings(platform.url))
        model = training.ensure_model(settings)
        Database(settings.resolved_database_url()).migrate()
        log_dir = Path(scratch) / "log"
        log_dir.mkdir()
        supervisor = processes.Supervisor(processes.children(settings, model, log_dir))
        print(f"saphan: {len(stories)} stories; starting a bot and an app of their own (about 30 s) …", flush=True)
        supervisor.start()
        try:
            return run(stories, errors, settings, catalog, design, platform)
        finally:
            supervisor.stop()
