"""Dashboard accounts: users with roles, server-side sessions, log-in throttling.

Migration 4 owns the tables the dashboard writes: ``users``, ``sessions``, ``login_attempts``,
``acknowledgements`` (a unit confirms it has seen an item's status), ``meta`` (the persisted
cookie secret when the config gives none), ``dash_search`` (a character-bigram FTS5 index so
two-character Chinese words such as 招生 are searchable) and the indexes the dashboard's lists need.

Passwords are hashed with argon2id; session tokens are random and only their SHA-256 is stored,
so a copy of the database does not let anyone log in.

Log-in throttling (docs/security.md): every attempt is first *reserved* in ``login_attempts`` inside
one ``BEGIN IMMEDIATE`` transaction, so concurrent guesses count each other; after a few failures
for one (user name, client address) — or many for one address — the next attempt must wait an
exponentially growing, capped delay, and attempts during the wait are refused without checking the
password; at most ``LOGIN_CONCURRENCY`` argon2 verifications (64 MiB each) run at once in the
process, beyond that the attempt is refused at once. The correct password always works once the
wait has passed: there is no lockout an attacker can keep up for someone else.

The provincial overview keeps its accounts the same way in the fleet's summary store
(monitor/overview/accounts.py): ``Accounts`` names what differs between the two stores (the role
vocabulary, the column binding an account to a unit or a school, the meta key of the cookie key), and
every function here serves both. The module-level functions are the school dashboard's (``DASHBOARD``).
"""
from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, Protocol, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitor import store
from monitor.core.vocab import ROLE, Vocabulary
from monitor.store.engine import Database

SESSION_TTL = timedelta(hours=12)
# Back-off per (user name, client address): LOGIN_MAX_FAILURES failures (since that pair's last
# success, within LOGIN_WINDOW) are free; then the next attempt waits BACKOFF_BASE, doubling with
# every further failure up to BACKOFF_CAP. At the cap a guesser gets about 100 tries a day.
LOGIN_WINDOW = timedelta(hours=24)
LOGIN_MAX_FAILURES = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(minutes=15)
# Per client address over every user name (spraying names): the same back-off after this many
# failures within the hour. Successes do not reset it (an attacker could log into their own account).
ADDRESS_WINDOW = timedelta(hours=1)
ADDRESS_MAX_FAILURES = 20
# argon2 verifications at once in this process (each needs 64 MiB; the scheduler shares the process).
LOGIN_CONCURRENCY = 2
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[\w.@-]{1,64}$")

_hasher = PasswordHasher()


class AuthError(ValueError):
    """A user-facing account problem (message in Chinese)."""


class RateLimited(AuthError):
    """Refused without checking the password; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LoginBusy(RateLimited):
    """Too many password checks running at once: refused immediately, not queued."""


class AccountUser(Protocol):
    """What the shared functions need of a user (``User`` here, the overview's ``OverviewUser``)."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


U = TypeVar("U", bound=AccountUser)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    unit: str | None

    @property
    def can_decide(self) -> bool:
        return self.role in ("admin", "office")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see_unit(self, unit: str | None) -> bool:
        return self.role != "unit" or (unit is not None and unit == self.unit)


@dataclass(frozen=True)
class Session(Generic[U]):
    id: int
    user: U
    csrf: str
    expires_at: datetime


def _utcnow() -> datetime:
    # Sessions and rate limits run on real time, not the product clock: a replayed
    # "as of 2019" clock must not make every session look expired or fresh.
    return datetime.now(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def _iso_us(dt: datetime) -> str:
    # Log-in attempts keep microseconds: back-off waits are measured from them. Seconds-only rows
    # from older versions still sort correctly against these.
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _inserted_id(cur: Any) -> int:
    # the id an INSERT ... RETURNING id gave (lastrowid is SQLite's alone)
    return int(cur.fetchone()[0])


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise AuthError("用户名只能包含字母、数字、汉字及 . _ @ -，长度 1–64")
    return username


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"密码至少需要 {MIN_PASSWORD} 个字符")


@dataclass(frozen=True)
class Accounts(Generic[U]):
    """One store's accounts. Both stores have the tables ``users``, ``sessions``, ``login_attempts`` and
    ``meta`` of the same shape; ``users`` has one column binding an account of ``scoped_role`` to its scope."""
    roles: Vocabulary
    scoped_role: str             # the one role bound to a scope ('unit' / 'school')
    scope_column: str            # users' column holding the scope (a fixed identifier, never input)
    make_user: Callable[[int, str, str, str | None], U]   # (id, username, role, scope)
    secret_meta_key: str         # the meta row keeping the cookie-signing key
    # The words of validate_role's messages: "角色 unit 必须用 --unit 指定所属单位", "配置中没有单位 'x'".
    scope_option: str
    scope_wanted: str
    scope_noun: str
    scope_source: str

    def __post_init__(self) -> None:
        if not self.scope_column.isidentifier():
            raise ValueError(f"not a column name: {self.scope_column!r}")

    def _user(self, row: dict) -> U:
        return self.make_user(int(row["id"]), row["username"], row["role"], row[self.scope_column])

    def validate_role(self, role: str, scope: str | None, known: set[str] | None = None) -> None:
        if role not in self.roles:
            raise AuthError(f"未知角色 {role!r}，可选：{'、'.join(self.roles.order)}")
        if role == self.scoped_role:
            if not scope:
                raise AuthError(f"角色 {role} 必须用 {self.scope_option} 指定{self.scope_wanted}")
            if known is not None and scope not in known:
                raise AuthError(f"{self.scope_source}中没有{self.scope_noun} {scope!r}，"
                                f"可选：{'、'.join(sorted(known)) or '（无）'}")
        elif scope:
            raise AuthError(f"只有角色 {self.scoped_role} 可以绑定{self.scope_noun}")

    def add_user(self, db: Database, username: str, password: str, role: str, scope: str | None = None, *,
                 known: set[str] | None = None) -> U:
        username = validate_username(username)
        validate_password(password)
        self.validate_role(role, scope, known)
        if self.get_user(db, username) is not None:
            raise AuthError(f"用户 {username} 已存在")
        now = _iso(_utcnow())
        bound = scope if role == self.scoped_role else None
        cur = db.execute(
            f"INSERT INTO users (username, password_hash, role, {self.scope_column}, created_at, password_changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (username, _hasher.hash(password), role, bound, now, now),
        )
        return self.make_user(_inserted_id(cur), username, role, bound)

    def get_user(self, db: Database, username: str) -> U | None:
        found = store.rows(db, "SELECT * FROM users WHERE username = ?", (username,))
        return self._user(found[0]) if found else None

    def list_users(self, db: Database) -> list[U]:
        return [self._user(r) for r in store.rows(db, "SELECT * FROM users ORDER BY username")]

    def count_users(self, db: Database) -> int:
        return int(db.execute("SELECT COUNT(*) FROM users").fetchone()[0])

    def set_password(self, db: Database, username: str, password: str) -> None:
        validate_password(password)
        user = self.get_user(db, username)
        if user is None:
            raise AuthError(f"没有用户 {username}")
        db.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                   (_hasher.hash(password), _iso(_utcnow()), user.id))
        # A new password ends every open session of that account.
        db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def remove_user(self, db: Database, username: str) -> None:
        user = self.get_user(db, username)
        if user is None:
            raise AuthError(f"没有用户 {username}")
        db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
        db.execute("DELETE FROM users WHERE id = ?", (user.id,))

    def authenticate(self, db: Database, username: str, password: str, ip: str | None) -> U | None:
        """Check a log-in; None for a wrong name or password.

        Raises RateLimited (without checking the password) while this pair or this address must wait
        after repeated failures, and LoginBusy when LOGIN_CONCURRENCY checks are already running."""
        found = _authenticate(db, username, password, ip)
        return self._user(found) if found is not None else None

    def create_session(self, db: Database, user: U, ip: str | None = None) -> str:
        """Open a session; returns the secret token (only its hash is stored)."""
        return _create_session(db, user.id, ip)

    def get_session(self, db: Database, token: str | None) -> Session[U] | None:
        found = _session_row(db, token)
        if found is None:
            return None
        return Session(id=found["sid"], user=self._user(found), csrf=found["csrf"],
                       expires_at=datetime.fromisoformat(found["expires_at"]))

    def end_session(self, db: Database, token: str | None) -> None:
        if token:
            db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_token_hash(token),))

    def secret_key(self, db: Database, configured: str | None = None) -> str:
        """The cookie-signing key: the configured one, else a random key kept in ``meta``."""
        if configured:
            return configured
        key = self.secret_meta_key
        found = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if found and found[0]:
            return str(found[0])
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                   (key, secrets.token_urlsafe(48)))
        # Another process may have won the race: always return what is stored.
        return str(db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])


# The school dashboard's accounts, in the school's store (migration 4).
DASHBOARD: Accounts[User] = Accounts(
    roles=ROLE, scoped_role="unit", scope_column="unit", make_user=User, secret_meta_key="dashboard_secret_key",
    scope_option="--unit", scope_wanted="所属单位", scope_noun="单位", scope_source="配置")


def validate_role(role: str, unit: str | None, known_units: set[str] | None = None) -> None:
    DASHBOARD.validate_role(role, unit, known_units)


def add_user(db: Database, username: str, password: str, role: str,
             unit: str | None = None, *, known_units: set[str] | None = None) -> User:
    return DASHBOARD.add_user(db, username, password, role, unit, known=known_units)


get_user = DASHBOARD.get_user
list_users = DASHBOARD.list_users
count_users = DASHBOARD.count_users
set_password = DASHBOARD.set_password
remove_user = DASHBOARD.remove_user
authenticate = DASHBOARD.authenticate
create_session = DASHBOARD.create_session
get_session = DASHBOARD.get_session
end_session = DASHBOARD.end_session
secret_key = DASHBOARD.secret_key


def recent_failures(db: Database, username: str, ip: str | None) -> int:
    """Failures (and attempts being verified) for this pair since its last success, within the window."""
    return _pair_failures(db, username, ip, _utcnow())[0]


def _same_ip(ip: str | None) -> tuple[str, tuple[str, ...]]:
    """The address condition and its parameters: ``ip = ?`` keeps the (ip, at) index in use on both engines;
    a request without an address (a Unix socket) is matched by ``IS NULL``."""
    return ("ip IS NULL", ()) if ip is None else ("ip = ?", (ip,))


def _pair_failures(db: Database, username: str, ip: str | None,
                   now: datetime) -> tuple[int, str | None]:
    same, params = _same_ip(ip)
    return db.execute(
        f"SELECT COUNT(*), MAX(at) FROM login_attempts WHERE username = ? AND {same} AND ok != 1 AND at >= ?"
        f" AND id > COALESCE((SELECT MAX(id) FROM login_attempts WHERE username = ? AND {same} AND ok = 1), 0)",
        (username, *params, _iso_us(now - LOGIN_WINDOW), username, *params),
    ).fetchone()


def _address_failures(db: Database, ip: str | None, now: datetime) -> tuple[int, str | None]:
    same, params = _same_ip(ip)
    return db.execute(f"SELECT COUNT(*), MAX(at) FROM login_attempts WHERE {same} AND ok != 1 AND at >= ?",
                      (*params, _iso_us(now - ADDRESS_WINDOW))).fetchone()


def backoff(failures: int, free: int = LOGIN_MAX_FAILURES) -> timedelta:
    """How long the next attempt must wait after ``failures`` failures (zero while they are free)."""
    if failures < free:
        return timedelta(0)
    steps = min(failures - free, 30)  # 2**30 minutes is far past the cap: no overflow
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** steps))


def _remaining(failures: int, last: str | None, free: int, now: datetime) -> float:
    wait = backoff(failures, free)
    if not wait or not last:
        return 0.0
    return (datetime.fromisoformat(last) + wait - now).total_seconds()


def wait_text(seconds: float) -> str:
    """ "45 秒" / "3 分钟": how long to wait, rounded up."""
    whole = max(1, math.ceil(seconds))
    return f"{whole} 秒" if whole < 60 else f"{math.ceil(whole / 60)} 分钟"


_reserve_lock = threading.Lock()   # threads of this process queue here, not in SQLite's busy handler
_verify_slots = threading.BoundedSemaphore(LOGIN_CONCURRENCY)
_indexed: set[str] = set()


def _ensure_index(db: Database) -> None:
    # Databases migrated before the per-address index existed get it on first use.
    name = db.location
    if name not in _indexed:
        db.execute("CREATE INDEX IF NOT EXISTS idx_login_attempts_ip ON login_attempts(ip, at)")
        _indexed.add(name)


def _reserve(db: Database, username: str, ip: str | None) -> int:
    """Check both back-offs and record the attempt in one write transaction; returns the attempt id.

    Raises RateLimited while a wait is running (nothing is recorded, so the wait does not grow)."""
    _ensure_index(db)
    with _reserve_lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            now = _utcnow()
            pair = _remaining(*_pair_failures(db, username, ip, now), LOGIN_MAX_FAILURES, now)
            address = _remaining(*_address_failures(db, ip, now), ADDRESS_MAX_FAILURES, now)
            wait = max(pair, address)
            if wait > 0:
                db.execute("ROLLBACK")
                raise RateLimited(f"登录失败次数过多，请 {wait_text(wait)}后再试（等待期间提交的密码不会被核对）",
                                  max(1, math.ceil(wait)))
            attempt = _inserted_id(db.execute("INSERT INTO login_attempts (username, ip, at, ok) VALUES (?, ?, ?, -1) RETURNING id",
                                              (username, ip, _iso_us(now))))
            db.execute("COMMIT")
        except RateLimited:
            raise
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
    return attempt


def _check_password(row: dict | None, password: str) -> bool:
    try:
        if row is not None:
            return _hasher.verify(row["password_hash"], password)
        # An unknown name costs one real verification too, so timing does not reveal accounts.
        _hasher.verify(_dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass
    return False


def _authenticate(db: Database, username: str, password: str, ip: str | None) -> dict | None:
    """The user's row for a correct name and password, else None (see ``Accounts.authenticate``)."""
    username = (username or "").strip()[:64]
    password = password or ""
    attempt = _reserve(db, username, ip)
    if not _verify_slots.acquire(blocking=False):
        db.execute("DELETE FROM login_attempts WHERE id = ?", (attempt,))  # not checked: not an attempt
        raise LoginBusy("同时登录的请求过多，服务器繁忙，请几秒后再试", 2)
    try:
        row = store.rows(db, "SELECT * FROM users WHERE username = ?", (username,))
        user_row = row[0] if row else None
        ok = _check_password(user_row, password)   # never True without a row
        if ok and user_row is not None and _hasher.check_needs_rehash(user_row["password_hash"]):
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), user_row["id"]))
    except BaseException:
        db.execute("UPDATE login_attempts SET ok = 0, at = ? WHERE id = ?", (_iso_us(_utcnow()), attempt))
        raise
    finally:
        _verify_slots.release()
    # The wait after a failure runs from when the check ended.
    db.execute("UPDATE login_attempts SET ok = ?, at = ? WHERE id = ?", (int(ok), _iso_us(_utcnow()), attempt))
    return user_row if ok else None


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _create_session(db: Database, user_id: int, ip: str | None) -> str:
    token = secrets.token_urlsafe(32)
    now = _utcnow()
    db.execute(
        "INSERT INTO sessions (token_sha256, user_id, csrf, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)",
        (_token_hash(token), user_id, secrets.token_urlsafe(24), _iso(now), _iso(now + SESSION_TTL), ip),
    )
    # Housekeeping: drop expired sessions and old attempts so both tables stay small.
    db.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
    db.execute("DELETE FROM login_attempts WHERE at < ?", (_iso(now - timedelta(days=30)),))
    return token


def _session_row(db: Database, token: str | None) -> dict | None:
    """The session's row joined with its user's (``sid``, ``csrf``, ``expires_at``, users.*); an expired
    session is deleted and gives None."""
    if not token:
        return None
    found = store.rows(
        db,
        "SELECT s.id AS sid, s.csrf, s.expires_at, u.* FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_sha256 = ?",
        (_token_hash(token),),
    )
    if not found:
        return None
    row = found[0]
    if datetime.fromisoformat(row["expires_at"]) < _utcnow():
        db.execute("DELETE FROM sessions WHERE id = ?", (row["sid"],))
        return None
    return row


def generate_password() -> str:
    return secrets.token_urlsafe(12)

