"""Prometheus metrics (monitor/metrics.py): the exposition campus IT scrapes from `/metrics` and the node_exporter
textfile written after every scan (a real `xxgk scan` of the simulated university) and every digest of a real
`xxgk run` — the same numbers as the stored scans, assessments, deliveries and findings."""
from __future__ import annotations

import re
import stat
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from monitor import auth, metrics, store
from monitor.config import ConfigError, load_config
from monitor.core import clock
from monitor.core.vocab import NOTIFY_STATE, PII_KIND, SCAN_STATE, STATUS
from monitor.dashboard.app import create_app
from monitor.testbed.dashboard_bench import build_estate
from tests.conftest import run_xxgk
from tests.test_service import FAKE_SCAN, ServiceProc, write_config

AS_OF = date(2019, 10, 15)
TOKEN = "prometheus-scrape-token-42"
SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(?:,|$)')


def parse(text: str) -> dict[str, dict]:
    """A strict reader of the text format: every sample belongs to a family announced by HELP then TYPE."""
    families: dict[str, dict] = {}
    current = None
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            assert name not in families, f"{name} twice"
            current = families[name] = {"help": help_, "type": None, "samples": {}}
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert current is families.get(name) and kind in ("gauge", "counter"), line
            current["type"] = kind
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            labels_text = m.group("labels") or ""
            labels = dict(LABEL.findall(labels_text)) if labels_text else {}
            assert ",".join(f'{k}="{v}"' for k, v in labels.items()) == labels_text, line
            assert current is families.get(m.group("name")) and current["type"], line
            current["samples"][tuple(sorted(labels.items()))] = float(m.group("value"))
    return families


def value(families: dict, name: str, **labels: str) -> float | None:
    fam = families[name]
    for key, v in fam["samples"].items():
        if all(dict(key).get(k) == want for k, want in labels.items()):
            return v
    return None


@pytest.fixture()
def estate(tmp_path):
    cfg_path = build_estate(tmp_path, pages=400, units=4, days=5, as_of=AS_OF)
    data = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    data["units"][0]["contacts"] = [{"name": "王老师", "notify": "mailto://wang:pw@smtp.example.edu.cn"}]
    data["office"] = {"name": "校长办公室", "contacts": [{"name": "李主任", "notify": "json://localhost/xxgk"}]}
    data["metrics"] = {"token": TOKEN, "textfile": "collector/xxgk.prom"}
    cfg_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    clock.set_now(AS_OF.isoformat())
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    yield cfg, db
    clock.set_now(None)


def test_the_exposition_is_well_formed_and_says_what_the_database_says(estate) -> None:
    cfg, db = estate
    fams = parse(metrics.exposition(db, cfg))
    assert all(name.startswith("xxgk_") and f["help"] for name, f in fams.items())
    assert all(dict(k).get("school") == "示例大学" for f in fams.values() for k in f["samples"])
    assert all(name.endswith("_total") for name, f in fams.items() if f["type"] == "counter")
    day = db.execute("SELECT MAX(as_of) FROM assessments").fetchone()[0]
    for status in STATUS.order:
        stored = db.execute("SELECT COUNT(*) FROM assessments WHERE as_of = ? AND status = ?", (day, status)).fetchone()[0]
        assert value(fams, "xxgk_items", status=status) == stored, status
    assert sum(fams["xxgk_items"]["samples"].values()) == len(cfg.catalog_obj.items)
    last = store.rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")[0]
    assert value(fams, "xxgk_scan_last_result", state="done") == 1
    assert sum(fams["xxgk_scan_last_result"]["samples"].values()) == 1
    assert {dict(k)["state"] for k in fams["xxgk_scan_last_result"]["samples"]} == set(SCAN_STATE.order) - {"running"}
    assert value(fams, "xxgk_scan_last_pages_fetched") == last["pages_fetched"]
    assert value(fams, "xxgk_scan_last_errors") == last["errors"]
    assert value(fams, "xxgk_scan_running") == 0
    # 2019-10-15 02:30 → 03:40 in Shanghai (the estate's scan times)
    assert value(fams, "xxgk_scan_last_start_timestamp_seconds") == 1571077800
    assert value(fams, "xxgk_scan_last_finish_timestamp_seconds") == 1571077800 + 70 * 60
    assert value(fams, "xxgk_scan_last_success_timestamp_seconds") == 1571077800 + 70 * 60
    assert value(fams, "xxgk_scan_last_duration_seconds") == 70 * 60
    assert {dict(k)["status"] for k in fams["xxgk_notifications"]["samples"]} == set(NOTIFY_STATE.order)
    assert {dict(k)["kind"] for k in fams["xxgk_findings_open"]["samples"]} == set(PII_KIND.order)


def test_failed_deliveries_pending_retries_and_a_failed_scan_show(estate) -> None:
    from monitor.notify import run_notifications

    cfg, db = estate

    def sender(url: str, title: str, body: str) -> tuple[bool, str | None]:
        return (False, "SMTP 登录失败（535 认证错误）") if url.startswith("mailto://") else (True, None)

    result = run_notifications(db, cfg, as_of=AS_OF, sender=sender)
    assert result.failed and result.sent
    fams = parse(metrics.exposition(db, cfg))
    assert value(fams, "xxgk_notifications", status="failed") == len(result.failed)
    assert value(fams, "xxgk_notifications", status="sent") == len(result.sent)
    assert value(fams, "xxgk_notifications_pending_retries") == len(result.failed)
    from monitor.notify.deliver import TRIES_PER_RUN
    assert value(fams, "xxgk_notifications_failed_attempts_total") == TRIES_PER_RUN * len(result.failed)
    # A scan that fails after a good one: the result says so, the last success stays where it was.
    db.execute("INSERT INTO scans (started_at, finished_at, wall_started_at, status, trigger, errors, message) "
               "VALUES ('2019-10-16T02:30:00+08:00', '2019-10-16T02:31:00+08:00', '2019-10-16T02:30:00+08:00', "
               "'failed', 'schedule', 3, '抓取进程退出码 1')")
    fams = parse(metrics.exposition(db, cfg))
    assert value(fams, "xxgk_scan_last_result", state="failed") == 1
    assert value(fams, "xxgk_scan_last_result", state="done") == 0
    assert value(fams, "xxgk_scan_last_errors") == 3
    assert value(fams, "xxgk_scan_last_success_timestamp_seconds") == 1571077800 + 70 * 60
    # A scan that is running now: start time moves, the last finished result does not.
    db.execute("INSERT INTO scans (started_at, wall_started_at, status, trigger) "
               "VALUES ('2019-10-17T02:30:00+08:00', '2019-10-17T02:30:00+08:00', 'running', 'schedule')")
    fams = parse(metrics.exposition(db, cfg))
    assert value(fams, "xxgk_scan_running") == 1
    assert value(fams, "xxgk_scan_last_start_timestamp_seconds") == 1571077800 + 2 * 86400
    assert value(fams, "xxgk_scan_last_result", state="failed") == 1


def _login(app, username: str, password: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": password, "nonce": nonce, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


def test_metrics_route_takes_the_token_or_a_whole_school_session(estate) -> None:
    cfg, db = estate
    auth.add_user(db, "office", "office-password", "office")
    auth.add_user(db, "unit1", "unit1-password", "unit", "u01")
    app = create_app(cfg)
    anonymous = TestClient(app, base_url="https://testserver")
    r = anonymous.get("/metrics", follow_redirects=False)
    # A scraper gets a plain refusal, not the log-in page it would follow to an HTML 200.
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert "xxgk_" not in r.text and "请先登录" in r.text
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
    r = anonymous.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"] == metrics.CONTENT_TYPE
    assert r.text == metrics.exposition(db, cfg)      # the one computation the textfile writer uses too
    assert parse(r.text)["xxgk_items"]["samples"]
    assert _login(app, "office", "office-password").get("/metrics").status_code == 200
    r = _login(app, "unit1", "unit1-password").get("/metrics")
    assert r.status_code == 403 and "xxgk_" not in r.text
    assert "/metrics" not in app.openapi()["paths"]


def test_without_a_configured_token_no_bearer_is_accepted(estate, tmp_path) -> None:
    cfg, db = estate
    text = cfg.path.read_text(encoding="utf-8").replace(f"token: {TOKEN}", "token: null")
    cfg.path.write_text(text, encoding="utf-8")
    app = create_app(load_config(cfg.path))
    client = TestClient(app, base_url="https://testserver")
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer null"}).status_code == 401


def test_textfile_is_replaced_whole_and_readable_by_node_exporter(estate, caplog) -> None:
    cfg, db = estate
    path = metrics.textfile_path(cfg)
    assert path == cfg.base_dir / "collector" / "xxgk.prom"
    assert metrics.write_textfile(db, cfg) is None                        # no collector folder: logged, no raise
    assert [r.levelname for r in caplog.records if getattr(r, "event", None) == "metrics.failed"] == ["WARNING"]
    assert not path.parent.exists()                          # node_exporter's folder is not ours to create
    path.parent.mkdir()
    path.write_text("old\n", encoding="utf-8")
    assert metrics.write_textfile(db, cfg) == path
    assert parse(path.read_text(encoding="utf-8"))["xxgk_items"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["xxgk.prom"]   # no temporary file left behind


@pytest.mark.xdist_group("estate")
def test_a_real_scan_writes_the_textfile_also_when_it_times_out(estate_copy, tmp_path) -> None:
    collector = tmp_path / "collector"
    collector.mkdir()
    prom = collector / "xxgk.prom"
    with estate_copy.config_path.open("a", encoding="utf-8") as f:
        f.write(f"\nmetrics:\n  textfile: {prom}\n")
    out = run_xxgk("scan", "--config", str(estate_copy.config_path), "--timeout", "1", now="2020-01-11T03:00",
                   check=False)
    assert out.returncode != 0
    fams = parse(prom.read_text(encoding="utf-8"))
    assert value(fams, "xxgk_scan_last_result", state="timeout") == 1
    assert stat.S_IMODE(prom.stat().st_mode) == 0o644          # despite every command's umask 077
    run_xxgk("scan", "--config", str(estate_copy.config_path), now="2020-01-11T04:00")
    fams = parse(prom.read_text(encoding="utf-8"))
    cfg = estate_copy.config()
    db = store.open_db(cfg.database_path)
    last = store.rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")[0]
    assert last["status"] == "done" and value(fams, "xxgk_scan_last_result", state="done") == 1
    assert value(fams, "xxgk_scan_last_pages_fetched") == last["pages_fetched"]
    assert value(fams, "xxgk_scan_last_pages_not_modified") == last["not_modified"] > 0
    stored = store.rows(db, "SELECT status, COUNT(*) AS n FROM assessments WHERE as_of = '2020-01-11' GROUP BY status")
    assert {s: value(fams, "xxgk_items", status=s) for s in STATUS.order} == \
        {s: float(next((r["n"] for r in stored if r["status"] == s), 0)) for s in STATUS.order}


def test_the_service_rewrites_the_textfile_after_its_verdict_and_after_a_digest(tmp_path) -> None:
    (tmp_path / "prom").mkdir()
    config = write_config(tmp_path, textwrap.dedent("""
        metrics:
          textfile: prom/xxgk.prom
        office:
          contacts:
            - {name: 李主任, notify: "json://127.0.0.1:9/xxgk"}
        """))
    fake = tmp_path / "fake_scan.py"
    fake.write_text(FAKE_SCAN, encoding="utf-8")
    mode = tmp_path / "mode"
    mode.write_text("hang", encoding="utf-8")
    prom = tmp_path / "prom" / "xxgk.prom"
    svc = ServiceProc(tmp_path, config, "--scan-command", f"{sys.executable} {fake} {{config}} {mode}",
                      "--scan-every", "2", "--digest-every", "3600", "--scan-timeout", "1.5", "--stop-grace", "1")
    try:
        svc.wait_for(lambda e: e.get("event") == "scan.timeout" and "scan_id" in e, what="scan timeout record")
        # The stand-in scan writes no metrics: what is there is the service's own write after its verdict.
        svc.wait_for(lambda e: prom.exists() and value(parse(prom.read_text(encoding="utf-8")),
                                                       "xxgk_scan_last_result", state="timeout") == 1,
                     what="textfile after the timeout")
        assert svc.stop() == 0
        mode.write_text("ok", encoding="utf-8")
        svc = ServiceProc(tmp_path, config, "--scan-command", f"{sys.executable} {fake} {{config}} {mode}",
                          "--scan-every", "2", "--digest-every", "2", "--scan-timeout", "30", "--stop-grace", "1",
                          log_name="service2.log")
        svc.wait_for(lambda e: e.get("event") == "scan.done", timeout=30, what="a good scan")
        svc.wait_for(lambda e: e.get("event") == "digest.done" and e.get("failed"), timeout=60,
                     what="a digest whose delivery failed")
        fams = parse(prom.read_text(encoding="utf-8"))
        assert value(fams, "xxgk_notifications", status="failed") >= 1
        assert value(fams, "xxgk_notifications_pending_retries") >= 1
        assert value(fams, "xxgk_scan_last_result", state="done") == 1
        assert svc.stop() == 0
    finally:
        svc.kill()


def _config(tmp_path: Path, metrics_block: str) -> Path:
    path = tmp_path / "xxgk.yaml"
    path.write_text("school: 示例大学\ndisclosure_site: https://xxgk.example.edu.cn/\n" + metrics_block,
                    encoding="utf-8")
    return path


def test_metrics_settings_are_checked_with_file_line_and_field(tmp_path) -> None:
    assert load_config(_config(tmp_path, "")).metrics.textfile is None   # off by default
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, "metrics:\n  textfile: /var/lib/node_exporter/textfile_collector/xxgk.txt\n"))
    assert "xxgk.yaml:4: metrics.textfile:" in str(err.value) and ".prom" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, "metrics:\n  token: short-secret\n"))
    assert "xxgk.yaml:4: metrics.token:" in str(err.value) and "16" in str(err.value)
    assert "short-secret" not in str(err.value)              # a secret is never echoed
    cfg = load_config(_config(tmp_path, f"metrics:\n  textfile: prom/xxgk.prom\n  token: {TOKEN}\n"))
    assert metrics.textfile_path(cfg) == tmp_path / "prom" / "xxgk.prom" and cfg.metrics.token == TOKEN
