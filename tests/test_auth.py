"""Accounts: hashing, roles, sessions, rate limits, and the `xxgk user` command."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
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
