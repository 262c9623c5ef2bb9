"""`./saphan operator`: add, list, disable and set passwords on console accounts from the terminal.

Most tests parse the command line with the launcher's own parser and call its handler in this
process, on a SQLite database under `tmp_path`; one runs `./saphan` itself.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from core.records.db import Database
from core.records.models import Operator
from core.settings import ROOT
from launcher import commands
from launcher.cli import COMMANDS, build_parser

PASSWORD = "correct horse battery"


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    """The database the command uses: SQLite in `tmp_path`, whatever this shell has set."""
    url = f"sqlite:///{tmp_path / 'saphan.db'}"
    monkeypatch.setenv("SAPHAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SAPHAN_DATABASE_URL", url)
    monkeypatch.delenv("SAPHAN_OPERATOR_PASSWORD", raising=False)
    return url


def saphan_operator(*argv: str) -> int:
    """Run `./saphan operator ARGV` in this process; its exit code."""
    assert COMMANDS["operator"].handler == "launcher.commands:operator"
    return commands.operator(build_parser().parse_args(["operator", *argv]))


def stored_hash(url: str, username: str) -> str:
    database = Database(url)
    with database.session() as session:
        password_hash = session.scalars(select(Operator.password_hash).where(Operator.username == username)).one()
    database.dispose()
    return password_hash


def test_add_takes_the_password_from_the_environment_and_list_never_shows_it(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SAPHAN_OPERATOR_PASSWORD", PASSWORD)
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300", "--team", "la-1362") == 0
    assert saphan_operator("add", "chief", "--name", "Chief", "--role", "supervisor") == 0
    assert stored_hash(database_url, "somchai").startswith("$argon2id$")
    capsys.readouterr()
    assert saphan_operator("list") == 0
    listed = capsys.readouterr().out
    assert "somchai" in listed and "Somchai K." in listed and "th-1300,la-1362" in listed and "off duty" in listed
    assert "chief" in listed and "supervisor" in listed
    assert "$argon2" not in listed and PASSWORD not in listed


def test_disable_and_enable_show_in_the_list(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SAPHAN_OPERATOR_PASSWORD", PASSWORD)
    saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300")
    assert saphan_operator("disable", "somchai") == 0
    capsys.readouterr()
    saphan_operator("list")
    assert "disabled" in capsys.readouterr().out
    assert saphan_operator("enable", "somchai") == 0
    saphan_operator("list")
    listed = capsys.readouterr().out
    assert "disabled" not in listed and "off duty" in listed


def test_a_short_password_exits_1_with_one_line_saying_why(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SAPHAN_OPERATOR_PASSWORD", "short")
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300") == 1
    error = capsys.readouterr().err
    assert error == "saphan: a password needs at least 12 characters\n"
    saphan_operator("list")
    assert "somchai" not in capsys.readouterr().out


def test_an_unknown_team_or_account_exits_1(database_url, monkeypatch, capsys):
    monkeypatch.setenv("SAPHAN_OPERATOR_PASSWORD", PASSWORD)
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "xx-999") == 1
    assert "unknown team xx-999" in capsys.readouterr().err
    assert saphan_operator("disable", "nobody") == 1
    assert capsys.readouterr().err == "saphan: no account named 'nobody'\n"


def test_a_missing_username_or_name_is_a_usage_error(database_url, capsys):
    assert saphan_operator("add", "--name", "Somchai K.") == 2
    assert "needs a USERNAME" in capsys.readouterr().err
    assert saphan_operator("add", "somchai", "--team", "th-1300") == 2
    assert "needs --name" in capsys.readouterr().err


def test_without_the_variable_the_password_is_one_line_of_stdin(database_url, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300") == 0
    old_hash = stored_hash(database_url, "somchai")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a brand new passphrase\r\n"))
    assert saphan_operator("password", "somchai") == 0
    assert stored_hash(database_url, "somchai") != old_hash


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice_and_must_match(database_url, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(commands.getpass, "getpass", lambda prompt: next(answers))
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300") == 1
    assert capsys.readouterr().err == "saphan: the two passwords differ\n"
    answers = iter([PASSWORD, PASSWORD])
    assert saphan_operator("add", "somchai", "--name", "Somchai K.", "--team", "th-1300") == 0


def test_the_launcher_runs_the_command(tmp_path):
    env = {
        **os.environ,
        "SAPHAN_VAR_DIR": str(tmp_path),
        "SAPHAN_DATABASE_URL": f"sqlite:///{tmp_path / 'saphan.db'}",
    }
    env.pop("SAPHAN_OPERATOR_PASSWORD", None)
    command = [sys.executable, str(ROOT / "saphan"), "operator"]
    added = subprocess.run(
        [*command, "add", "noy", "--name", "Noy", "--team", "vn-111"],
        input=f"{PASSWORD}\n", env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*command, "list"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0 and "noy" in listed.stdout and "vn-111" in listed.stdout
