"""Operator accounts and console sign-in: who may sign in, with which role, for which teams.

A password is kept only as its Argon2id hash, and a session only as the SHA-256 of its cookie
token, so a copy of the database signs nobody in. Repeated wrong passwords lock the account for
a while. The console's web routes call `Accounts` and set the cookie; this module knows no web
framework.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.records.db import Database
from core.records.models import ConsoleSession, Operator, utcnow
from core.teams import TRAINING_QUEUE

ROLES = ("operator", "supervisor", "admin", "trainer")
USERNAME = re.compile(r"[a-z0-9._-]{3,64}")
MIN_PASSWORD_CHARS = 12
MAX_DISPLAY_NAME_CHARS = 64
SEEN_WRITE_INTERVAL = timedelta(minutes=1)


class AccountError(ValueError):
    """An account cannot be added or changed; the message says why."""


class SignInRefused(Exception):
    """Wrong username or password, or a disabled account: the console says no more than that."""


class AccountLocked(SignInRefused):
    """Too many wrong passwords: no sign-in until `retry_after_seconds` have passed."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"locked for {retry_after_seconds} more seconds")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class Account:
    """An operator account as the rest of the app sees it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    teams: tuple[str, ...]
    disabled: bool
    on_duty: bool


@dataclass(frozen=True)
class SignIn:
    """A new console session: `token` goes into the cookie, `csrf` into the pages' forms."""

    account: Account
    token: str = field(repr=False)
    csrf: str = field(repr=False)
    expires_at: datetime


class Accounts:
    """The console's accounts and their sessions."""

    def __init__(
        self,
        database: Database,
        teams_ids: list[str],
        *,
        session_hours: float = 8.0,
        idle_minutes: float = 30.0,
        max_failures: int = 5,
        lock_minutes: float = 15,
    ) -> None:
        self._database = database
        self._teams = set(teams_ids)
        self._session_length = timedelta(hours=session_hours)
        self._idle_limit = timedelta(minutes=idle_minutes)
        self._max_failures = max_failures
        self._lock_length = timedelta(minutes=lock_minutes)
        self._hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters

    def add(self, username: str, display_name: str, password: str, role: str, teams: list[str]) -> Account:
        """Create an enabled account, off duty.

        Raises:
            AccountError: a field is invalid or the username is taken.
        """
        username = _checked_username(_normal(username))
        display_name = _checked_display_name(display_name)
        teams = self._checked_teams(_checked_role(role), teams)
        password_hash = self._hasher.hash(_checked_password(password))
        row = Operator(
            username=username, display_name=display_name, password_hash=password_hash, role=role, teams=teams
        )
        with self._database.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"the username {username!r} is taken") from None
            return _account(row)

    def disable(self, username: str) -> None:
        """Stop an account from signing in, and end its sessions at once.

        Raises:
            AccountError: there is no such account.
        """
        with self._database.session() as session:
            row = _by_username(session, username)
            row.disabled = True
            row.on_duty = False
            session.execute(delete(ConsoleSession).where(ConsoleSession.operator_id == row.id))
            session.commit()

    def enable(self, username: str) -> None:
        """Let a disabled account sign in again.

        Raises:
            AccountError: there is no such account.
        """
        with self._database.session() as session:
            _by_username(session, username).disabled = False
            session.commit()

    def set_password(self, username: str, password: str) -> None:
        """Replace an account's password, lift any lock-out and end its sessions.

        Raises:
            AccountError: the password is too short, or there is no such account.
        """
        password_hash = self._hasher.hash(_checked_password(password))
        with self._database.session() as session:
            row = _by_username(session, username)
            row.password_hash = password_hash
            row.failed_sign_ins = 0
            row.locked_until = None
            session.execute(delete(ConsoleSession).where(ConsoleSession.operator_id == row.id))
            session.commit()

    def list(self) -> list[Account]:
        """Every account, by username."""
        with self._database.session() as session:
            return [_account(row) for row in session.scalars(select(Operator).order_by(Operator.username))]

    def get(self, id: int) -> Account | None:
        """The account with this id, or None."""
        with self._database.session() as session:
            row = session.get(Operator, id)
            return _account(row) if row else None

    def set_duty(self, id: int, on_duty: bool) -> None:
        """Put an account on or off duty.

        Raises:
            AccountError: there is no such account, or it is disabled.
        """
        with self._database.session() as session:
            row = session.get(Operator, id)
            if row is None:
                raise AccountError("no account has this id")
            if on_duty and row.disabled:
                raise AccountError("a disabled account cannot go on duty")
            row.on_duty = on_duty
            session.commit()

    def on_duty(self, team: str) -> list[Account]:
        """The enabled accounts on duty for `team`; supervisors are on duty for every team, and
        trainers (only) for the training queue."""
        with self._database.session() as session:
            rows = session.scalars(
                select(Operator).where(Operator.on_duty.is_(True), Operator.disabled.is_(False)).order_by(Operator.id)
            )
            if team == TRAINING_QUEUE:
                return [_account(row) for row in rows if row.role == "trainer"]
            return [_account(row) for row in rows if row.role == "supervisor" or team in row.teams]

    def sign_in(self, username: str, password: str, now: datetime | None = None) -> SignIn:
        """Check a username and password and open a session.

        The password is verified against a dummy hash when the account is unknown or disabled,
        so the answer takes as long as for a real account and timing tells no usernames apart.
        The account's row is locked while its password is checked, so parallel guesses count
        one by one towards the lock-out. Sessions past their end are deleted here, so none piles up.

        Raises:
            AccountLocked: too many wrong passwords lately (even if this one is right).
            SignInRefused: wrong username or password, or a disabled account.
        """
        now = now or utcnow()
        with self._database.session() as session:
            row = session.scalars(
                select(Operator).where(Operator.username == _normal(username)).with_for_update()
            ).one_or_none()
            if row is None or row.disabled:
                self._verify(self._dummy_hash, password)
                raise SignInRefused()
            if row.locked_until is not None and row.locked_until > now:
                raise AccountLocked(math.ceil((row.locked_until - now).total_seconds()))
            if not self._verify(row.password_hash, password):
                row.failed_sign_ins += 1
                if row.failed_sign_ins >= self._max_failures:
                    row.locked_until = now + self._lock_length
                    row.failed_sign_ins = 0
                session.commit()
                raise SignInRefused()
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            row.failed_sign_ins = 0
            row.locked_until = None
            session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
            opened = SignIn(
                _account(row), secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + self._session_length
            )
            session.add(
                ConsoleSession(
                    token_hash=_token_hash(opened.token),
                    operator_id=row.id,
                    csrf_token=opened.csrf,
                    created_at=now,
                    expires_at=opened.expires_at,
                    last_seen_at=now,
                )
            )
            session.commit()
            return opened

    def session(self, token: str, now: datetime | None = None) -> tuple[Account, str] | None:
        """The account and CSRF token of a live session, or None.

        A session ends `session_hours` after sign-in, after `idle_minutes` without a request,
        or when its account is disabled. Its last-seen time is written at most once a minute.
        """
        now = now or utcnow()
        with self._database.session() as session:
            found = session.get(ConsoleSession, _token_hash(token))
            if found is None:
                return None
            if now >= found.expires_at or now - found.last_seen_at >= self._idle_limit:
                session.delete(found)
                session.commit()
                return None
            operator = session.get(Operator, found.operator_id)
            if operator is None or operator.disabled:
                return None
            if now - found.last_seen_at >= SEEN_WRITE_INTERVAL:
                found.last_seen_at = now
                session.commit()
            return _account(operator), found.csrf_token

    def sign_out(self, token: str) -> None:
        """End the session of this token (nothing happens if there is none)."""
        with self._database.session() as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token)))
            session.commit()

    def _checked_teams(self, role: str, teams: list[str]) -> list[str]:
        unknown = sorted(set(teams) - self._teams)
        if unknown:
            raise AccountError(f"unknown team {', '.join(unknown)} (known: {', '.join(sorted(self._teams))})")
        if role == "operator" and not teams:
            raise AccountError("an operator needs at least one team")
        return list(dict.fromkeys(teams))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash no password matches, made with this hasher's parameters so it costs as much to check."""
        return self._hasher.hash(secrets.token_urlsafe(32))


def csrf_matches(expected: str, given: str) -> bool:
    """True when a form's CSRF token is the session's, compared in constant time (no timing oracle)."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _normal(username: str) -> str:
    return username.strip().lower()


def _checked_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise AccountError("a username is 3 to 64 characters: lower-case letters, digits, '.', '_' or '-'")
    return username


def _checked_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME_CHARS:
        raise AccountError(f"a display name is 1 to {MAX_DISPLAY_NAME_CHARS} characters")
    return display_name


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return password


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    return role


def _by_username(session, username: str) -> Operator:
    row = session.scalars(select(Operator).where(Operator.username == _normal(username))).one_or_none()
    if row is None:
        raise AccountError(f"no account named {_normal(username)!r}")
    return row


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(row: Operator) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        teams=tuple(row.teams),
        disabled=row.disabled,
        on_duty=row.on_duty,
    )
