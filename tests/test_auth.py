"""Accounts: hashing, roles, sessions, rate limits, and the `xxgk user` command."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from monitor import auth, store


@pytest.fixture()
def db(tmp_path: Path):
    return store.open_db(tmp_path / "x.db")


def test_passwords_are_hashed_and_checked(db) -> None:
    auth.add_user(db, "office1", "correct-horse", "office")
    stored = db.execute("SELECT password_hash FROM users WHERE username='office1'").fetchone()[0]
    assert "correct-horse" not in stored and stored.startswith("$argon2id$")
    assert auth.authenticate(db, "office1", "correct-horse", "10.0.0.1").role == "office"
    assert auth.authenticate(db, "office1", "wrong-horse!", "10.0.0.1") is None
    assert auth.authenticate(db, "nobody", "correct-horse", "10.0.0.1") is None


def test_role_and_unit_rules(db) -> None:
    with pytest.raises(auth.AuthError, match="--unit"):
        auth.add_user(db, "zsb", "password1", "unit")
    with pytest.raises(auth.AuthError, match="配置中没有单位"):
        auth.add_user(db, "zsb", "password1", "unit", "nope", known_units={"zsb"})
    with pytest.raises(auth.AuthError, match="只有角色 unit"):
        auth.add_user(db, "boss", "password1", "admin", "zsb")
    with pytest.raises(auth.AuthError, match="未知角色"):
        auth.add_user(db, "boss", "password1", "root")
    with pytest.raises(auth.AuthError, match="至少"):
        auth.add_user(db, "boss", "short", "admin")
    u = auth.add_user(db, "zsb", "password1", "unit", "zsb", known_units={"zsb"})
    assert u.may_see_unit("zsb") and not u.may_see_unit("cwc") and not u.can_decide
    with pytest.raises(auth.AuthError, match="已存在"):
        auth.add_user(db, "zsb", "password1", "viewer")


def test_rate_limit_per_account_and_address(db) -> None:
    auth.add_user(db, "admin", "right-password", "admin")
    for _ in range(auth.LOGIN_MAX_FAILURES):
        assert auth.authenticate(db, "admin", "wrong", "10.0.0.9") is None
    # Even the right password is refused from that address for a while …
    with pytest.raises(auth.RateLimited, match="分钟后再试"):
        auth.authenticate(db, "admin", "right-password", "10.0.0.9")
    # … but another address is not locked out by someone else's guessing.
    assert auth.authenticate(db, "admin", "right-password", "10.0.0.10") is not None
    # Failures older than the window no longer count.
    old = (auth._utcnow() - auth.LOGIN_WINDOW - timedelta(minutes=1)).isoformat(timespec="seconds")
    db.execute("UPDATE login_attempts SET at = ?", (old,))
    assert auth.authenticate(db, "admin", "right-password", "10.0.0.9") is not None


def test_sessions_store_only_token_hashes_and_end_on_password_change(db) -> None:
    user = auth.add_user(db, "viewer1", "password1", "viewer")
    token = auth.create_session(db, user, "127.0.0.1")
    assert db.execute("SELECT COUNT(*) FROM sessions WHERE token_sha256 = ?", (token,)).fetchone()[0] == 0
    session = auth.get_session(db, token)
    assert session.user.username == "viewer1" and len(session.csrf) >= 24
    assert auth.get_session(db, token + "x") is None
    auth.set_password(db, "viewer1", "password2")
    assert auth.get_session(db, token) is None
    token = auth.create_session(db, user)
    db.execute("UPDATE sessions SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert auth.get_session(db, token) is None


def test_secret_key_persists_in_meta(db) -> None:
    key = auth.secret_key(db)
    assert len(key) > 40 and auth.secret_key(db) == key
    assert auth.secret_key(db, "from-config") == "from-config"


def _config(tmp_path: Path) -> Path:
    cfg = {"school": "测试大学", "disclosure_site": "http://127.0.0.1:9/", "database": "data/t.db",
           "units": [{"id": "zsb", "name": "招生办公室", "sites": ["http://127.0.0.1:9/zsb/"]}]}
    path = tmp_path / "xxgk.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _xxgk(*args: str, stdin: str | None = None, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_user_command(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    r = _xxgk("user", "list", "--config", str(cfg), cwd=tmp_path)
    assert r.returncode == 0 and "xxgk user add admin --role admin" in r.stdout
    r = _xxgk("user", "add", "admin", "--role", "admin", "--password-stdin", "--config", str(cfg),
              stdin="s3cret-pass\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "已创建用户 admin" in r.stdout
    r = _xxgk("user", "add", "wang", "--role", "unit", "--unit", "zsb", "--generate", "--config", str(cfg),
              cwd=tmp_path)
    assert r.returncode == 0 and "密码：" in r.stdout
    password = r.stdout.split("密码：")[1].strip()
    db = store.open_db(tmp_path / "data" / "t.db")
    assert auth.authenticate(db, "wang", password, None).unit == "zsb"
    assert auth.authenticate(db, "admin", "s3cret-pass", None).role == "admin"
    # Mistakes: one Chinese line, non-zero exit, no traceback.
    for args, message in [
        (("user", "add", "li", "--role", "unit", "--unit", "cwc", "--generate"), "配置中没有单位"),
        (("user", "add", "admin", "--role", "viewer", "--generate"), "已存在"),
        (("user", "remove", "ghost"), "没有用户"),
        (("user", "passwd", "admin", "--password-stdin"), "至少"),
    ]:
        r = _xxgk(*args, "--config", str(cfg), stdin="short\n", cwd=tmp_path)
        assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    r = _xxgk("user", "list", "--config", str(cfg), cwd=tmp_path)
    assert "admin\t管理员" in r.stdout and "wang\t责任单位\tzsb" in r.stdout
    r = _xxgk("user", "remove", "wang", "--config", str(cfg), cwd=tmp_path)
    assert r.returncode == 0 and "wang" not in _xxgk("user", "list", "--config", str(cfg), cwd=tmp_path).stdout
    r = _xxgk("user", "list", "--config", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert r.returncode != 0 and "找不到配置文件" in r.stderr and "Traceback" not in r.stderr


# --------------------------------------------------------------- throttling: atomic, back-off, caps

class CountingHasher:
    """The real argon2 hasher, counting (and optionally slowing) password verifications."""

    def __init__(self, real, delay: float = 0.0) -> None:
        self.real, self.delay, self.calls = real, delay, 0
        self.lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        return self.real.verify(hashed, password)

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def check_needs_rehash(self, hashed: str) -> bool:
        return self.real.check_needs_rehash(hashed)


@pytest.fixture()
def hasher(monkeypatch) -> CountingHasher:
    auth._dummy_hash()  # made once up front, outside the counted calls
    counting = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


def test_concurrent_guesses_are_counted_before_any_is_verified(tmp_path, hasher, monkeypatch) -> None:
    """30 wrong guesses at once (each thread on its own connection, as the server's threads are):
    the limit is taken atomically, so only LOGIN_MAX_FAILURES of them are ever checked."""
    path = tmp_path / "x.db"
    auth.add_user(store.open_db(path), "admin", "right-password", "admin")
    # Only the limit is tested here, not the cap on concurrent checks.
    monkeypatch.setattr(auth, "_verify_slots", threading.BoundedSemaphore(64), raising=False)
    hasher.delay = 0.2  # every guess is still being checked while the others arrive
    conns = [store.open_db(path) for _ in range(30)]
    start = threading.Barrier(30)
    outcomes: list[str] = []

    def guess(db) -> None:
        start.wait()
        try:
            outcomes.append("none" if auth.authenticate(db, "admin", "wrong-guess", "10.0.0.9") is None else "ok")
        except auth.RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=guess, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 30
    assert hasher.calls <= auth.LOGIN_MAX_FAILURES, hasher.calls
    assert outcomes.count("none") == hasher.calls and outcomes.count("limited") == 30 - hasher.calls
    assert conns[0].execute("SELECT COUNT(*) FROM login_attempts WHERE ok = -1").fetchone()[0] == 0


def test_backoff_grows_is_capped_and_never_refuses_after_the_wait(db, hasher) -> None:
    assert [auth.backoff(n).total_seconds() for n in range(4, 11)] == [0, 60, 120, 240, 480, 900, 900]
    assert auth.backoff(10_000) == auth.BACKOFF_CAP
    auth.add_user(db, "office1", "right-password", "office")
    for _ in range(auth.LOGIN_MAX_FAILURES):
        assert auth.authenticate(db, "office1", "wrong", "10.0.0.9") is None
    checked = hasher.calls
    with pytest.raises(auth.RateLimited) as exc:
        auth.authenticate(db, "office1", "right-password", "10.0.0.9")
    assert exc.value.retry_after == 60 and "1 分钟后再试" in str(exc.value)
    assert hasher.calls == checked  # refused during the wait without checking the password
    # Let the wait pass: the correct password works (no lockout), and a success starts afresh.
    _age(db, seconds=61)
    assert auth.authenticate(db, "office1", "right-password", "10.0.0.9") is not None
    assert auth.recent_failures(db, "office1", "10.0.0.9") == 0
    # A wrong guess after the wait makes the next wait twice as long.
    for _ in range(auth.LOGIN_MAX_FAILURES):
        auth.authenticate(db, "office1", "wrong", "10.0.0.9")
    _age(db, seconds=61)
    assert auth.authenticate(db, "office1", "wrong", "10.0.0.9") is None
    with pytest.raises(auth.RateLimited) as exc:
        auth.authenticate(db, "office1", "right-password", "10.0.0.9")
    assert 110 < exc.value.retry_after <= 120 and "2 分钟后再试" in str(exc.value)


def _age(db, seconds: float) -> None:
    """Move every recorded attempt into the past (the waits run on real time)."""
    for rid, at in db.execute("SELECT id, at FROM login_attempts").fetchall():
        moved = datetime.fromisoformat(at) - timedelta(seconds=seconds)
        db.execute("UPDATE login_attempts SET at = ? WHERE id = ?", (auth._iso_us(moved), rid))


def test_unknown_names_cost_a_check_and_count_against_the_limits(db, hasher) -> None:
    for _ in range(auth.LOGIN_MAX_FAILURES):
        before = hasher.calls
        assert auth.authenticate(db, "no-such-user", "whatever-1", "10.0.0.9") is None
        assert hasher.calls == before + 1  # as costly as a real account's check
    with pytest.raises(auth.RateLimited, match="分钟后再试"):
        auth.authenticate(db, "no-such-user", "whatever-1", "10.0.0.9")


def test_one_address_cannot_spray_many_names(db, hasher) -> None:
    auth.add_user(db, "viewer1", "right-password", "viewer")
    for n in range(auth.ADDRESS_MAX_FAILURES):
        assert auth.authenticate(db, f"name{n}", "guess-guess", "10.0.0.66") is None
    checked = hasher.calls
    with pytest.raises(auth.RateLimited, match="分钟后再试"):
        auth.authenticate(db, "fresh-name", "guess-guess", "10.0.0.66")
    with pytest.raises(auth.RateLimited):
        auth.authenticate(db, "viewer1", "right-password", "10.0.0.66")
    assert hasher.calls == checked
    # Other addresses are not affected; after the wait the sprayed address is heard again.
    assert auth.authenticate(db, "viewer1", "right-password", "10.0.0.67") is not None
    _age(db, seconds=61)
    assert auth.authenticate(db, "viewer1", "right-password", "10.0.0.66") is not None


def test_verifications_beyond_the_cap_are_refused_at_once(db, monkeypatch) -> None:
    auth.add_user(db, "viewer1", "right-password", "viewer")
    slots = threading.BoundedSemaphore(auth.LOGIN_CONCURRENCY)
    monkeypatch.setattr(auth, "_verify_slots", slots)
    for _ in range(auth.LOGIN_CONCURRENCY):
        assert slots.acquire(blocking=False)  # the cap is taken by checks still running
    try:
        started = time.monotonic()
        with pytest.raises(auth.LoginBusy, match="繁忙") as exc:
            auth.authenticate(db, "viewer1", "right-password", "10.0.0.9")
        assert time.monotonic() - started < 1 and exc.value.retry_after > 0
    finally:
        for _ in range(auth.LOGIN_CONCURRENCY):
            slots.release()
    # Not checked, so not counted: the next try goes through.
    assert db.execute("SELECT COUNT(*) FROM login_attempts").fetchone()[0] == 0
    assert auth.authenticate(db, "viewer1", "right-password", "10.0.0.9") is not None


def test_the_overview_accounts_follow_the_same_rules_in_the_summary_store(tmp_path) -> None:
    # The provincial overview's accounts (docs/overview.md) are these functions over the fleet's summary store.
    from monitor.overview import accounts
    from monitor.overview.summary import open_summary

    db = open_summary(str(tmp_path))
    with pytest.raises(auth.AuthError, match="必须用 --school"):
        accounts.add_user(db, "office1", "password1", "school")
    with pytest.raises(auth.AuthError, match="集群文件中没有学校 'zzz'"):
        accounts.add_user(db, "office1", "password1", "school", "zzz", known={"hnu"})
    with pytest.raises(auth.AuthError, match="只有角色 school"):
        accounts.add_user(db, "prov", "password1", "province", "hnu")
    office = accounts.add_user(db, "office1", "password1", "school", "hnu", known={"hnu"})
    assert office.may_see("hnu") and not office.may_see("csu") and not office.is_province
    # The same back-off, also for log-ins without a client address (a Unix socket).
    for _ in range(auth.LOGIN_MAX_FAILURES):
        assert accounts.authenticate(db, "office1", "wrong-password", None) is None
    with pytest.raises(auth.RateLimited, match="分钟后再试"):
        accounts.authenticate(db, "office1", "password1", None)
    assert accounts.authenticate(db, "office1", "password1", "10.0.0.2") == office
    session = accounts.get_session(db, accounts.create_session(db, office, None))
    assert session is not None and session.user == office
    # The overview's own cookie key, kept in the summary store.
    key = accounts.secret_key(db)
    assert key == accounts.secret_key(db) != auth.secret_key(db)
    assert db.execute("SELECT value FROM meta WHERE key = 'overview_secret_key'").fetchone()[0] == key
    db.close()
