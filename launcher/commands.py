"""The functions behind `./saphan`'s commands. Each prepares settings and calls the real work
elsewhere (training, processes, tests, benchmarks); none holds logic of its own."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import signal
import subprocess
import sys
from pathlib import Path

from console.accounts import Account, AccountError, Accounts
from core.crypto import Sealer, UnreadableField
from core.locales import Catalog
from core.records.db import Database
from core.records.rotation import rotate
from core.settings import ROOT, Settings
from core.stores import open_stores
from core.teams import Teams
from launcher import localsecrets, processes, production, training


def _settings() -> Settings:
    """The settings, with the local secrets of the configured `var/` (made on first use)."""
    settings = Settings()
    localsecrets.ensure(settings.var_dir)
    return Settings(_env_file=(ROOT / ".env", settings.var_dir / "local.env"))


def setup(args: argparse.Namespace) -> int:
    """Both environments are ready once the launcher gets here."""
    print("saphan: environments are ready")
    return 0


def train(args: argparse.Namespace) -> int:
    """Train the model unless the current one is up to date."""
    model = training.ensure_model(_settings(), force=args.force)
    print(f"saphan: model {model.relative_to(ROOT)}")
    return 0


def _start(settings: Settings, quiet: bool, bots: int = 1, apps: int = 1) -> processes.Supervisor:
    model = training.ensure_model(settings)
    Database(settings.resolved_database_url()).migrate()
    log_dir = settings.var_dir / "log" if quiet else None
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
    supervisor = processes.Supervisor(processes.children(settings, model, log_dir, bots=bots, apps=apps))
    if not quiet:
        supervisor.catch_signals()
    print("saphan: starting the bot and the app (the bot takes about 20 s to load) …", flush=True)
    supervisor.start()
    return supervisor


def run(args: argparse.Namespace) -> int:
    """Run the bot and the app until Ctrl-C (several of each on PostgreSQL and Redis with
    `--production`)."""
    settings = _settings()
    bots = apps = 1
    if args.production:
        if args.bots < 1 or args.apps < 1:
            raise SystemExit("saphan: --bots and --apps need at least 1")
        settings, bots, apps = production.trial_settings(settings), args.bots, args.apps
    supervisor = _start(settings, quiet=False, bots=bots, apps=apps)
    ports = ", ".join(str(settings.app_port + i) for i in range(apps))
    print(
        f"\nSaphan is running (app processes on port {ports}).\n"
        f"  Web chat:  http://127.0.0.1:{settings.app_port}/chat\n"
        f"  Health:    http://127.0.0.1:{settings.app_port}/healthz\nPress Ctrl-C to stop.\n",
        flush=True,
    )
    return supervisor.watch()


def shell(args: argparse.Namespace) -> int:
    """Chat with the bot in the terminal, through the app's web chat WebSocket."""
    from launcher.terminal_chat import chat

    settings = _settings()
    supervisor = _start(settings, quiet=True)
    try:
        chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws", args.language)
    finally:
        supervisor.stop()
    return 0


def stories(args: argparse.Namespace) -> int:
    """Run the trainers' stories on a bot and app of their own; exit 1 if any fails or cannot be read."""
    from storytests import report, suite

    paths = [Path(path) for path in args.paths] or [suite.STORIES_DIR]
    result = suite.run_on_scratch_stack(paths)
    print(report.summary(result.results, result.errors, result.coverage))
    if args.html:
        Path(args.html).write_text(report.html(result.results, result.errors, result.coverage), encoding="utf-8")
        print(f"saphan: report written to {args.html}")
    return 0 if result.ok and result.results else 1


def test(args: argparse.Namespace) -> int:
    """Run pytest over tests/ (the integration tests start their own bot and app)."""
    os.environ.setdefault("SAPHAN_TEST_OUTPUT", str(ROOT / "var" / "test-output"))
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *(args.pytest_args or ["tests"])]
    return subprocess.run(command, cwd=ROOT).returncode


@contextlib.contextmanager
def _bot_only(settings: Settings):
    """Run just the bot process (its logs in var/log) for the duration of the block."""
    model = training.ensure_model(settings)
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    supervisor = processes.Supervisor([processes.children(settings, model, log_dir)[0]])
    # SIGTERM (e.g. from `timeout`) leaves through the `finally` below, so the bot stops too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    print("saphan: starting the bot (about 20 s) …", file=sys.stderr, flush=True)
    try:
        supervisor.start()
        yield model
    finally:
        supervisor.stop()


def evaluate(args: argparse.Namespace) -> int:
    """Score the model on the held-out sets or the triage vignettes; exit 1 if a target is missed."""
    from launcher import evaluation

    settings = _settings()
    with _bot_only(settings) as model:
        results = evaluation.evaluate_nlu(settings) if args.what == "nlu" else evaluation.evaluate_triage(settings)
    path = Path(args.report) if args.report else settings.var_dir / "reports" / f"{args.what}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = evaluation.REPORTS[args.what](results, model)
    path.write_text(text, encoding="utf-8")
    print(text.split("\n## ")[0])
    print(f"saphan: report written to {path}")
    return 0 if all(s.meets_targets() for s in results.values()) else 1


def triage(args: argparse.Namespace) -> int:
    """Triage JSON Lines cases from a file or stdin; one JSON line out per case."""
    from launcher import evaluation

    settings = _settings()
    try:
        source = open(args.file, encoding="utf-8") if args.file and args.file != "-" else sys.stdin
    except OSError as error:
        print(f"saphan: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    with source, _bot_only(settings):
        failed = evaluation.triage_lines(settings, source, sys.stdout, sys.stderr)
    return 1 if failed else 0


def purge(args: argparse.Namespace) -> int:
    """Delete what is older than the retention period, once, and say how much."""
    settings = _settings()
    days = args.days if args.days is not None else settings.retention_days
    stores = open_stores(settings, Catalog.load())
    try:
        stores.database.migrate()
        purged = stores.retention.purge(days)
    except ValueError as error:
        print(f"saphan: {error}", file=sys.stderr)
        return 2
    finally:
        stores.dispose()
    print(
        f"saphan: deleted {purged.conversations} conversations and {purged.transcripts} other transcripts "
        f"untouched for {days} days, {purged.event_ids} old redelivery ids and {purged.training_chats} idle "
        f"training chats, and reduced {purged.cases} ended cases without an agreed record to statistics"
    )
    return 0


def rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt the records' sealed fields with the first key of SAPHAN_ENCRYPTION_KEY."""
    settings = _settings()
    database = Database(settings.resolved_database_url())
    try:
        database.migrate()
        changed = rotate(database, Sealer(settings.encryption_key.get_secret_value()))
    except (ValueError, UnreadableField) as error:
        print(f"saphan: {error}; nothing was changed", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    print(f"saphan: re-encrypted {changed} fields with the first key; the other keys can now be removed")
    return 0


def operator(args: argparse.Namespace) -> int:
    """Add, disable, enable or list console accounts, or set one's password."""
    if args.action != "list" and not args.username:
        print(f"saphan: operator {args.action} needs a USERNAME", file=sys.stderr)
        return 2
    if args.action == "add" and not args.name:
        print('saphan: operator add needs --name "Display Name"', file=sys.stderr)
        return 2
    database = Database(_settings().resolved_database_url())
    try:
        database.migrate()
        accounts = Accounts(database, Teams.load().ids())
        if args.action == "add":
            account = accounts.add(args.username, args.name, _new_password(), args.role, args.teams or [])
            print(f"saphan: added {account.role} {account.username}")
        elif args.action == "disable":
            accounts.disable(args.username)
            print(f"saphan: disabled {args.username} and ended its console sessions")
        elif args.action == "enable":
            accounts.enable(args.username)
            print(f"saphan: enabled {args.username}")
        elif args.action == "password":
            accounts.set_password(args.username, _new_password())
            print(f"saphan: new password set for {args.username}; its console sessions are ended")
        else:
            _print_accounts(accounts)
    except AccountError as error:
        print(f"saphan: {error}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    return 0


def _new_password() -> str:
    """SAPHAN_OPERATOR_PASSWORD if set; else asked twice, unechoed, on a terminal; else one line of stdin."""
    given = os.environ.get("SAPHAN_OPERATOR_PASSWORD")
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Password again: ") != password:
        raise AccountError("the two passwords differ")
    return password


def _print_accounts(accounts: Accounts) -> None:
    """One line per account: username, name, role, teams, state. Never a password hash."""
    rows = [
        (account.username, account.display_name, account.role, ",".join(account.teams) or "-", _state(account))
        for account in accounts.list()
    ]
    if not rows:
        print("saphan: no operator accounts yet (add one with ./saphan operator add)")
        return
    header = ("USERNAME", "NAME", "ROLE", "TEAMS", "STATE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())


def _state(account: Account) -> str:
    return "disabled" if account.disabled else "on duty" if account.on_duty else "off duty"


def bench(args: argparse.Namespace) -> int:
    """Run the end-to-end latency benchmark."""
    command = [sys.executable, str(ROOT / "bench" / "e2e_latency.py")] + (["--quick"] if args.quick else [])
    return subprocess.run(command, cwd=ROOT).returncode
