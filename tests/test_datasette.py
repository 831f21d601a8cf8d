"""The shipped Datasette metadata (monitor/datasette/metadata.yaml): it names only tables and columns a migrated
database has, hides and closes the private tables, speaks the vocabulary's words, and its canned queries answer on a
demo-shaped store — in sqlite3, and through Datasette itself when it is installed (the dev extra installs it)."""
from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import tomllib
import zlib
from datetime import date
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml

from monitor import store
from monitor.core import clock, vocab
from monitor.datasette import DATABASE, METADATA
from monitor.testbed.dashboard_bench import build_estate

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2019, 10, 15)
PRIVATE = {"users", "sessions", "login_attempts", "meta", "scheduler_jobs"}
# Columns whose description lists codes with their words: (table, column) -> (vocabulary, codes it stores).
CODED = {
    ("scans", "status"): (vocab.SCAN_STATE, None), ("scans", "trigger"): (vocab.SCAN_TRIGGER, None),
    ("pages", "kind"): (vocab.KIND, ("article", "list", "attachment", "other")),
    ("matches", "target"): (vocab.KIND, ("column", "article", "entry", "attachment")),
    ("matches", "method"): (vocab.MATCH_METHOD, None), ("matches", "state"): (vocab.MATCH_STATE, None),
    ("assessments", "status"): (vocab.STATUS, None), ("notifications", "status"): (vocab.NOTIFY_STATE, None),
    ("notifications", "kind"): (vocab.NOTIFY_KIND, None), ("findings", "kind"): (vocab.PII_KIND, None),
    ("findings", "status"): (vocab.FINDING_STATE, None), ("link_checks", "category"): (vocab.LINK_CATEGORY, None),
}


def metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def db_meta() -> dict:
    return metadata()["databases"][DATABASE]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def test_every_table_and_column_named_exists_in_a_migrated_database(tmp_path) -> None:
    db = store.open_db(tmp_path / "xxgk.db")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    named = db_meta()["tables"]
    assert set(named) <= tables, set(named) - tables
    for table, spec in named.items():
        missing = set(spec.get("columns", {})) - _columns(db.conn, table)
        assert not missing, f"{table}: {missing}"
        assert set(spec.get("facets", [])) <= _columns(db.conn, table), table
    # Every table of the schema is either described in Chinese or hidden (FTS shadow tables follow theirs).
    virtual = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")}
    for table in tables:
        if table.startswith("sqlite_") or any(table.startswith(v + "_") for v in virtual):
            continue
        spec = named.get(table)
        assert spec is not None, f"{table}: add it to monitor/datasette/metadata.yaml (a title, or hidden)"
        assert spec.get("hidden") or re.search(r"[\u4e00-\u9fff]", spec.get("title", "")), table


def test_private_tables_are_hidden_and_closed_and_sql_is_for_root_only() -> None:
    tables = db_meta()["tables"]
    for table in PRIVATE:
        assert tables[table].get("hidden") is True and tables[table].get("allow") is False, table
        assert "columns" not in tables[table] and "title" not in tables[table]
    # An open SQL box could read any hidden table: only the root actor (datasette --root) gets one.
    assert db_meta()["allow_sql"] == {"id": "root"}
    assert not [q for q in db_meta()["queries"].values() if re.search(r"\b(users|sessions|meta|login_attempts|"
                                                                      r"scheduler_jobs)\b", q["sql"])]


def test_descriptions_and_query_labels_are_the_vocabularys_words() -> None:
    tables = db_meta()["tables"]
    for (table, column), (words, codes) in CODED.items():
        text = tables[table]["columns"][column]
        for code in codes or words.order:
            assert f"{code} {words.label[code]}" in text, (table, column, code)
    pairs = [(m.group(1), m.group(2)) for q in db_meta()["queries"].values()
             for m in re.finditer(r"WHEN '(\w+)' THEN '([^']+)'", q["sql"])]
    assert pairs
    for code, word in pairs:
        owner = vocab.PII_KIND if code in vocab.PII_KIND else vocab.KIND
        assert owner.label[code] == word, code


def _finding(db) -> None:
    """An ID number leaked in an article, found by the real check (monitor.compliance.check_pii)."""
    from monitor.compliance import findings as compliance
    from monitor.compliance.pii import id_check_char

    number = "11010519900307123" + id_check_char("11010519900307123")
    scan = db.execute("INSERT INTO scans (started_at, finished_at, status, trigger) VALUES (?, ?, 'done', 'test')",
                      (f"{AS_OF}T03:00:00+08:00", f"{AS_OF}T03:10:00+08:00")).lastrowid
    body = ("<html><head><meta charset='utf-8'><title>奖学金公示</title></head><body><div class='wp_articlecontent'>"
            f"<p>获奖学生：赵六，身份证号 {number}，请于三日内确认。</p></div></body></html>").encode()
    pid = db.execute("INSERT INTO pages (url, site, unit, kind, title, first_seen_scan, last_seen_scan, "
                     "last_fetch_scan, last_status, content_type) VALUES (?,?,?,?,?,?,?,?,200,?)",
                     ("http://xxgk.example.edu.cn/2019/1014/c9a1/page.htm", "http://xxgk.example.edu.cn/", "",
                      "article", "奖学金公示", scan, scan, scan, "text/html; charset=utf-8")).lastrowid
    db.execute("INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, status, content_type, snapshot, text)"
               " VALUES (?,?,?,?,200,?,?,?)", (pid, scan, f"{AS_OF}T03:05:00+08:00", "f", "text/html; charset=utf-8",
                                               zlib.compress(body), zlib.compress(f"获奖学生：赵六，身份证号 {number}".encode())))
    compliance.check_pii(db, scan)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("datasette")
    clock.set_now(AS_OF.isoformat())
    try:
        cfg_path = build_estate(work, pages=800, units=5, days=10, as_of=AS_OF)
        db_path = cfg_path.parent / "xxgk.db"
        db = store.open_db(db_path)
        _finding(db)
        db.conn.close()
    finally:
        clock.set_now(None)
    assert db_path.stem == DATABASE   # the default file name: Datasette calls it "xxgk", as the metadata does
    return db_path


def _run(db_path: Path, name: str) -> tuple[list[str], list[tuple]]:
    conn = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    try:
        cur = conn.execute(db_meta()["queries"][name]["sql"])
        return [c[0] for c in cur.description], cur.fetchall()
    finally:
        conn.close()


def test_canned_queries_answer_what_the_tables_say(demo_db) -> None:
    conn = sqlite3.connect(demo_db)
    day = conn.execute("SELECT MAX(as_of) FROM assessments").fetchone()[0]
    overdue = dict(conn.execute("SELECT COALESCE(unit, ''), COUNT(*) FROM assessments WHERE as_of = ? "
                                "AND status = 'overdue' GROUP BY COALESCE(unit, '')", (day,)).fetchall())
    cols, found = _run(demo_db, "overdue_by_unit")
    assert cols[:2] == ["责任单位", "逾期事项数"] and found
    assert {r[0]: r[1] for r in found} == overdue and [r[1] for r in found] == sorted(overdue.values(), reverse=True)
    assert all(r[4] == day for r in found)

    cols, found = _run(demo_db, "changes_this_week")
    latest = conn.execute("SELECT substr(MAX(started_at), 1, 10) FROM scans").fetchone()[0]
    week = conn.execute("SELECT COUNT(*) FROM versions WHERE substr(fetched_at, 1, 10) > date(?, '-7 days')",
                        (latest,)).fetchone()[0]
    older = conn.execute("SELECT COUNT(*) FROM versions WHERE substr(fetched_at, 1, 10) <= date(?, '-7 days')",
                         (latest,)).fetchone()[0]
    assert len(found) == week > 0 and older > 0            # the week, not the whole history
    assert {r[cols.index("变化")] for r in found} <= {"新页面", "内容变化"}
    assert {r[cols.index("类型")] for r in found} <= {vocab.KIND.label[k] for k in ("article", "list", "attachment",
                                                                                   "other")}

    cols, found = _run(demo_db, "open_findings")
    assert len(found) == conn.execute("SELECT COUNT(*) FROM findings WHERE status = 'open'").fetchone()[0] == 1
    row = dict(zip(cols, found[0]))
    assert row["类型"] == "身份证号" and "*" in row["内容（已遮盖）"] and "19900307" not in str(found[0])


def test_python_m_prints_the_shipped_file_and_the_package_ships_it() -> None:
    out = subprocess.run([sys.executable, "-m", "monitor.datasette"], capture_output=True, text=True, check=True,
                         cwd=str(ROOT))
    assert Path(out.stdout.strip()) == METADATA and METADATA.is_file()
    # `pip install .` (the Docker image, a campus server) carries it: pyproject's package data names it.
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert any(fnmatch(METADATA.name, pat) for pat in data.get("monitor.datasette", []))
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.startswith("datasette") for d in extras["optional-dependencies"]["datasette"])
    assert not any(d.startswith("datasette") for d in extras["dependencies"])   # never needed to run the product


def test_datasette_opens_the_database_with_the_metadata(demo_db) -> None:
    pytest.importorskip("datasette")
    from datasette.app import Datasette

    async def scenario() -> None:
        ds = Datasette([str(demo_db)], metadata=metadata())
        await ds.invoke_startup()
        r = await ds.client.get(f"/{DATABASE}/overdue_by_unit.json?_shape=objects")
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        assert rows and {"责任单位", "逾期事项数", "事项编号"} <= set(rows[0])
        assert [tuple(x.values())[:2] for x in rows] == [r[:2] for r in _run(demo_db, "overdue_by_unit")[1]]
        r = await ds.client.get(f"/{DATABASE}/open_findings.json?_shape=objects")
        assert r.status_code == 200 and r.json()["rows"][0]["类型"] == "身份证号"
        listing = (await ds.client.get(f"/{DATABASE}.json")).json()
        listed = {t["name"]: t["hidden"] for t in listing["tables"]}
        assert not PRIVATE & set(listed) and listed["pages"] is False   # closed tables are not even listed
        for table in PRIVATE:
            assert (await ds.client.get(f"/{DATABASE}/{table}.json")).status_code == 403, table
        # The secrets in meta cannot be read through an ad-hoc query either.
        assert (await ds.client.get(f"/{DATABASE}.json?sql=select+*+from+meta")).status_code == 403
        r = await ds.client.get(f"/{DATABASE}/assessments.json?_size=1&_facet=status")
        assert r.status_code == 200 and r.json()["rows"]
        r = await ds.client.get(f"/{DATABASE}/assessments")
        assert "事项状态评估" in r.text and "逾期" in r.text   # title and column descriptions on the table page

    asyncio.run(scenario())
