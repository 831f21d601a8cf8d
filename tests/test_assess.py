"""Assessment from a real SQLite store: evidence, dates as of a day, precedence, rules, `xxgk status`."""
from __future__ import annotations

import json
import textwrap
from datetime import date

import pytest
from click.testing import CliRunner

from monitor.assess import assess_all, status_to_json, store_assessments
from monitor.cli import main
from monitor.config import load_config
from monitor.core.vocab import STATUS
from monitor.store import open_db, rows

D = date


class Estate:
    """Writes scans/pages/entries/attachments/matches rows the way the crawler and matcher do."""

    def __init__(self, tmp_path, extra_items: str = ""):
        self.path = tmp_path / "xxgk.yaml"
        self.path.write_text(textwrap.dedent("""\
            school: 测试大学
            disclosure_site: http://xxgk.test.edu.cn/
            office: {name: 党政办公室}
            units:
              - {id: zsb, name: 招生办公室, sites: ["http://zsb.test.edu.cn/"]}
              - {id: cwc, name: 财务处, sites: ["http://cwc.test.edu.cn/"]}
            items:
              "7": {unit: zsb}
              "19": {unit: cwc}
            """) + extra_items, encoding="utf-8")
        self.cfg = load_config(self.path)
        self.db = open_db(self.cfg.database_path)
        self.scans: dict[str, int] = {}

    def scan(self, day: str) -> int:
        sid = self.db["scans"].insert({"started_at": f"{day}T02:30:00+08:00", "status": "done"}).last_pk
        self.scans[day] = sid
        return sid

    def page(self, url: str, kind: str, *, scan: int, title: str | None = None, published: str | None = None,
             published_source: str | None = None, updated: str | None = None, fail_count: int = 0,
             last_status: int = 200, list_root_id: int | None = None) -> int:
        return self.db["pages"].insert({
            "url": url, "kind": kind, "title": title, "first_seen_scan": scan, "last_seen_scan": scan,
            "published": published, "published_source": published_source or ("label" if published else None),
            "updated": updated, "updated_source": "label" if updated else None, "fail_count": fail_count,
            "last_status": last_status, "list_root_id": list_root_id}).last_pk

    def entry(self, list_id: int, url: str, title: str, day: str | None, *, scan: int, source: str = "list") -> None:
        self.db["entries"].insert({"list_page_id": list_id, "url": url, "title": title, "date": day,
                                   "date_source": source if day else None, "first_seen_scan": scan,
                                   "last_seen_scan": scan})

    def attachment(self, page_id: int, url: str, name: str, *, scan: int, file_page_id: int | None = None) -> None:
        self.db["attachments"].insert({"page_id": page_id, "url": url, "name": name, "file_page_id": file_page_id,
                                       "first_seen_scan": scan, "last_seen_scan": scan})

    def version(self, page_id: int, scan: int, fetched_at: str, *, changed_after: str | None = None) -> None:
        self.db["versions"].insert({"page_id": page_id, "scan_id": scan, "fetched_at": fetched_at,
                                    "changed_after": changed_after, "fingerprint": fetched_at})

    def match(self, item: str, url: str, page_id: int | None, target: str = "column", state: str = "auto") -> None:
        self.db["matches"].insert({"item_id": item, "url": url, "page_id": page_id, "target": target,
                                   "score": 0.9, "reason": "测试", "state": state})

    def status(self, as_of: date) -> dict:
        return {s.id: s for s in assess_all(self.db, self.cfg, as_of)}


@pytest.fixture
def estate(tmp_path):
    e = Estate(tmp_path)
    yield e
    e.db.conn.close()


def test_nothing_matched_is_missing_and_review_matches_are_only_provisional(estate):
    s1 = estate.scan("2019-10-01")
    col = estate.page("http://xxgk.test.edu.cn/ndbg/list.htm", "list", scan=s1, title="信息公开年度报告")
    estate.entry(col, "http://xxgk.test.edu.cn/2018/1020/c1a1/page.htm", "2017-2018学年信息公开年度报告",
                 "2018-10-20", scan=s1)
    estate.match("6", "http://xxgk.test.edu.cn/ndbg/list.htm", col, state="review")
    st = estate.status(D(2019, 10, 15))
    assert len(st) == 50
    # a candidate awaiting review is not absence: judged from it, provisionally (tests/test_review_candidates.py)
    assert st["6"].status == "due_soon" and st["6"].provisional
    assert st["6"].reason.startswith("依据待确认的候选栏目暂定：")
    assert not st["1"].provisional
    assert st["1"].status == "missing" and st["1"].reason
    assert st["7"].unit == "zsb" and st["7"].unit_name == "招生办公室"
    assert st["1"].unit is None and st["1"].unit_name == "党政办公室"


def test_annual_report_column_as_of_different_days(estate):
    s1 = estate.scan("2019-10-01")
    col = estate.page("http://xxgk.test.edu.cn/ndbg/list.htm", "list", scan=s1, title="信息公开年度报告")
    estate.entry(col, "http://xxgk.test.edu.cn/2018/1020/c1a1/page.htm", "2017-2018学年信息公开年度报告",
                 "2018-10-20", scan=s1)
    estate.match("6", "http://xxgk.test.edu.cn/ndbg/list.htm", col, state="confirmed")
    s2 = estate.scan("2019-11-02")
    estate.entry(col, "http://xxgk.test.edu.cn/2019/1030/c1a2/page.htm", "2018-2019学年信息公开年度报告",
                 "2019-10-30", scan=s2)

    before = estate.status(D(2019, 10, 15))["6"]
    assert before.status == "due_soon" and before.due == "2019-10-31"
    assert before.last_changed == "2018-10-20" and before.last_changed_source == "list"
    assert [e.date for e in before.evidence] == ["2018-10-20"]       # the 2019 entry was not seen yet
    assert before.columns == ["http://xxgk.test.edu.cn/ndbg/list.htm"]

    # the scan of 11-02 is after 11-01: its entry is unknown then, so the item is overdue
    late = estate.status(D(2019, 11, 1))["6"]
    assert late.status == "overdue" and "逾期1天" in late.reason

    after = estate.status(D(2019, 11, 5))["6"]
    assert after.status == "ok" and after.last_changed == "2019-10-30"
    assert after.evidence[0].kind == "entry" and after.evidence[0].via == "http://xxgk.test.edu.cn/ndbg/list.htm"


def test_article_dates_attachments_and_future_dates(estate):
    s1 = estate.scan("2019-04-15")
    art = estate.page("http://cwc.test.edu.cn/2019/0410/c5a9/page.htm", "article", scan=s1, title="2019年部门预算公开",
                      published="2019-04-10", updated="2019-12-01")   # the update is after the as-of days
    pdf = estate.page("http://cwc.test.edu.cn/_upload/article/files/ys2019.pdf", "attachment", scan=s1,
                      title="ys2019.pdf")
    estate.attachment(art, "http://cwc.test.edu.cn/_upload/article/files/ys2019.pdf", "2019年预算表.pdf",
                      scan=s1, file_page_id=pdf)
    estate.match("19", "http://cwc.test.edu.cn/2019/0410/c5a9/page.htm", art, target="article")
    st = estate.status(D(2019, 5, 1))["19"]
    assert st.status == "ok" and st.last_changed == "2019-04-10" and st.last_changed_source == "label"
    by_kind = {e.kind: e for e in st.evidence}
    assert by_kind["attachment"].date == "2019-04-10" and by_kind["attachment"].date_source == "linking"
    assert by_kind["attachment"].title == "2019年预算表.pdf"
    assert estate.status(D(2019, 12, 5))["19"].last_changed == "2019-12-01"
    # a year later nothing new was published in the 2020 window
    assert estate.status(D(2020, 7, 1))["19"].status == "overdue"


def test_blank_undated_unreachable_and_kind_exceptions(estate):
    s1 = estate.scan("2019-10-01")
    empty = estate.page("http://xxgk.test.edu.cn/zsjh/list.htm", "list", scan=s1, title="招生计划")
    estate.match("7", "http://xxgk.test.edu.cn/zsjh/list.htm", empty)
    event_col = estate.page("http://xxgk.test.edu.cn/tfsj/list.htm", "list", scan=s1, title="突发事件")
    estate.match("50", "http://xxgk.test.edu.cn/tfsj/list.htm", event_col)
    undated = estate.page("http://xxgk.test.edu.cn/info/1011/2.htm", "article", scan=s1, title="学生资助政策")
    estate.match("37", "http://xxgk.test.edu.cn/info/1011/2.htm", undated, target="article")
    charter = estate.page("http://xxgk.test.edu.cn/info/1001/1.htm", "article", scan=s1, title="学校章程")
    estate.match("2", "http://xxgk.test.edu.cn/info/1001/1.htm", charter, target="article")
    down = estate.page("http://yjs.test.edu.cn/zsjz/list.htm", "list", scan=s1, title="招生简章", fail_count=2,
                       last_status=503)
    estate.match("11", "http://yjs.test.edu.cn/zsjz/list.htm", down)
    once = estate.page("http://yjs.test.edu.cn/fscj/list.htm", "list", scan=s1, title="复试成绩", fail_count=1)
    estate.entry(once, "http://yjs.test.edu.cn/info/1/1.htm", "2019年复试成绩", "2019-03-20", scan=s1)
    estate.match("12", "http://yjs.test.edu.cn/fscj/list.htm", once)

    st = estate.status(D(2019, 10, 15))
    assert st["7"].status == "blank"
    assert st["50"].status == "ok" and "事件" in st["50"].reason
    assert st["37"].status == "undated"
    assert st["2"].status == "ok"                      # static items need no date
    assert st["11"].status == "unreachable" and "503" in st["11"].reason
    assert st["12"].status == "ok"                      # one failed fetch is not "down"
    for s in st.values():
        assert s.status in STATUS.label and s.reason


def test_observed_change_dates_an_undated_page(estate):
    s1 = estate.scan("2019-03-01")
    page = estate.page("http://xxgk.test.edu.cn/info/1011/3.htm", "article", scan=s1, title="奖助学金管理规定")
    estate.version(page, s1, "2019-03-01T02:40:00+08:00")
    estate.match("37", "http://xxgk.test.edu.cn/info/1011/3.htm", page, target="article")
    assert estate.status(D(2019, 6, 1))["37"].status == "undated"     # first sighting is not a dated change
    s2 = estate.scan("2019-09-10")
    estate.version(page, s2, "2019-09-10T02:41:00+08:00", changed_after="2019-09-09T02:40:00+08:00")
    st = estate.status(D(2019, 10, 1))["37"]
    assert st.status == "ok" and st.last_changed == "2019-09-10" and st.last_changed_source == "observed"
    assert estate.status(D(2019, 6, 1))["37"].status == "undated"     # the change was not known then


def test_column_entries_under_matched_column_bring_articles_and_files(estate):
    s1 = estate.scan("2019-04-02")
    col = estate.page("http://zsb.test.edu.cn/zszc/list.htm", "list", scan=s1, title="招生章程")
    page2 = estate.page("http://zsb.test.edu.cn/zszc/list2.htm", "list", scan=s1, title="招生章程", list_root_id=col)
    art = estate.page("http://zsb.test.edu.cn/2019/0401/c7a1/page.htm", "article", scan=s1,
                      title="2019年本科招生章程", published="2019-04-01")
    estate.entry(col, "http://zsb.test.edu.cn/2019/0401/c7a1/page.htm", "2019年本科招生章程", None, scan=s1)
    estate.entry(col, "http://zsb.test.edu.cn/2018/0330/c7a0/page.htm", "2018年本科招生章程", "2018-03-30", scan=s1)
    estate.attachment(art, "http://zsb.test.edu.cn/_upload/zc2019.pdf", "章程.pdf", scan=s1)
    # another item's article listed in the same column is not this item's evidence
    estate.entry(col, "http://zsb.test.edu.cn/2019/0402/c7a3/page.htm", "2019年录取分数线", "2019-04-02", scan=s1)
    estate.match("9", "http://zsb.test.edu.cn/2019/0402/c7a3/page.htm", None, target="entry")
    estate.match("7", "http://zsb.test.edu.cn/zszc/list2.htm", page2)      # matched through its second page

    st = estate.status(D(2019, 4, 20))
    s7 = st["7"]
    urls = {e.url: e for e in s7.evidence}
    assert "http://zsb.test.edu.cn/2019/0402/c7a3/page.htm" not in urls
    assert urls["http://zsb.test.edu.cn/2019/0401/c7a1/page.htm"].date == "2019-04-01"
    assert urls["http://zsb.test.edu.cn/_upload/zc2019.pdf"].date == "2019-04-01"
    assert s7.last_changed == "2019-04-01" and s7.status == "ok"
    assert s7.columns == ["http://zsb.test.edu.cn/zszc/list.htm"]
    s9 = st["9"]
    assert s9.status == "ok" and s9.last_changed == "2019-04-02"  # within the cycle of the 2018 window
    assert s9.evidence[0].kind == "entry"


def test_on_change_uses_config_change_dates(tmp_path):
    e = Estate(tmp_path, extra_items='  "15": {changes: ["2019-09-27"]}\n')
    try:
        s1 = e.scan("2019-09-01")
        art = e.page("http://cwc.test.edu.cn/info/1/1.htm", "article", scan=s1, title="财务管理办法",
                     published="2018-05-01")
        e.match("15", "http://cwc.test.edu.cn/info/1/1.htm", art, target="article")
        assert e.status(D(2019, 9, 20))["15"].status == "ok"
        st = e.status(D(2019, 10, 30))["15"]
        assert st.status == "due_soon" and st.due == "2019-10-30"
        st = e.status(D(2019, 10, 31))["15"]
        assert st.status == "overdue" and "2019-09-27" in st.reason
    finally:
        e.db.conn.close()


def test_store_assessments_upserts_one_row_per_item_and_day(estate):
    s1 = estate.scan("2019-10-01")
    statuses = assess_all(estate.db, estate.cfg, D(2019, 10, 15))
    store_assessments(estate.db, statuses, D(2019, 10, 15), s1)
    store_assessments(estate.db, statuses, D(2019, 10, 15), s1)
    found = rows(estate.db, "SELECT item_id, status, unit FROM assessments WHERE as_of = '2019-10-15'")
    assert len(found) == 50
    assert {r["status"] for r in found} == {"missing"}
    assert next(r for r in found if r["item_id"] == "7")["unit"] == "zsb"
    doc = status_to_json(statuses[0])
    assert {"id", "category", "title", "unit", "status", "reason", "last_changed", "last_changed_source", "due",
            "evidence"} <= set(doc)


def test_ignored_items_are_not_assessed(tmp_path):
    e = Estate(tmp_path, extra_items='  "34": {ignore: true}\n')
    try:
        st = e.status(D(2019, 10, 15))
        assert "34" not in st and len(st) == 49
    finally:
        e.db.conn.close()


# ---------------------------------------------------------------- xxgk status

def _populated(tmp_path) -> Estate:
    e = Estate(tmp_path)
    s1 = e.scan("2019-10-01")
    col = e.page("http://xxgk.test.edu.cn/ndbg/list.htm", "list", scan=s1, title="信息公开年度报告")
    e.entry(col, "http://xxgk.test.edu.cn/2018/1020/c1a1/page.htm", "2017-2018学年信息公开年度报告",
            "2018-10-20", scan=s1)
    e.match("6", "http://xxgk.test.edu.cn/ndbg/list.htm", col)
    zs = e.page("http://zsb.test.edu.cn/zszc/list.htm", "list", scan=s1, title="招生章程")
    e.entry(zs, "http://zsb.test.edu.cn/2019/0401/c7a1/page.htm", "2019年招生章程", "2019-04-01", scan=s1)
    e.match("7", "http://zsb.test.edu.cn/zszc/list.htm", zs)
    e.db.conn.close()
    return e


def test_status_command_table_and_json(tmp_path):
    e = _populated(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["status", "--config", str(e.path), "--as-of", "2019-10-15"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "测试大学" in out and "截至 2019-10-15" in out
    assert "【1】基本信息" in out and "【2】招生考试信息" in out
    assert "事项" in out and "状态" in out and "最近更新" in out
    assert "即将到期 1" in out and "缺失 48" in out and "正常 1" in out

    res = runner.invoke(main, ["status", "--config", str(e.path), "--as-of", "2019-10-15", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    item6 = next(x for x in doc if x["id"] == "6")
    assert item6["status"] == "due_soon" and item6["due"] == "2019-10-31"
    assert item6["evidence"][0] == {"url": "http://xxgk.test.edu.cn/2018/1020/c1a1/page.htm",
                                    "title": "2017-2018学年信息公开年度报告", "date": "2018-10-20",
                                    "date_source": "list", "kind": "entry",
                                    "via": "http://xxgk.test.edu.cn/ndbg/list.htm"}

    res = runner.invoke(main, ["status", "--config", str(e.path), "--as-of", "2019-11-15", "--json",
                               "--status", "overdue,正常", "--unit", "zsb"])
    assert res.exit_code == 0, res.output
    assert [(x["id"], x["status"]) for x in json.loads(res.output)] == [("7", "ok")]
    res = runner.invoke(main, ["status", "--config", str(e.path), "--as-of", "2019-11-15", "--json",
                               "--category", "1", "--status", "overdue"])
    assert [x["id"] for x in json.loads(res.output)] == ["6"]

    # the clock decides "today" when --as-of is absent
    res = runner.invoke(main, ["--now", "2019-10-15", "status", "--config", str(e.path), "--json"])
    assert next(x for x in json.loads(res.output) if x["id"] == "6")["status"] == "due_soon"


@pytest.mark.parametrize("args,fragment", [
    (["--as-of", "2019-13-01"], "--as-of 应为 YYYY-MM-DD"),
    (["--status", "late"], "未知的状态"),
    (["--unit", "nope"], "没有 id 为 \"nope\" 的单位"),
    (["--category", "99"], "没有类别"),
])
def test_status_command_user_mistakes(tmp_path, args, fragment):
    e = _populated(tmp_path)
    res = CliRunner().invoke(main, ["status", "--config", str(e.path), *args])
    assert res.exit_code == 2
    assert fragment in res.output and "Traceback" not in res.output


def test_status_command_without_database(tmp_path):
    path = tmp_path / "xxgk.yaml"
    path.write_text("school: 测试大学\ndisclosure_site: http://xxgk.test.edu.cn/\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["status", "--config", str(path)])
    assert res.exit_code == 2 and "请先运行 xxgk scan" in res.output


def test_new_file_on_an_old_article_dates_the_item(estate):
    s1 = estate.scan("2019-05-01")
    art = estate.page("http://xxgk.test.edu.cn/2017/0301/c9a1/page.htm", "article", scan=s1, title="收费标准公示",
                      published="2017-03-01")
    old = estate.page("http://xxgk.test.edu.cn/_upload/sf2017.pdf", "attachment", scan=s1, published="2017-02-20",
                      published_source="meta")
    new = estate.page("http://xxgk.test.edu.cn/_upload/sf2019.xlsx", "attachment", scan=s1, published="2019-04-12",
                      published_source="meta")
    http_only = estate.page("http://xxgk.test.edu.cn/_upload/x.doc", "attachment", scan=s1, published="2019-04-30",
                            published_source="http")
    for url, pid in (("sf2017.pdf", old), ("sf2019.xlsx", new), ("x.doc", http_only)):
        estate.attachment(art, f"http://xxgk.test.edu.cn/_upload/{url}", url, scan=s1, file_page_id=pid)
    estate.match("21", "http://xxgk.test.edu.cn/2017/0301/c9a1/page.htm", art, target="article")
    st = estate.status(D(2019, 5, 1))["21"]
    by_url = {e.url.rsplit("/", 1)[1]: e for e in st.evidence}
    assert (by_url["sf2017.pdf"].date, by_url["sf2017.pdf"].date_source) == ("2017-03-01", "linking")
    assert (by_url["sf2019.xlsx"].date, by_url["sf2019.xlsx"].date_source) == ("2019-04-12", "meta")
    assert by_url["x.doc"].date == "2017-03-01"
    assert st.last_changed == "2019-04-12" and st.last_changed_source == "meta"


def test_pointer_columns_and_list_cycles(estate):
    # the disclosure site's column only points at the unit site's column, which links back
    s1 = estate.scan("2019-05-01")
    pointer = estate.page("http://xxgk.test.edu.cn/zsxx/list.htm", "list", scan=s1, title="招生信息")
    unit_col = estate.page("http://zsb.test.edu.cn/zszc/list.htm", "list", scan=s1, title="招生章程")
    estate.entry(pointer, "http://zsb.test.edu.cn/zszc/list.htm", "招生章程（招生网）", None, scan=s1)
    estate.entry(pointer, "http://xxgk.test.edu.cn/zsxx/list.htm", "招生信息", None, scan=s1)
    estate.entry(unit_col, "http://xxgk.test.edu.cn/zsxx/list.htm", "返回信息公开网", None, scan=s1)
    estate.entry(unit_col, "http://zsb.test.edu.cn/info/1/9.htm", "2019年本科招生章程", "2019-04-28", scan=s1)
    estate.match("7", "http://xxgk.test.edu.cn/zsxx/list.htm", pointer)
    st = estate.status(D(2019, 5, 1))["7"]
    assert st.status == "ok" and st.last_changed == "2019-04-28"
    assert any(e.via == "http://zsb.test.edu.cn/zszc/list.htm" for e in st.evidence)


def test_pointer_to_an_empty_column_is_blank(estate):
    s1 = estate.scan("2019-05-01")
    pointer = estate.page("http://xxgk.test.edu.cn/ysgk/list.htm", "list", scan=s1, title="预算公开")
    empty = estate.page("http://cwc.test.edu.cn/ysgk/list.htm", "list", scan=s1, title="预算公开")
    estate.entry(pointer, "http://cwc.test.edu.cn/ysgk/list.htm", "预算公开（财务处）", None, scan=s1)
    estate.match("19", "http://xxgk.test.edu.cn/ysgk/list.htm", pointer)
    assert empty and estate.status(D(2019, 5, 1))["19"].status == "blank"


def test_status_command_lists_evidence_on_request(tmp_path):
    e = _populated(tmp_path)
    res = CliRunner().invoke(main, ["status", "--config", str(e.path), "--as-of", "2019-10-15", "--unit", "zsb",
                                    "--evidence", "2"])
    assert res.exit_code == 0, res.output
    assert "· 2019-04-01 〔栏目条目〕2019年招生章程 http://zsb.test.edu.cn/2019/0401/c7a1/page.htm" in res.output


def test_article_label_beats_a_guessed_list_year_and_observed_changes_are_a_last_resort(estate):
    s1 = estate.scan("2020-01-10")
    col = estate.page("http://jwc.test.edu.cn/jxsj/", "article", scan=s1, title="教学数据")   # a list read as a page
    estate.version(col, s1, "2019-06-15T12:00:00+08:00")
    estate.version(col, s1, "2019-10-15T12:00:00+08:00", changed_after="2019-06-15T12:00:00+08:00")
    lst = estate.page("http://jwc.test.edu.cn/jxsj/list.htm", "list", scan=s1, title="教学数据")
    art = estate.page("http://jwc.test.edu.cn/content/2018/10501.html", "article", scan=s1,
                      title="2018年教授主讲本科课程情况统计", published="2018-12-04")
    # the list showed "[12-04]" and the year was guessed wrong
    estate.entry(lst, "http://jwc.test.edu.cn/content/2018/10501.html", "2018年教授主讲本科课程情况统计", "2019-12-04",
                 scan=s1)
    estate.match("30", "http://jwc.test.edu.cn/jxsj/", col)
    estate.match("30", "http://jwc.test.edu.cn/jxsj/list.htm", lst)
    st = estate.status(D(2020, 1, 10))["30"]
    assert art and st.last_changed == "2018-12-04" and st.last_changed_source == "label"
    assert st.status == "overdue"          # the 2019 figures were due by 2019-12-31
    observed = next(e for e in st.evidence if e.url == "http://jwc.test.edu.cn/jxsj/")
    assert (observed.date, observed.date_source) == ("2019-10-15", "observed")   # shown, but not counted


def test_single_article_column_that_later_became_a_list(estate):
    s1 = estate.scan("2019-06-15")
    col = estate.page("http://xxgk.test.edu.cn/3053/list.htm", "list", scan=s1, title="学位授权点申报")
    # in June the column held one article and rendered as it; its version kept that article's date
    estate.db["versions"].insert({"page_id": col, "scan_id": s1, "fetched_at": "2019-06-15T12:00:00+08:00",
                                  "fingerprint": "a", "published": "2017-06-20", "published_source": "label"})
    s2 = estate.scan("2019-10-15")
    estate.entry(col, "http://xxgk.test.edu.cn/2019/0618/c3053a2/page.htm", "新增学位点论证材料", "2019-06-18", scan=s2)
    estate.match("46", "http://xxgk.test.edu.cn/3053/list.htm", col)
    assert estate.status(D(2019, 6, 15))["46"].last_changed == "2017-06-20"
    assert estate.status(D(2019, 10, 15))["46"].last_changed == "2019-06-18"


# ---------------------------------------------------------------- page history and known_by

def _fetched(estate, page_id: int, scan: int, fetched_at: str, *, published: str | None = None,
             updated: str | None = None, changed_after: str | None = None) -> None:
    """One successful fetch that stored a version (new or changed content), as the pipeline does:
    the version keeps what the page showed, the page row is overwritten with the latest state."""
    estate.db["versions"].insert({"page_id": page_id, "scan_id": scan, "fetched_at": fetched_at,
                                  "changed_after": changed_after, "fingerprint": fetched_at,
                                  "published": published, "published_source": "label" if published else None,
                                  "updated": updated, "updated_source": "label" if updated else None})
    estate.db["pages"].update(page_id, {"published": published, "published_source": "label" if published else None,
                                        "updated": updated, "updated_source": "label" if updated else None,
                                        "last_seen_scan": scan, "last_seen_at": fetched_at, "last_fetch_scan": scan})


def test_a_page_updated_twice_keeps_its_earlier_update_and_replays_stay_honest(tmp_path):
    # The leadership page (a single-article column) was updated in January; the leadership changed
    # on 2019-09-20 and the page was updated again (dated 10-10), first seen by the scan of 11-15.
    e = Estate(tmp_path, extra_items='  "1": {changes: ["2019-09-20"]}\n')
    try:
        s1 = e.scan("2019-06-15")
        url = "http://xxgk.test.edu.cn/3003/list.htm"
        page = e.page(url, "article", scan=s1, title="校级领导班子简介及分工")
        _fetched(e, page, s1, "2019-06-15T03:00:00+08:00", published="2017-03-01", updated="2019-01-15")
        e.match("1", url, page)
        s2 = e.scan("2019-11-15")
        _fetched(e, page, s2, "2019-11-15T03:00:00+08:00", published="2017-03-01", updated="2019-10-10",
                 changed_after="2019-06-15T03:00:00+08:00")

        # the page row now only shows 10-10; the January update survives in the first version
        year_end = e.status(D(2019, 8, 31))["1"]
        assert (year_end.last_changed, year_end.last_changed_source) == ("2019-01-15", "label")
        assert [(ev.url, ev.date) for ev in year_end.evidence] == [(url, "2019-01-15")]
        late = assess_all(e.db, e.cfg, D(2019, 8, 31), known_by=D(2020, 1, 10))
        assert next(s for s in late if s.id == "1").last_changed == "2019-01-15"

        # on 10-20 nobody had seen the 10-10 update yet: the change of 09-20 was still unanswered
        then = e.status(D(2019, 10, 20))["1"]
        assert then.last_changed == "2019-01-15" and then.status == "due_soon" and "2019-09-20" in then.reason
        # judged with what we know now, the page was updated on 10-10, within 20 working days
        now = {s.id: s for s in assess_all(e.db, e.cfg, D(2019, 10, 20), known_by=D(2019, 11, 20))}["1"]
        assert (now.status, now.last_changed) == ("ok", "2019-10-10")
        assert e.status(D(2019, 11, 20))["1"].last_changed == "2019-10-10"
    finally:
        e.db.conn.close()


def test_known_by_keeps_pages_first_seen_after_the_day_when_dated_before_it(estate):
    s1 = estate.scan("2019-06-15")
    col = estate.page("http://cwc.test.edu.cn/ysgk/list.htm", "list", scan=s1, title="预算公开")
    estate.match("19", "http://cwc.test.edu.cn/ysgk/list.htm", col)
    s2 = estate.scan("2019-10-15")   # monitoring of the finance site's article started in October
    art = estate.page("http://cwc.test.edu.cn/2019/0410/c5a9/page.htm", "article", scan=s2,
                      title="2019年部门预算公开", published="2019-04-10")
    estate.entry(col, "http://cwc.test.edu.cn/2019/0410/c5a9/page.htm", "2019年部门预算公开", "2019-04-10", scan=s2)
    assert art
    assert estate.status(D(2019, 8, 31))["19"].status == "blank"      # what the monitor knew on 08-31
    st = {s.id: s for s in assess_all(estate.db, estate.cfg, D(2019, 8, 31), known_by=D(2019, 10, 20))}["19"]
    assert (st.status, st.last_changed, st.due) == ("ok", "2019-04-10", "2020-05-31")
    # what is dated after the as-of day stays out even when known
    later = estate.page("http://cwc.test.edu.cn/2019/0915/c5a10/page.htm", "article", scan=s2,
                        title="2019年预算调整", published="2019-09-15")
    estate.entry(col, "http://cwc.test.edu.cn/2019/0915/c5a10/page.htm", "2019年预算调整", "2019-09-15", scan=s2)
    st = {s.id: s for s in assess_all(estate.db, estate.cfg, D(2019, 8, 31), known_by=D(2019, 10, 20))}["19"]
    assert later and [ev.date for ev in st.evidence] == ["2019-04-10"]


def test_unreachable_is_judged_on_the_fetches_up_to_the_as_of_day(estate):
    s1 = estate.scan("2019-06-15")
    url = "http://cwc.test.edu.cn/ysgk/list.htm"
    col = estate.page(url, "list", scan=s1, title="预算公开")
    estate.entry(col, "http://cwc.test.edu.cn/2019/0410/c5a9/page.htm", "2019年部门预算公开", "2019-04-10", scan=s1)
    estate.match("19", url, col)
    s2, s3 = estate.scan("2019-10-15"), estate.scan("2019-11-15")
    for sid, day in ((s2, "2019-10-15"), (s3, "2019-11-15")):    # the finance site went down in October
        estate.db["fetch_errors"].insert({"scan_id": sid, "url": url, "status": 503, "error": None,
                                          "at": f"{day}T03:00:00+08:00"})
    estate.db["pages"].update(col, {"fail_count": 2, "last_fetch_scan": s3, "last_status": 503})

    now = estate.status(D(2019, 11, 20))["19"]
    assert now.status == "unreachable" and "503" in now.reason
    assert estate.status(D(2019, 10, 20))["19"].status == "ok"          # one failed scan is not "down"
    assert estate.status(D(2019, 11, 15))["19"].status == "unreachable"
    # the year-end status, judged today, is about the site on 08-31: it was up then
    year_end = {s.id: s for s in assess_all(estate.db, estate.cfg, D(2019, 8, 31), known_by=D(2019, 11, 20))}["19"]
    assert (year_end.status, year_end.last_changed) == ("ok", "2019-04-10")


# ---------------------------------------------------------------- the simulated university, scanned for real

@pytest.mark.xdist_group("estate")
@pytest.mark.parametrize("as_of", ["2019-06-15", "2019-10-15", "2019-11-15", "2020-01-10"])
def test_status_of_the_scanned_estate_matches_its_ground_truth(scanned_estate, as_of):
    """`xxgk status --json --as-of D` on the database after every scan (so earlier days are replays
    from data gathered later) agrees with the testbed's ground truth on every item."""
    from conftest import run_xxgk

    truth = scanned_estate.truth(as_of)["items"]
    proc = run_xxgk("status", "--config", str(scanned_estate.config_path), "--json", "--as-of", as_of,
                    now=scanned_estate.scan_dates[-1])
    mine = {x["id"]: x for x in json.loads(proc.stdout)}
    assert set(mine) == set(truth)
    wrong = {iid: {"truth": (t["status"], t["last_changed"], t["due"]),
                   "mine": (mine[iid]["status"], mine[iid]["last_changed"], mine[iid]["due"]),
                   "reason": mine[iid]["reason"], "scenario": t.get("scenario")}
             for iid, t in truth.items()
             if (t["status"], t["last_changed"], t["due"]) != (mine[iid]["status"], mine[iid]["last_changed"],
                                                               mine[iid]["due"])}
    assert not wrong, json.dumps(wrong, ensure_ascii=False, indent=1)
    # every status the product knows occurs somewhere in the estate's story
    assert {"ok", "missing", "blank", "undated"} <= {m["status"] for m in mine.values()}
