"""Personal-data detection: real numbers found and masked, look-alikes left alone."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.compliance.pii import (
    PROVINCE_CODES,
    document_segments,
    find_pii,
    fingerprint,
    html_text,
    id_check_char,
    is_valid_id18,
    luhn_valid,
    redact,
)


def make_id(region: str, born: date, seq: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + id_check_char(first17)


GOOD_ID = make_id("110105", date(1990, 3, 7), "123")      # 110105199003071239
GOOD_ID_X = next(make_id("440304", date(2001, 12, 31), f"{n:03d}") for n in range(1000)
                 if make_id("440304", date(2001, 12, 31), f"{n:03d}").endswith("X"))


def luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError


CARD19 = luhn_complete("622202123456789012")
CARD16 = luhn_complete("622848001234567")


def kinds(text: str) -> list[str]:
    return [h.kind for h in find_pii(text)]


# ---- strategies -----------------------------------------------------------------------------------
regions = st.builds(lambda p, rest: f"{p:02d}{rest:04d}", st.sampled_from(sorted(PROVINCE_CODES)),
                    st.integers(0, 9999))
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1))
valid_ids = st.builds(make_id, regions, births, st.integers(0, 999).map(lambda n: f"{n:03d}"))
contexts = st.sampled_from(["", "身份证号：", "张三 ", "公民身份号码 ", "\t", "考生（", "录取名单 王五 "])
tails = st.sampled_from(["", "。", " 男", "）", "\t计算机学院", "\n"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(valid_ids, contexts, tails)
def test_generated_valid_ids_are_always_found(number: str, before: str, after: str) -> None:
    text = before + number + after
    hits = [h for h in find_pii(text) if h.kind == "id_card"]
    assert len(hits) == 1
    assert text[hits[0].start:hits[0].end] == number
    assert number not in hits[0].masked and number not in hits[0].context_masked
    assert hits[0].masked == number[:4] + "*" * 12 + number[-2:]


@settings(max_examples=300)
@given(valid_ids, st.integers(0, 17), st.integers(1, 9), contexts)
def test_single_digit_mutation_of_valid_id_is_not_found(number: str, pos: int, delta: int, before: str) -> None:
    chars = list(number)
    if chars[pos] in "Xx":
        chars[pos] = str(delta)
    else:
        chars[pos] = str((int(chars[pos]) + delta) % 10)
    mutated = "".join(chars)
    # MOD 11-2 detects every single-character error, so the mutation must never pass as an ID
    assert not is_valid_id18(mutated)
    assert [h for h in find_pii(before + mutated) if h.kind == "id_card"] == []


card_prefixes = st.sampled_from(["62", "621700", "622848", "6212", "4367", "5187", "95599"])


@settings(max_examples=200)
@given(card_prefixes, st.integers(16, 19), st.integers(0, 10**18), st.sampled_from(["银行卡号：", "卡号 ", "开户账号:"]))
def test_luhn_valid_cards_with_label_are_found_and_mutations_are_not(prefix: str, length: int, filler: int,
                                                                     label: str) -> None:
    body = (prefix + str(filler).zfill(20))[: length - 1]
    card = luhn_complete(body)
    hits = find_pii(label + card)
    assert [h.kind for h in hits] == ["bank_card"]
    assert card not in hits[0].masked and card not in hits[0].context_masked
    assert hits[0].masked.startswith(card[:6]) and hits[0].masked.endswith(card[-4:])
    for pos in range(2, length):  # every single-digit change breaks Luhn
        mutated = card[:pos] + str((int(card[pos]) + 3) % 10) + card[pos + 1:]
        assert "bank_card" not in kinds(label + mutated)


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 -：:身份证号手机电话张三王五，。\t\n学号订单银行卡", max_size=80), valid_ids)
def test_masked_output_never_contains_the_full_number(noise: str, number: str) -> None:
    phone = "139" + number[-9:-1]
    text = noise + " " + number + " 手机 " + phone + " " + noise
    for h in find_pii(text):
        assert number not in h.masked and number not in h.context_masked
        assert phone not in h.masked and phone not in h.context_masked
    if any(h.kind == "id_card" for h in find_pii(text)):
        assert number not in redact(text)


# ---- mobile numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize("text,masked", [
    ("联系电话：13800138000", "138****8000"),
    ("手机 138 0013 8000。", "138****8000"),
    ("Tel: 138-0013-8000", "138****8000"),
    ("+86 13800138000", "138****8000"),
    ("86-13912345678", "139****5678"),
    ("张三 19912345678", "199****5678"),
    ("获奖学生：李四，电话13912345678", "139****5678"),
    ("3. 王五 计算机学院 2019级 13712345678", "137****5678"),
])
def test_mobile_numbers_found_and_masked(text: str, masked: str) -> None:
    hits = find_pii(text)
    assert [(h.kind, h.masked) for h in hits] == [("mobile", masked)]


# ---- look-alikes that must not be flagged ---------------------------------------------------------
@pytest.mark.parametrize("text", [
    "学号：18010310123",                                    # 11-digit student number with a mobile prefix
    "王老师19912345678（微信同号）",                          # an office's published contact
    "咨询电话：13800138000",
    "联系人：张老师，电话：13800138000",
    "部门\t联系人\t电话\n招生办公室\t王老师\t13800138000",
    "准考证号 19110105012",
    "考生号：19110105123456",
    "〔2019〕12号 关于公布2019年录取名单的通知",
    "办公电话：010-62751234，传真：0571-88888888",
    "咨询电话 (010)62782051",
    "订单号：13800138000",
    "订单号 2019103112345678901",
    "流水号：622202123456789012",
    "发布时间：2019-10-31 10:30:00 浏览次数：1234",
    "20191031103000123",
    "详见 http://zsb.example.edu.cn/info/1012/" + GOOD_ID + ".htm",
    "附件：/_upload/article/files/" + GOOD_ID + "/a.pdf",
    "download.jsp?fileid=" + GOOD_ID + "&type=1",
    "订单编号：" + GOOD_ID,
    "统一社会信用代码 " + GOOD_ID,
    "9" + GOOD_ID,
    GOOD_ID + "7",
    "2019" + "13800138000",
    "1101051990030712XX",
    GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"),    # bad check digit
    make_id("110105", date(1990, 3, 7), "123")[:10] + "1332" + "1234",  # month 13
    "110105199002301234",                                   # 30 February
    "990105199003071239",                                   # no such province
    "110105900307123",                                      # 15 digits, no ID label
    "学校地址：北京市海淀区颐和园路5号",                      # an institution's address
    "招生办公室地址：湖北省武汉市洪山区珞喻路1037号",
    CARD16,                                                  # 16-digit card without a label
    "1101********1234",                                     # already masked by the school
    "身份证号：110105********1234",
])
def test_look_alikes_are_not_flagged(text: str) -> None:
    assert find_pii(text) == []


def test_id_with_x_check_digit_and_15_digit_with_label() -> None:
    assert kinds(f"身份证号码：{GOOD_ID_X.lower()}") == ["id_card"]
    assert kinds("身份证：110105900307123") == ["id_card"]
    assert kinds("身份证：110105901307123") == []          # month 13


def test_bank_cards() -> None:
    assert kinds(f"银行卡号：{CARD16}") == ["bank_card"]
    assert kinds(f"收款账号 {CARD19[:4]} {CARD19[4:8]} {CARD19[8:12]} {CARD19[12:16]} {CARD19[16:]}") == ["bank_card"]
    assert kinds(f"资助发放 {CARD19} 元") == ["bank_card"]   # unmistakable 19-digit UnionPay card


def test_phone_in_a_list_of_people_is_flagged_even_with_contact_words() -> None:
    table = "序号\t姓名\t学院\t联系电话\n1\t张三\t计算机学院\t13912345678\n"
    assert kinds(table) == ["mobile"]


def test_table_header_labels_the_column() -> None:
    table = ("序号\t姓名\t学号\t身份证号\t联系电话\n"
             "1\t张三\t18010310123\t110105900307123\t13912345678\n"
             f"2\t李四\t19010310124\t{GOOD_ID}\t\n")
    hits = find_pii(table)
    assert [(h.kind, h.masked) for h in hits] == [
        ("id_card", "1101*********23"), ("mobile", "139****5678"), ("id_card", "1101************39")]
    for h in hits:
        assert "18010310123" not in h.context_masked


def test_home_address_next_to_a_name() -> None:
    line = "姓名：王五，家庭住址：河南省郑州市金水区花园路12号院3号楼2单元501室，电话13800138000"
    hits = find_pii(line)
    assert [h.kind for h in hits] == ["address", "mobile"]
    assert hits[0].masked == "河南省郑州市金水区****"
    assert "花园路" not in hits[0].context_masked and "王五" not in hits[0].context_masked
    table = "姓名\t性别\t家庭住址\n赵六\t男\t四川省成都市武侯区人民南路四段9号\n"
    assert kinds(table) == ["address"]
    assert kinds("性别\t家庭住址\n男\t四川省成都市武侯区人民南路四段9号\n") == []  # no name in the row


def test_fingerprint_is_salted_and_normalised() -> None:
    a = fingerprint("mobile", "138 0013 8000", "s1")
    assert a == fingerprint("mobile", "+86 13800138000", "s1") != fingerprint("mobile", "13800138000", "s2")
    assert "13800138000" not in a


# ---- documents ------------------------------------------------------------------------------------
def test_html_tables_keep_columns_and_ignore_scripts() -> None:
    html = (f"<html><head><script>var id='{GOOD_ID}'</script></head><body><table>"
            "<tr><th>姓名</th><th>学号</th><th>手机</th></tr>"
            "<tr><td>张三</td><td>18010310123</td><td>13912345678</td></tr></table>"
            "<p>地址：<a href='http://x/?id=1'>链接</a></p></body></html>").encode("gb18030")
    text = html_text(html, "text/html; charset=gbk")
    assert "张三\t18010310123\t13912345678" in text
    assert GOOD_ID not in text
    assert [h.masked for h in find_pii(text)] == ["139****5678"]


def test_xlsx_docx_pdf_segments_name_the_cell_paragraph_and_page() -> None:
    import docx
    from openpyxl import Workbook
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    wb = Workbook()
    ws = wb.active
    ws.title = "录取名单"
    ws.append(["2019年拟录取名单"])
    ws.append([])
    ws.append(["序号", "姓名", "身份证号", "学号"])
    ws.append([1, "张三", GOOD_ID, "18010310123"])
    buf = io.BytesIO()
    wb.save(buf)
    segs = document_segments(buf.getvalue(), "http://x/a.xlsx")
    found = [(s.where_at(h.start), h.kind) for s in segs for h in find_pii(s.text)]
    assert found == [("xlsx 录取名单!C4", "id_card")]

    d = docx.Document()
    d.add_paragraph("关于公布奖学金名单的通知")
    d.add_paragraph(f"获奖学生：李四，身份证号{GOOD_ID}。")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "姓名", "手机号码"
    t.cell(1, 0).text, t.cell(1, 1).text = "王五", "13912345678"
    buf = io.BytesIO()
    d.save(buf)
    segs = document_segments(buf.getvalue(), "http://x/b.docx")
    found = [(s.where_at(h.start), h.kind) for s in segs for h in find_pii(s.text)]
    assert found == [("docx paragraph 2", "id_card"), ("docx table 1 row 2", "mobile")]

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 800, "page one 2019")
    c.showPage()
    c.drawString(72, 800, f"ID {GOOD_ID} end")
    c.showPage()
    c.save()
    segs = document_segments(buf.getvalue(), "http://x/c.pdf", "application/pdf")
    found = [(s.where_at(h.start), h.kind) for s in segs for h in find_pii(s.text)]
    assert found == [("pdf page 2", "id_card")]


def test_utf8_page_that_declares_gb2312_keeps_its_labels_and_its_leaks() -> None:
    """Sites re-saved as UTF-8 often keep `charset=gb2312` (header and <meta>): the PII checks decode with the
    crawler's decoder, so the 身份证号 column header still labels the 15-digit ID under it."""
    html = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head><body>"
            "<table><tr><th>姓名</th><th>身份证号</th><th>手机</th></tr>"
            "<tr><td>张三</td><td>110105900307123</td><td>13912345678</td></tr></table></body></html>").encode()
    segs = document_segments(html, "http://x/gs.htm", "text/html; charset=gb2312")
    assert segs is not None and "姓名\t身份证号\t手机" in segs[0].text
    assert [(h.kind, h.masked) for h in find_pii(segs[0].text)] == [("id_card", "1101*********23"),
                                                                    ("mobile", "139****5678")]
