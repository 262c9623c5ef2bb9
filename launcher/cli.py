"""`./saphan`'s commands: each is a small function with its own `--help`.

The parser is built from the standard library only. `main` first makes sure the environments a
command needs exist, then re-runs itself inside the app environment, where the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from launcher import envsetup


@dataclass(frozen=True)
class Command:
    """One subcommand: what it does, what it needs installed and which function runs it."""

    help: str
    needs: tuple[str, ...]
    handler: str
    arguments: tuple[tuple[tuple[str, ...], dict], ...] = ()


COMMANDS: dict[str, Command] = {
    "setup": Command(
        "create or update both environments (add --dev for the test tools)",
        ("app", "bot"),
        "launcher.commands:setup",
        ((("--dev",), {"action": "store_true", "help": "also install the test and benchmark tools"}),),
    ),
    "run": Command(
        "train the model if it is missing or stale, then run the bot and the app",
        ("app", "bot"),
        "launcher.commands:run",
        (
            (
                ("--production",),
                {
                    "action": "store_true",
                    "help": "the production profile: PostgreSQL, Redis, several bot and app processes "
                    "(see README: Production profile)",
                },
            ),
            (("--bots",), {"type": int, "default": 2, "help": "bot processes in the production profile (default 2)"}),
            (("--apps",), {"type": int, "default": 2, "help": "app processes in the production profile (default 2)"}),
        ),
    ),
    "train": Command(
        "train the bot's model (skipped when the current one is up to date)",
        ("app", "bot"),
        "launcher.commands:train",
        ((("--force",), {"action": "store_true", "help": "train even if the model is up to date"}),),
    ),
    "shell": Command(
        "talk to the bot in this terminal (starts the bot and the app)",
        ("app", "bot"),
        "launcher.commands:shell",
        ((("--language",), {"choices": ["en", "th", "my", "km", "lo", "vi", "id"], "help": "start in this language"}),),
    ),
    "test": Command(
        "run the whole test suite (extra arguments go to pytest)",
        ("app", "dev", "bot", "browser"),
        "launcher.commands:test",
        ((("pytest_args",), {"nargs": "*", "help": "arguments for pytest (options too, e.g. -k name)"}),),
    ),
    "stories": Command(
        "run the trainers' stories (stories/tests/ by default) on a bot and app of their own",
        ("app", "bot"),
        "launcher.commands:stories",
        (
            (("paths",), {"nargs": "*", "metavar": "PATH", "help": "story files or folders (default: stories/tests)"}),
            (("--html",), {"metavar": "FILE", "help": "also write a report a trainer can read to FILE"}),
        ),
    ),
    "eval": Command(
        "measure the model per language and write a report: `eval nlu` or `eval triage`",
        ("app", "bot"),
        "launcher.commands:evaluate",
        (
            (("what",), {"choices": ["nlu", "triage"], "help": "nlu: the held-out sets; triage: the vignettes"}),
            (("--report",), {"help": "where to write the Markdown report (default var/reports/<what>.md)"}),
        ),
    ),
    "triage": Command(
        "triage cases read as JSON Lines from a file or stdin; writes one JSON line per case",
        ("app", "bot"),
        "launcher.commands:triage",
        ((("file",), {"nargs": "?", "help": "a .jsonl file of cases (default: stdin)"}),),
    ),
    "telegram": Command(
        "Telegram tasks: `telegram set-webhook` registers the webhook at SAPHAN_PUBLIC_URL",
        ("app",),
        "launcher.telegram_webhook:command",
        ((("action",), {"choices": ["set-webhook"], "help": "set-webhook: tell Telegram where to deliver updates"}),),
    ),
    "purge": Command(
        "delete conversations and transcripts older than the retention period (SAPHAN_RETENTION_DAYS)",
        ("app",),
        "launcher.commands:purge",
        ((("--days",), {"type": int, "help": "the retention period in days (default: SAPHAN_RETENTION_DAYS, 90)"}),),
    ),
    "rotate-key": Command(
        "re-encrypt the sealed fields of the records with the first key of SAPHAN_ENCRYPTION_KEY",
        ("app",),
        "launcher.commands:rotate_key",
    ),
    "operator": Command(
        "console accounts: `operator add USERNAME --name NAME --team TEAM`, `list`, `disable`, `enable`, `password`",
        ("app",),
        "launcher.commands:operator",
        (
            (
                ("action",),
                {
                    "choices": ["add", "list", "disable", "enable", "password"],
                    "help": "add and password read the password from SAPHAN_OPERATOR_PASSWORD, "
                    "else ask twice on a terminal, else read one line of stdin",
                },
            ),
            (("username",), {"nargs": "?", "help": "the account (every action but list)"}),
            (("--name",), {"help": "the name the console shows (add)"}),
            (("--role",), {"default": "operator", "help": "operator (default), supervisor, admin or trainer (add)"}),
            (
                ("--team",),
                {
                    "action": "append",
                    "dest": "teams",
                    "metavar": "TEAM",
                    "help": "a team id from data/teams.yml; repeat for more (add)",
                },
            ),
        ),
    ),
    "bench": Command(
        "run the benchmarks under bench/ (not part of the tests)",
        ("app", "dev", "bot"),
        "launcher.commands:bench",
        ((("--quick",), {"action": "store_true", "help": "fewer conversations, for a smoke run"}),),
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="./saphan",
        description="Saphan: a multilingual hotline assistant. One launcher for every task.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.help, description=command.help)
        for flags, options in command.arguments:
            sub.add_argument(*flags, **options)
    return parser


def _inside_app_env() -> bool:
    return Path(sys.prefix).resolve() == (envsetup.VENV_DIR / "app").resolve()


def _ensure(needs: tuple[str, ...]) -> None:
    envsetup.ensure_app(dev="dev" in needs)
    if "bot" in needs:
        envsetup.ensure_bot()
    if "browser" in needs:
        envsetup.ensure_browser()


def main(argv: list[str]) -> int:
    """Parse `argv`, prepare what the command needs and run it; return its exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "test":
        args.pytest_args = [*args.pytest_args, *unknown]
    command = COMMANDS[args.command]
    needs = command.needs + (("dev",) if getattr(args, "dev", False) else ())
    if not _inside_app_env():
        try:
            _ensure(needs)
        except envsetup.SetupError as error:
            print(f"saphan: {error}", file=sys.stderr)
            return 2
        python = str(envsetup.app_python())
        os.execv(python, [python, str(envsetup.ROOT / "saphan"), *argv])
    module_name, function_name = command.handler.split(":")
    handler = getattr(importlib.import_module(module_name), function_name)
    return int(handler(args) or 0)
