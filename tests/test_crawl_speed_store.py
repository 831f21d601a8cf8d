"""Issue 15, "Speed": a re-scan marks the pages it did not re-read in a few statements per batch.

A re-scan leaves most articles and files alone (checked recently, ``fresh``) and gets 304s for others; the store
marks them, their links, list entries and files as seen by the new scan with set-based statements per batch
(``PageWriter._touch_batch``) instead of five statements per page. What a user sees must not change: after the
re-scan every page, link, entry and linked file of those pages is part of the site as of that scan, and the
fetch fields of a page that was not fetched stay those of the fetch that really happened. More pages than one
statement takes (500) go into the batch. Real SQLite, and real PostgreSQL when one answers (skipped otherwise).
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator

import pytest

from crawler.extract.records import Entry, Link, PageRecord
from monitor.store import open_db, rows
from monitor.store.pages import PageWriter, start_scan
from tests.conftest import PG_URL, postgres_admin

ARTICLES = 620          # more than one statement's worth of ids (500)
SITE = "http://xxgk.example.edu.cn/"
FIRST, SECOND = "2019-10-15T02:30:00+08:00", "2019-10-16T02:30:00+08:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "sqlite":
        handle = open_db(tmp_path / "xxgk.db")
        yield handle
        handle.close()
        return
    admin = postgres_admin()
    schema = f"test_speed_{uuid.uuid4().hex[:10]}"
    handle = open_db(f"{PG_URL}?schema={schema}")
    try:
        yield handle
    finally:
        handle.close()
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


def _article(i: int) -> dict:
    url = f"{SITE}info/{i}.htm"
    record = PageRecord(url=url, title=f"通知{i}", kind="article", published="2019-10-01", published_source="label",
                        updated=None, updated_source=None, fingerprint=f"fp{i}", text="正文",
                        links=[Link(f"{SITE}info/{i + 1}.htm", "下一篇"), Link(f"{SITE}files/{i}.pdf", "附件")],
                        attachments=[Link(f"{SITE}files/{i}.pdf", "附件")])
    return {"type": "page", "url": url, "site": SITE, "unit": "", "depth": 2, "status": 200, "record": record,
            "body": f"<html>{i}</html>".encode(), "headers": {"Content-Type": "text/html"}, "etag": f'"{i}"'}


def _list() -> dict:
    url = f"{SITE}tzgg/list.htm"
    entries = [Entry(f"通知{i}", f"{SITE}info/{i}.htm", "2019-10-01", "list") for i in range(30)]
    record = PageRecord(url=url, title="通知公告", kind="list", published=None, published_source=None, updated=None,
                        updated_source=None, fingerprint="list", entries=entries,
                        links=[Link(e.url, e.title) for e in entries])
    return {"type": "page", "url": url, "site": SITE, "unit": "", "depth": 1, "status": 200, "record": record,
            "body": b"<html>list</html>", "headers": {"Content-Type": "text/html"}}


def _file(i: int) -> dict:
    url = f"{SITE}files/{i}.pdf"
    record = PageRecord(url=url, title=f"附件{i}.pdf", kind="attachment", published=None, published_source=None,
                        updated=None, updated_source=None, fingerprint=f"file{i}", text="附件正文")
    return {"type": "page", "url": url, "site": SITE, "unit": "", "depth": 3, "status": 200, "record": record,
            "body": b"%PDF-1.4", "headers": {"Content-Type": "application/pdf"}}


def test_a_rescan_marks_unfetched_pages_their_links_entries_and_files_seen(db) -> None:
    first = start_scan(db, "cli")
    writer = PageWriter(db, first, FIRST)
    writer.write([_list(), *(_article(i) for i in range(ARTICLES)), *(_file(i) for i in range(0, ARTICLES, 10))])

    second = start_scan(db, "cli")
    writer = PageWriter(db, second, SECOND)
    # one batch: the list answered 304, every article was checked recently (not fetched)
    writer.write([{"type": "not_modified", "url": f"{SITE}tzgg/list.htm", "status": 304},
                  *({"type": "fresh", "url": f"{SITE}info/{i}.htm"} for i in range(ARTICLES))])
    assert writer.counts["not_modified"] == 1 and writer.counts["pages_skipped"] == ARTICLES

    def count(sql: str) -> int:
        return int(rows(db, sql)[0]["n"])

    pages = count("SELECT count(*) AS n FROM pages")
    assert count(f"SELECT count(*) AS n FROM pages WHERE last_seen_scan = {second}") == pages  # files included
    assert count(f"SELECT count(*) AS n FROM links WHERE last_seen_scan <> {second}") == 0
    assert count(f"SELECT count(*) AS n FROM entries WHERE last_seen_scan <> {second}") == 0
    assert count(f"SELECT count(*) AS n FROM attachments WHERE last_seen_scan <> {second}") == 0
    listed = rows(db, "SELECT last_status, last_seen_at, last_fetch_scan FROM pages WHERE url = ?",
                  (f"{SITE}tzgg/list.htm",))[0]
    assert (listed["last_status"], listed["last_seen_at"], listed["last_fetch_scan"]) == (304, SECOND, second)
    # a page that was not fetched keeps the fetch that really happened
    article = rows(db, "SELECT last_status, last_seen_at, last_fetch_scan, etag FROM pages WHERE url = ?",
                   (f"{SITE}info/7.htm",))[0]
    assert (article["last_status"], article["last_seen_at"], article["last_fetch_scan"]) == (200, FIRST, first)
    assert article["etag"] == '"7"'
