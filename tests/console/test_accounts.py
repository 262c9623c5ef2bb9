"""Operator accounts and sign-in: Argon2id hashes, lock-out, sessions that end, nothing secret stored.

The tests that touch sign-in and sessions run on SQLite and on PostgreSQL (the `database_url`
fixture of tests/records); the input checks run on SQLite only.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from console.accounts import (
    ROLES,
    AccountError,
    AccountLocked,
    Accounts,
    SignInRefused,
    csrf_matches,
)
from core.records.db import Database
from core.records.models import ConsoleSession, Operator
from tests.records.conftest import database_url, databases  # noqa: F401  (fixtures: SQLite, then PostgreSQL)

TEAMS = ["th-1300", "la-1362", "vn-111"]
PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def open_accounts(url: str):
    database = Database(url)
    database.migrate()
    return database, Accounts(database, TEAMS)


@pytest.fixture
def stored(database_url):  # noqa: F811  (the imported fixture)
    """A migrated database, on SQLite and on PostgreSQL, with its accounts."""
    database, accounts = open_accounts(database_url)
    yield database, accounts
    database.dispose()


@pytest.fixture
def accounts(tmp_path):
    """Accounts on a migrated SQLite database."""
    database, accounts = open_accounts(f"sqlite:///{tmp_path / 'saphan.db'}")
    yield accounts
    database.dispose()


def operator_row(database: Database, username: str) -> Operator:
    with database.session() as session:
        return session.scalars(select(Operator).where(Operator.username == username)).one()


def session_rows(database: Database) -> list[ConsoleSession]:
    with database.session() as session:
        return list(session.scalars(select(ConsoleSession)))


def test_an_added_account_keeps_only_an_argon2id_hash_of_its_password(stored):
    database, accounts = stored
    account = accounts.add("Somchai ", "Somchai K.", PASSWORD, "operator", ["th-1300", "la-1362", "th-1300"])
    assert (account.username, account.display_name, account.role) == ("somchai", "Somchai K.", "operator")
    assert account.teams == ("th-1300", "la-1362") and not account.disabled and not account.on_duty
    row = operator_row(database, "somchai")
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert not hasattr(account, "password_hash")
    assert accounts.list() == [account] and accounts.get(account.id) == account and accounts.get(account.id + 1) is None


def test_a_username_is_taken_once(stored):
    _, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    with pytest.raises(AccountError, match="taken"):
        accounts.add("SOMCHAI", "Another", PASSWORD, "admin", [])
    assert [a.display_name for a in accounts.list()] == ["Somchai K."]


@pytest.mark.parametrize(
    "username, display_name, password, role, teams, complaint",
    [
        ("ab", "Name", PASSWORD, "operator", ["th-1300"], "username"),
        ("a" * 65, "Name", PASSWORD, "operator", ["th-1300"], "username"),
        ("som chai", "Name", PASSWORD, "operator", ["th-1300"], "username"),
        ("somchai/1", "Name", PASSWORD, "operator", ["th-1300"], "username"),
        ("somchai", " ", PASSWORD, "operator", ["th-1300"], "display name"),
        ("somchai", "N" * 65, PASSWORD, "operator", ["th-1300"], "display name"),
        ("somchai", "Name", "eleven char", "operator", ["th-1300"], "at least 12"),
        ("somchai", "Name", PASSWORD, "root", ["th-1300"], "unknown role"),
        ("somchai", "Name", PASSWORD, "operator", ["th-1300", "xx-999"], "unknown team xx-999"),
        ("somchai", "Name", PASSWORD, "operator", [], "at least one team"),
    ],
)
def test_an_invalid_account_is_refused_with_a_reason(
    accounts, username, display_name, password, role, teams, complaint
):
    with pytest.raises(AccountError, match=complaint):
        accounts.add(username, display_name, password, role, teams)
    assert accounts.list() == []


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_be_given(accounts, role):
    assert accounts.add(f"user.{role}", "Name", PASSWORD, role, ["vn-111"]).role == role


def test_a_sign_in_opens_a_session_stored_only_as_a_hash_of_its_token(stored):
    database, accounts = stored
    account = accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    signed_in = accounts.sign_in("Somchai", PASSWORD, now=T0)
    assert signed_in.account == account and signed_in.expires_at == T0 + timedelta(hours=8)
    assert len(signed_in.token) >= 43 and signed_in.token != signed_in.csrf
    assert signed_in.token not in repr(signed_in) and signed_in.csrf not in repr(signed_in)
    [row] = session_rows(database)
    assert row.token_hash == hashlib.sha256(signed_in.token.encode()).hexdigest() != signed_in.token
    assert accounts.session(signed_in.token, now=T0 + timedelta(minutes=5)) == (account, signed_in.csrf)
    assert accounts.session("not-a-token", now=T0) is None


def test_a_wrong_password_is_refused_and_counted_until_a_right_one(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    for _ in range(2):
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in("somchai", "wrong password!!", now=T0)
        assert type(refused.value) is SignInRefused
    assert operator_row(database, "somchai").failed_sign_ins == 2 and session_rows(database) == []
    accounts.sign_in("somchai", PASSWORD, now=T0)
    assert operator_row(database, "somchai").failed_sign_ins == 0


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lock_ends(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    for attempt in range(5):
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in("somchai", f"wrong password {attempt}", now=T0)
        assert not isinstance(refused.value, AccountLocked)
    row = operator_row(database, "somchai")
    assert row.locked_until == T0 + timedelta(minutes=15) and row.failed_sign_ins == 0
    with pytest.raises(AccountLocked) as locked:
        accounts.sign_in("somchai", PASSWORD, now=T0 + timedelta(minutes=5))
    assert locked.value.retry_after_seconds == 10 * 60
    assert session_rows(database) == []
    signed_in = accounts.sign_in("somchai", PASSWORD, now=T0 + timedelta(minutes=15, seconds=1))
    assert signed_in.account.username == "somchai" and operator_row(database, "somchai").locked_until is None


def test_an_unknown_username_is_refused_after_checking_a_dummy_hash(stored, monkeypatch):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    checked = []
    verify = accounts._verify

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", spy)
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in("nobody", PASSWORD, now=T0)
    assert type(refused.value) is SignInRefused
    assert len(checked) == 1 and checked[0].startswith("$argon2id$")
    assert checked[0] != operator_row(database, "somchai").password_hash
    assert session_rows(database) == []


def test_disabling_refuses_sign_in_and_ends_sessions_at_once(stored):
    database, accounts = stored
    account = accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    other = accounts.add("noy", "Noy", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    kept = accounts.sign_in("noy", PASSWORD, now=T0).token
    accounts.set_duty(account.id, True)
    accounts.disable("somchai")
    assert accounts.session(token, now=T0) is None
    assert [row.operator_id for row in session_rows(database)] == [other.id]
    assert accounts.session(kept, now=T0) is not None
    with pytest.raises(SignInRefused):
        accounts.sign_in("somchai", PASSWORD, now=T0)
    assert accounts.get(account.id).disabled and not accounts.get(account.id).on_duty
    accounts.enable("somchai")
    assert accounts.sign_in("somchai", PASSWORD, now=T0).account.username == "somchai"


def test_a_session_of_an_account_disabled_in_the_database_is_refused(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    with database.session() as session:
        session.scalars(select(Operator).where(Operator.username == "somchai")).one().disabled = True
        session.commit()
    assert accounts.session(token, now=T0) is None


def test_changing_an_unknown_account_is_refused(accounts):
    for change in (accounts.disable, accounts.enable):
        with pytest.raises(AccountError, match="no account named 'nobody'"):
            change("nobody")
    with pytest.raises(AccountError, match="no account"):
        accounts.set_password("nobody", PASSWORD)
    with pytest.raises(AccountError, match="no account"):
        accounts.set_duty(42, True)


def test_a_new_password_replaces_the_old_one_lifts_the_lock_and_ends_sessions(stored):
    _, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    for attempt in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("somchai", f"wrong password {attempt}", now=T0)
    with pytest.raises(AccountError, match="at least 12"):
        accounts.set_password("somchai", "too short")
    accounts.set_password("somchai", "a brand new passphrase")
    assert accounts.session(token, now=T0) is None
    with pytest.raises(SignInRefused):
        accounts.sign_in("somchai", PASSWORD, now=T0)
    assert accounts.sign_in("somchai", "a brand new passphrase", now=T0).account.username == "somchai"


def test_a_session_ends_eight_hours_after_sign_in_however_busy(stored):
    _, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    for minutes in range(20, 8 * 60, 20):
        assert accounts.session(token, now=T0 + timedelta(minutes=minutes)) is not None, minutes
    assert accounts.session(token, now=T0 + timedelta(hours=8)) is None


def test_a_session_ends_after_thirty_idle_minutes(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    assert accounts.session(token, now=T0 + timedelta(minutes=29, seconds=59)) is not None
    assert accounts.session(token, now=T0 + timedelta(minutes=59, seconds=58)) is not None
    assert accounts.session(token, now=T0 + timedelta(minutes=89, seconds=58)) is None
    assert session_rows(database) == []  # the ended session is deleted


def test_last_seen_is_written_at_most_once_a_minute(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    token = accounts.sign_in("somchai", PASSWORD, now=T0).token
    assert accounts.session(token, now=T0 + timedelta(seconds=30)) is not None
    assert [row.last_seen_at for row in session_rows(database)] == [T0]
    # The 30-second request was not written, so the idle time still counts from sign-in.
    assert accounts.session(token, now=T0 + timedelta(minutes=30, seconds=10)) is None


def test_signing_out_ends_only_that_session(stored):
    _, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    laptop = accounts.sign_in("somchai", PASSWORD, now=T0)
    phone = accounts.sign_in("somchai", PASSWORD, now=T0)
    accounts.sign_out(laptop.token)
    accounts.sign_out("never-issued")
    assert accounts.session(laptop.token, now=T0) is None
    assert accounts.session(phone.token, now=T0)[1] == phone.csrf


def test_a_hash_made_with_weaker_parameters_is_replaced_at_sign_in(stored):
    database, accounts = stored
    accounts.add("somchai", "Somchai K.", PASSWORD, "operator", ["th-1300"])
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with database.session() as session:
        session.scalars(select(Operator).where(Operator.username == "somchai")).one().password_hash = weak
        session.commit()
    accounts.sign_in("somchai", PASSWORD, now=T0)
    stronger = operator_row(database, "somchai").password_hash
    assert stronger != weak and stronger.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(stronger)


def test_on_duty_lists_enabled_accounts_of_the_team_and_every_supervisor(stored):
    _, accounts = stored
    thai = accounts.add("thai.op", "Thai operator", PASSWORD, "operator", ["th-1300"])
    both = accounts.add("both.op", "Thai and Lao operator", PASSWORD, "operator", ["la-1362", "th-1300"])
    lao = accounts.add("lao.op", "Lao operator", PASSWORD, "operator", ["la-1362"])
    resting = accounts.add("resting.op", "Off duty", PASSWORD, "operator", ["th-1300"])
    chief = accounts.add("chief", "Supervisor", PASSWORD, "supervisor", [])
    gone = accounts.add("gone.op", "Disabled", PASSWORD, "operator", ["th-1300"])
    for account in (thai, both, lao, chief, gone):
        accounts.set_duty(account.id, True)
    accounts.disable("gone.op")
    assert {a.username for a in accounts.on_duty("th-1300")} == {"thai.op", "both.op", "chief"}
    assert {a.username for a in accounts.on_duty("la-1362")} == {"both.op", "lao.op", "chief"}
    assert [a.username for a in accounts.on_duty("vn-111")] == ["chief"]
    accounts.set_duty(thai.id, False)
    assert "thai.op" not in {a.username for a in accounts.on_duty("th-1300")}
    assert resting.id not in {a.id for a in accounts.on_duty("th-1300")}
    with pytest.raises(AccountError, match="disabled"):
        accounts.set_duty(gone.id, True)


def test_csrf_tokens_match_only_when_equal():
    assert csrf_matches("k3Y-token_value", "k3Y-token_value")
    assert not csrf_matches("k3Y-token_value", "k3Y-token_valuf")
    assert not csrf_matches("k3Y-token_value", "")
    assert not csrf_matches("k3Y-token_value", "k3Y-token_value-and-more")
