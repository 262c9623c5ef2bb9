"""The results of a story run: a summary for the terminal and an HTML report for trainers."""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from core.settings import LANGUAGES
from storytests.coverage import Coverage
from storytests.format import StoryError
from storytests.runner import StoryResult, Turn


def summary(results: list[StoryResult], errors: list[StoryError], coverage: Coverage) -> str:
    """A few lines per language, then every failure and unreadable story with its file and line."""
    failed = [r for r in results if not r.passed]
    lines = [f"stories: {len(results)} run, {len(results) - len(failed)} passed, {len(failed)} failed"
             + (f", {len(errors)} not readable" if errors else "")]  # fmt: skip
    for language in LANGUAGES:
        mine = [r for r in results if r.story.language == language]
        if mine:
            passed = sum(r.passed for r in mine)
            lines.append(f"  {language}  {passed}/{len(mine)} passed")
    for result in failed:
        failure = result.failure
        lines.append(
            f"FAILED {result.story.path}:{failure.line}: {result.story.name}\n"
            f"    expected: {failure.expected}\n    actual:   {failure.actual}"
        )
    lines += [f"NOT READABLE {error}" for error in errors]
    lines.append(_coverage_line(coverage))
    return "\n".join(lines)


def _coverage_line(coverage: Coverage) -> str:
    languages = sum(1 for count in coverage.stories.values() if count)
    never = ", ".join(coverage.never_intents) or "none"
    return (
        f"coverage: languages {languages}/{len(LANGUAGES)}, flows {coverage.rules_exercised}/{coverage.rules_total}, "
        f"intents never exercised: {never}"
    )


def html(results: list[StoryResult], errors: list[StoryError], coverage: Coverage) -> str:
    """A self-contained HTML page: each story, pass or fail; for a failure the conversation up to
    where it diverged and the expected against the actual; then coverage."""
    failed = sum(not r.passed for r in results)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Saphan stories: {failed} failed</title><style>{_STYLE}</style></head><body>",
        "<h1>Saphan stories</h1>",
        f"<p class='totals'>{when}: {len(results)} stories, <b>{len(results) - failed} passed</b>, "
        f"<b class='{'bad' if failed else 'good'}'>{failed} failed</b>"
        + (f", <b class='bad'>{len(errors)} not readable</b>" if errors else "")
        + ".</p>",
    ]
    if errors:
        parts.append("<section id='unreadable'><h2>Stories that could not be read</h2><ul>")
        parts += [f"<li class='error'><code>{escape(str(error))}</code></li>" for error in errors]
        parts.append("</ul></section>")
    for language in LANGUAGES:
        mine = [r for r in results if r.story.language == language]
        if not mine:
            continue
        passed = sum(r.passed for r in mine)
        parts.append(f"<section lang='{language}'><h2>{language}: {passed}/{len(mine)} passed</h2>")
        parts += [_story(result) for result in mine]
        parts.append("</section>")
    parts.append(_coverage(coverage))
    parts.append("</body></html>")
    return "\n".join(parts)


def _story(result: StoryResult) -> str:
    story, failure = result.story, result.failure
    state = "passed" if failure is None else "failed"
    head = (
        f"<summary><span class='badge {state}'>{state}</span> {escape(story.name)} "
        f"<span class='channel'>{story.channel}</span> <code>{escape(str(story.path))}:{story.line}</code></summary>"
    )
    rows = [_turn(turn) for turn in result.turns]
    if failure is not None:
        rows.append(
            "<div class='divergence' role='alert'>"
            f"<p>Diverged at <code>{escape(str(story.path))}:{failure.line}</code></p>"
            f"<p><b>Expected</b> {escape(failure.expected)}</p><p><b>Actual</b> {escape(failure.actual)}</p></div>"
        )
    opened = " open" if failure is not None else ""
    return f"<details class='story {state}'{opened}>{head}{''.join(rows)}</details>"


def _turn(turn: Turn) -> str:
    answers = "".join(
        f"<li lang='{escape(answer.language)}'><span class='keys'>{escape(answer.language)} · "
        f"{escape(', '.join(keys))}</span><pre>{escape(answer.text)}</pre>"
        + (
            f"<span class='buttons'>[{escape(' | '.join(label for label, _ in answer.buttons))}]</span>"
            if answer.buttons
            else ""
        )
        + "</li>"
        for answer, keys in zip(turn.answers, turn.keys)
    )
    read = ""
    if turn.intent or turn.triage:
        triage = turn.triage or {}
        families = ", ".join(triage.get("families") or []) or "none"
        read = (
            f"<p class='read'>read as <b>{escape(str(turn.intent))}</b> · "
            f"triage: risk {escape(str(triage.get('risk')))}, "
            f"urgent {escape(str(triage.get('urgent')))}, child {escape(str(triage.get('child')))}, "
            f"families {escape(families)}</p>"
        )
    return (
        f"<div class='turn'><p class='person'>line {turn.line}: the person {escape(turn.person)}</p>{read}"
        f"<ol class='answers'>{answers or '<li><i>no answer</i></li>'}</ol></div>"
    )


def _coverage(coverage: Coverage) -> str:
    rows = "".join(
        f"<tr><td>{language}</td><td>{coverage.stories[language]}</td><td>{len(coverage.intents[language])}</td></tr>"
        for language in LANGUAGES
    )
    lists = [
        ("Intents no story exercises", coverage.never_intents),
        ("Flows (rules) no story exercises", coverage.never_rules),
        ("Responses no story exercises", coverage.never_responses),
        ("Actions no story exercises", coverage.never_actions),
    ]
    never = "".join(
        f"<h3>{title}: {len(items)}</h3><p>{escape(', '.join(items)) or 'none'}</p>" for title, items in lists
    )
    return (
        f"<section id='coverage'><h2>Coverage</h2><p>Flows exercised: {coverage.rules_exercised} of "
        f"{coverage.rules_total}.</p><table><thead><tr><th>language</th><th>stories</th><th>intents exercised</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>{never}</section>"
    )


_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{white-space:pre-wrap;margin:.2rem 0}
.good{color:#1a6b2f}.bad,.error{color:#a4161a}.badge{display:inline-block;min-width:4.5em;text-align:center;
border-radius:.3em;padding:0 .4em;color:#fff;font-weight:600}.badge.passed{background:#1a6b2f}
.badge.failed{background:#a4161a}details{border:1px solid #ccc;border-radius:.4em;margin:.5rem 0;padding:.4rem .8rem}
.channel{font-size:.85em;color:#555;border:1px solid #bbb;border-radius:.3em;padding:0 .3em}
details.failed{border-color:#a4161a}.person{font-weight:600;margin:.6rem 0 .2rem}.keys{color:#555;font-size:.85em}
.buttons{color:#0b5394;font-size:.9em}.read{color:#444;font-size:.85em;margin:0 0 .2rem}
.divergence{background:#fde8e8;border-left:.3rem solid #a4161a;
padding:.4rem .8rem;margin:.6rem 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .6rem}
"""
