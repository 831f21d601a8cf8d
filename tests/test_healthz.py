"""`/healthz` for campus IT and the Docker HEALTHCHECK: no log-in, nothing about the school in it, no session, 200
while the database answers and 503 when it does not — over the TestClient and from a real `xxgk run`."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from monitor import auth, store
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app
from monitor.testbed.dashboard_bench import build_estate

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2019, 10, 15)


@pytest.fixture()
def estate(tmp_path):
    cfg_path = build_estate(tmp_path, pages=200, units=3, days=2, as_of=AS_OF)
    clock.set_now(AS_OF.isoformat())
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    auth.add_user(db, "admin", "admin-password", "admin")
    yield cfg, db
    clock.set_now(None)


def _counts(db) -> tuple[int, int]:
    return (db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM login_attempts").fetchone()[0])


def test_healthz_answers_without_login_and_says_nothing_else(estate) -> None:
    cfg, db = estate
    app = create_app(cfg)
    client = TestClient(app, base_url="https://testserver")
    before = _counts(db)
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["content-type"].startswith("application/json")
    assert "set-cookie" not in r.headers                      # no session, no log-in nonce
    assert cfg.school not in r.text and "示例" not in r.text    # no school name, no counts
    assert r.headers["cache-control"] == "private, no-store"   # the dashboard's usual headers
    assert _counts(db) == before                              # not a log-in, not a session
    assert "/healthz" not in app.openapi()["paths"]            # not part of the JSON API


def test_healthz_is_503_while_the_database_cannot_be_read(estate) -> None:
    cfg, _ = estate
    client = TestClient(create_app(cfg), base_url="https://testserver")
    path = cfg.database_path
    saved = path.read_bytes()
    try:
        path.write_bytes(b"this is not a database " * 300)   # a broken disk, a bad restore
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json() == {"status": "error"}
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json() == {"status": "error"}
        assert not path.exists()                               # the check never creates an empty database
    finally:
        path.write_bytes(saved)
    assert client.get("/healthz").json() == {"status": "ok"}


def _healthcheck_argv(port: int) -> list[str]:
    """The Dockerfile's HEALTHCHECK command, pointed at ``port``."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    m = re.search(r"^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$", text, re.M)
    assert m, "the Dockerfile has a HEALTHCHECK in exec form"
    argv = json.loads(m.group(1))
    assert argv[:2] == ["python", "-c"] and "curl" not in m.group(0)
    return [sys.executable, "-c", argv[2].replace("127.0.0.1:8000", f"127.0.0.1:{port}")]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_docker_healthcheck_against_a_real_service(estate, tmp_path) -> None:
    cfg, _ = estate
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "XXGK_NOW"}
    # The scan is a no-op stand-in: this test is about the dashboard the service serves.
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(cfg.path), "--port",
                             str(port), "--scan-every", "3600", "--digest-every", "3600",
                             "--scan-command", f"{shlex.quote(sys.executable)} -c pass", "--log-file",
                             str(tmp_path / "service.log"), "--log-format", "json"],
                            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the service never listened"
                time.sleep(0.2)
        check = subprocess.run(_healthcheck_argv(port), capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr
        log = (tmp_path / "service.log").read_text(encoding="utf-8")
        assert "healthz" not in log                            # probes every minute are not events
        cfg.database_path.rename(cfg.database_path.with_suffix(".moved"))
        check = subprocess.run(_healthcheck_argv(port), capture_output=True, text=True, timeout=30)
        assert check.returncode != 0 and "503" in check.stderr  # Docker marks the container unhealthy
    finally:
        proc.terminate()
        proc.wait(30)
    stopped = subprocess.run(_healthcheck_argv(port), capture_output=True, text=True, timeout=30)
    assert stopped.returncode != 0                               # nobody listening: unhealthy too
