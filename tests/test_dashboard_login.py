"""The log-in under attack, over real HTTP (uvicorn on 127.0.0.1 standing in for the HTTPS reverse proxy,
which is listed in dashboard.trusted_proxies): concurrent guesses, back-off, the cap on concurrent password
checks, and whose X-Forwarded-For is believed."""
from __future__ import annotations

import re
import threading
import time
from datetime import date, timedelta

import httpx
import pytest
import uvicorn
import yaml
from fastapi.testclient import TestClient

from monitor import auth, store
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app
from monitor.testbed.dashboard_bench import build_estate

AS_OF = date(2019, 10, 15)
PASSWORD = "right-password"
pytestmark = pytest.mark.xdist_group("dashboard_login")


class Server:
    """uvicorn in a thread on a free 127.0.0.1 port."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off", proxy_headers=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("dash-login")
    cfg_path = build_estate(work, pages=200, units=3, days=2, as_of=AS_OF)
    data = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    data["dashboard"]["trusted_proxies"] = ["127.0.0.1", "10.9.0.0/16"]
    cfg_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    clock.set_now(AS_OF.isoformat())
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    for name in ("admin", "office", "viewer", "unit1"):
        auth.add_user(db, name, PASSWORD, "unit" if name == "unit1" else name, "u01" if name == "unit1" else None)
    auth._dummy_hash()  # made once up front, outside the counted checks
    app = create_app(cfg)
    with Server(app) as base:
        yield {"base": base, "db": db, "app": app}
    clock.set_now(None)


class CountingHasher:
    """The real argon2 hasher, counting password checks; ``gate`` (if set) holds each check until opened."""

    def __init__(self, real) -> None:
        self.real, self.calls, self.gate = real, 0, None
        self.entered = threading.Semaphore(0)
        self.lock = threading.Lock()

    def verify(self, hashed: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
        self.entered.release()
        if self.gate is not None:
            self.gate.wait(30)
        return self.real.verify(hashed, password)

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def check_needs_rehash(self, hashed: str) -> bool:
        return self.real.check_needs_rehash(hashed)


@pytest.fixture()
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


def form(base: str) -> tuple[str, str]:
    """(nonce, log-in cookie) of a fresh log-in form. The cookie is Secure, so over plain HTTP it is sent
    by hand, as a browser would to the HTTPS proxy."""
    page = httpx.get(f"{base}/login", timeout=30)
    return (re.search(r'name="nonce" value="([^"]+)"', page.text).group(1),
            re.search(r"xxgk_login=([^;]+)", page.headers["set-cookie"]).group(1))


def attempt(base: str, username: str, password: str, forwarded: str | None = None,
            prepared: tuple[str, str] | None = None, **headers: str) -> httpx.Response:
    nonce, cookie = prepared or form(base)
    headers = {k.replace("_", "-"): v for k, v in headers.items()} | {"Cookie": f"xxgk_login={cookie}"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return httpx.post(f"{base}/login", data={"username": username, "password": password, "nonce": nonce},
                      headers=headers, timeout=60, follow_redirects=False)


def logged_in(resp: httpx.Response) -> bool:
    return resp.status_code == 303 and "xxgk_session=" in resp.headers.get("set-cookie", "")


def recorded_ip(db, username: str) -> str | None:
    found = db.execute("SELECT ip FROM login_attempts WHERE username = ? ORDER BY id DESC LIMIT 1",
                       (username,)).fetchone()
    return found[0] if found else None


def test_thirty_concurrent_guesses_check_at_most_the_limit(site, hasher) -> None:
    base, attacker = site["base"], "198.51.100.7"
    prepared = [form(base) for _ in range(30)]
    start = threading.Barrier(30)
    answers: list[httpx.Response] = []

    def guess(p) -> None:
        start.wait()
        answers.append(attempt(base, "admin", "wrong-guess", attacker, prepared=p))

    threads = [threading.Thread(target=guess, args=(p,)) for p in prepared]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(answers) == 30
    assert hasher.calls <= auth.LOGIN_MAX_FAILURES, f"{hasher.calls} guesses were checked"
    codes = [r.status_code for r in answers]
    assert set(codes) <= {401, 429} and codes.count(401) == hasher.calls
    assert all(("登录失败次数过多" in r.text or "繁忙" in r.text) and r.headers["retry-after"]
               for r in answers if r.status_code == 429)
    # Keep the attacker failing from the proxy-forwarded address until the back-off holds it …
    for _ in range(auth.LOGIN_MAX_FAILURES):
        if attempt(base, "admin", "wrong-guess", attacker).status_code == 429:
            break
    refused = attempt(base, "admin", PASSWORD, attacker)
    assert refused.status_code == 429 and "分钟后再试" in refused.text
    # … while the real admin, coming through the same proxy from their own address, logs in.
    assert logged_in(attempt(base, "admin", PASSWORD, "203.0.113.20"))


def test_after_the_backoff_the_correct_password_works(site, hasher, monkeypatch) -> None:
    monkeypatch.setattr(auth, "BACKOFF_BASE", timedelta(seconds=2))  # real waits, kept short
    base, client = site["base"], "198.51.100.31"
    for _ in range(auth.LOGIN_MAX_FAILURES):
        assert attempt(base, "office", "wrong-guess", client).status_code == 401
    checked = hasher.calls
    waiting = attempt(base, "office", PASSWORD, client)
    assert waiting.status_code == 429 and "秒后再试" in waiting.text
    wait = int(waiting.headers["retry-after"])
    assert 1 <= wait <= 2 and hasher.calls == checked  # answered without checking the password
    time.sleep(wait + 0.3)
    assert logged_in(attempt(base, "office", PASSWORD, client))
    # Failing again: each failure past the free ones doubles the wait.
    for _ in range(auth.LOGIN_MAX_FAILURES):
        attempt(base, "office", "wrong-guess", client)
    time.sleep(2.3)
    assert attempt(base, "office", "wrong-guess", client).status_code == 401
    longer = attempt(base, "office", PASSWORD, client)
    assert longer.status_code == 429 and 2 < int(longer.headers["retry-after"]) <= 4


def test_more_concurrent_checks_than_the_cap_are_refused_at_once(site, hasher) -> None:
    base = site["base"]
    hasher.gate = threading.Event()
    held = [threading.Thread(target=attempt, args=(base, "viewer", "wrong-guess", f"198.51.100.{40 + i}"))
            for i in range(auth.LOGIN_CONCURRENCY)]
    try:
        for t in held:
            t.start()
        for _ in held:
            assert hasher.entered.acquire(timeout=30), "the held checks did not start"
        prepared = form(base)
        started = time.monotonic()
        busy = attempt(base, "viewer", PASSWORD, "198.51.100.49", prepared=prepared)
        elapsed = time.monotonic() - started
        assert busy.status_code == 429 and "繁忙" in busy.text and busy.headers["retry-after"]
        assert elapsed < 2, f"the refusal took {elapsed:.1f} s: it must not queue"
        assert hasher.calls == auth.LOGIN_CONCURRENCY
    finally:
        hasher.gate.set()
        for t in held:
            t.join(30)
    # The refused attempt was not checked and is not held against the user.
    assert logged_in(attempt(base, "viewer", PASSWORD, "198.51.100.49"))


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(site) -> None:
    base, db = site["base"], site["db"]
    # From the trusted proxy: the right-most address that is not a trusted proxy is the client;
    # what the client itself wrote further left is ignored.
    attempt(base, "xff-a", "guess-guess", "6.6.6.6, 198.51.100.60")
    assert recorded_ip(db, "xff-a") == "198.51.100.60"
    attempt(base, "xff-b", "guess-guess", "6.6.6.6, 198.51.100.61, 10.9.3.4")
    assert recorded_ip(db, "xff-b") == "198.51.100.61"
    attempt(base, "xff-c", "guess-guess", X_Real_IP="198.51.100.62")
    assert recorded_ip(db, "xff-c") == "198.51.100.62"
    attempt(base, "xff-d", "guess-guess")
    assert recorded_ip(db, "xff-d") == "127.0.0.1"
    # From anyone else the headers are ignored: the peer's own address counts.
    outsider = TestClient(site["app"], base_url="https://testserver", client=("203.0.113.50", 40000))
    nonce = re.search(r'name="nonce" value="([^"]+)"', outsider.get("/login").text).group(1)
    outsider.post("/login", data={"username": "xff-e", "password": "guess-guess", "nonce": nonce},
                  headers={"X-Forwarded-For": "198.51.100.63", "X-Real-IP": "198.51.100.64"})
    assert recorded_ip(db, "xff-e") == "203.0.113.50"


def test_forwarded_client_rules() -> None:
    import ipaddress

    from starlette.datastructures import Headers

    from monitor.dashboard.web import forwarded_client

    def h(*pairs: tuple[str, str]) -> Headers:
        return Headers(raw=[(k.encode(), v.encode()) for k, v in pairs])

    xff = "x-forwarded-for"
    trusted = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.9.0.0/16"),
               ipaddress.ip_network("fd00::/8"))
    assert forwarded_client("203.0.113.9", h((xff, "1.2.3.4")), trusted) == "203.0.113.9"
    assert forwarded_client("127.0.0.1", h((xff, "1.2.3.4")), ()) == "127.0.0.1"
    assert forwarded_client("127.0.0.1", h((xff, "1.2.3.4")), trusted) == "1.2.3.4"
    assert forwarded_client("127.0.0.1", h((xff, "9.9.9.9, 1.2.3.4"), (xff, "10.9.0.5")), trusted) == "1.2.3.4"
    assert forwarded_client("fd00::1", h((xff, "[2001:db8::5]:4711")), trusted) == "2001:db8::5"
    assert forwarded_client("127.0.0.1", h((xff, "1.2.3.4:5678")), trusted) == "1.2.3.4"
    assert forwarded_client("::ffff:127.0.0.1", h((xff, "1.2.3.4")), trusted) == "1.2.3.4"
    # Garbage written by a trusted hop is grouped under that hop; only trusted hops: the left-most.
    assert forwarded_client("127.0.0.1", h((xff, "unknown, 10.9.0.7")), trusted) == "10.9.0.7"
    assert forwarded_client("127.0.0.1", h((xff, "10.9.0.8, 10.9.0.7")), trusted) == "10.9.0.8"
    assert forwarded_client("127.0.0.1", h(("x-real-ip", "1.2.3.5")), trusted) == "1.2.3.5"
    assert forwarded_client("127.0.0.1", h(("x-real-ip", "nonsense")), trusted) == "127.0.0.1"
    assert forwarded_client("testclient", h((xff, "1.2.3.4")), trusted) == "testclient"
