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
"""
from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitor import store
from monitor.core.vocab import ROLE
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
class Session:
    id: int
    user: User
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


def _user_from_row(row: dict) -> User:
    return User(id=row["id"], username=row["username"], role=row["role"], unit=row["unit"])


def validate_username(username: str) -> str:
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise AuthError("用户名只能包含字母、数字、汉字及 . _ @ -，长度 1–64")
    return username


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(f"密码至少需要 {MIN_PASSWORD} 个字符")


def validate_role(role: str, unit: str | None, known_units: set[str] | None = None) -> None:
    if role not in ROLE:
        raise AuthError(f"未知角色 {role!r}，可选：{'、'.join(ROLE.order)}")
    if role == "unit":
        if not unit:
            raise AuthError("角色 unit 必须用 --unit 指定所属单位")
        if known_units is not None and unit not in known_units:
            raise AuthError(f"配置中没有单位 {unit!r}，可选：{'、'.join(sorted(known_units)) or '（无）'}")
    elif unit:
        raise AuthError("只有角色 unit 可以绑定单位")


def add_user(db: Database, username: str, password: str, role: str,
             unit: str | None = None, *, known_units: set[str] | None = None) -> User:
    username = validate_username(username)
    validate_password(password)
    validate_role(role, unit, known_units)
    if get_user(db, username) is not None:
        raise AuthError(f"用户 {username} 已存在")
    now = _iso(_utcnow())
    cur = db.execute(
        "INSERT INTO users (username, password_hash, role, unit, created_at, password_changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (username, _hasher.hash(password), role, unit if role == "unit" else None, now, now),
    )
    return User(id=_inserted_id(cur), username=username, role=role, unit=unit if role == "unit" else None)


def get_user(db: Database, username: str) -> User | None:
    found = store.rows(db, "SELECT * FROM users WHERE username = ?", (username,))
    return _user_from_row(found[0]) if found else None


def list_users(db: Database) -> list[User]:
    return [_user_from_row(r) for r in store.rows(db, "SELECT * FROM users ORDER BY username")]


def count_users(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def set_password(db: Database, username: str, password: str) -> None:
    validate_password(password)
    user = get_user(db, username)
    if user is None:
        raise AuthError(f"没有用户 {username}")
    db.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
               (_hasher.hash(password), _iso(_utcnow()), user.id))
    # A new password ends every open session of that account.
    db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))


def remove_user(db: Database, username: str) -> None:
    user = get_user(db, username)
    if user is None:
        raise AuthError(f"没有用户 {username}")
    db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
    db.execute("DELETE FROM users WHERE id = ?", (user.id,))


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


def authenticate(db: Database, username: str, password: str, ip: str | None) -> User | None:
    """Check a log-in; None for a wrong name or password.

    Raises RateLimited (without checking the password) while this pair or this address must wait
    after repeated failures, and LoginBusy when LOGIN_CONCURRENCY checks are already running."""
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
    return _user_from_row(user_row) if ok and user_row is not None else None


_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_hex(16)))
    return _dummy[0]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(db: Database, user: User, ip: str | None = None) -> str:
    """Open a session; returns the secret token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = _utcnow()
    db.execute(
        "INSERT INTO sessions (token_sha256, user_id, csrf, created_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)",
        (_token_hash(token), user.id, secrets.token_urlsafe(24), _iso(now), _iso(now + SESSION_TTL), ip),
    )
    # Housekeeping: drop expired sessions and old attempts so both tables stay small.
    db.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
    db.execute("DELETE FROM login_attempts WHERE at < ?", (_iso(now - timedelta(days=30)),))
    return token


def get_session(db: Database, token: str | None) -> Session | None:
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
    expires = datetime.fromisoformat(row["expires_at"])
    if expires < _utcnow():
        db.execute("DELETE FROM sessions WHERE id = ?", (row["sid"],))
        return None
    return Session(id=row["sid"], user=_user_from_row(row), csrf=row["csrf"], expires_at=expires)


def end_session(db: Database, token: str | None) -> None:
    if token:
        db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_token_hash(token),))


def secret_key(db: Database, configured: str | None = None) -> str:
    """The cookie-signing key: the configured one, else a random key kept in ``meta``."""
    if configured:
        return configured
    found = db.execute("SELECT value FROM meta WHERE key = 'dashboard_secret_key'").fetchone()
    if found and found[0]:
        return found[0]
    key = secrets.token_urlsafe(48)
    db.execute("INSERT INTO meta (key, value) VALUES ('dashboard_secret_key', ?) ON CONFLICT (key) DO NOTHING", (key,))
    # Another process may have won the race: always return what is stored.
    return db.execute("SELECT value FROM meta WHERE key = 'dashboard_secret_key'").fetchone()[0]


def generate_password() -> str:
    return secrets.token_urlsafe(12)

