"""DOCX rendering of the annual report (python-docx).

Chinese typesetting: body 仿宋_GB2312 (fallback 宋体 in the ascii slots), headings 黑体, set on the
East Asian font slot (``w:eastAsia``) because Word ignores ``font.name`` for CJK characters.
Appendix tables go in a landscape section; links are real hyperlinks; 【待填写：…】 is highlighted.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from monitor.core.safe_text import clean, safe_url
from monitor.core.vocab import KIND
from monitor.report.model import PLACEHOLDER_RE, AnnualReport

BODY_FONT = "仿宋_GB2312"
BODY_FALLBACK = "宋体"
HEADING_FONT = "黑体"
TITLE_FONT = "宋体"


def _set_east_asian(target, east_asian: str, ascii_font: str | None = None) -> None:
    """Set the font of a style or run, including the East Asian slot Word uses for CJK."""
    target.font.name = ascii_font or east_asian
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asian)
    for slot in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(slot), ascii_font or east_asian)


def _setup_styles(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    _set_east_asian(normal, BODY_FONT, BODY_FALLBACK)
    normal.font.size = Pt(12)
    normal.paragraph_format.line_spacing = 1.5
    for name, size in (("Title", 20), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12)):
        style = doc.styles[name]
        _set_east_asian(style, TITLE_FONT if name == "Title" else HEADING_FONT)
        style.font.size = Pt(size)
        style.font.bold = name == "Title"
        style.font.color.rgb = RGBColor(0, 0, 0)
        # The built-in heading styles carry theme fonts that override rFonts; drop them.
        fonts = style.element.rPr.find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    table_style = doc.styles["Table Grid"]
    _set_east_asian(table_style, BODY_FONT, BODY_FALLBACK)


_RPR_CACHE: dict[tuple, Any] = {}


def _rpr(*, bold: bool = False, size: float | None = None, todo: bool = False, link: bool = False):
    """A fresh copy of the run properties for this combination (copying a template is much
    faster than building elements one by one)."""
    key = (bold, size, todo, link)
    if key not in _RPR_CACHE:
        _RPR_CACHE[key] = _build_rpr(bold=bold, size=size, todo=todo, link=link)
    return copy.deepcopy(_RPR_CACHE[key])


def _build_rpr(*, bold: bool, size: float | None, todo: bool, link: bool):
    """Run properties built directly (python-docx's setters are slow on 60-item tables), in schema
    order: rFonts (East Asian slot set), b, color, sz, highlight, u."""
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for slot, font in (("w:ascii", BODY_FALLBACK), ("w:hAnsi", BODY_FALLBACK), ("w:eastAsia", BODY_FONT)):
        fonts.set(qn(slot), font)
    rpr.append(fonts)
    if bold:
        rpr.append(OxmlElement("w:b"))
    if link:
        color = OxmlElement("w:color")
        color.set(qn("w:val"), "0563C1")
        rpr.append(color)
    if size:
        for tag in ("w:sz", "w:szCs"):
            sz = OxmlElement(tag)
            sz.set(qn("w:val"), str(int(size * 2)))
            rpr.append(sz)
    if todo:
        mark = OxmlElement("w:highlight")
        mark.set(qn("w:val"), "yellow")
        rpr.append(mark)
    if link:
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        rpr.append(underline)
    return rpr


def _r(text: str, rpr):
    r = OxmlElement("w:r")
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = clean(text)   # crawled text: a control character would make lxml refuse the whole report
    t.set(qn("xml:space"), "preserve")
    r.append(t)
    return r


def _run(paragraph, text: str, *, bold: bool = False, size: float | None = None, todo: bool = False) -> Run:
    r = _r(text, _rpr(bold=bold, size=size, todo=todo))
    paragraph._p.append(r)
    return Run(r, paragraph)


def _text_with_placeholders(paragraph, text: str, size: float | None = None) -> None:
    pos = 0
    for m in PLACEHOLDER_RE.finditer(text):
        if m.start() > pos:
            _run(paragraph, text[pos:m.start()], size=size)
        _run(paragraph, m.group(0), size=size, todo=True)
        pos = m.end()
    if pos < len(text):
        _run(paragraph, text[pos:], size=size)


def _hyperlink(paragraph, url: str, text: str, size: float | None = None) -> None:
    """python-docx has no hyperlink API: add the relationship and the w:hyperlink element.
    Only http(s) targets are linked (a crawled ``file:``/UNC/``javascript:`` address stays text)."""
    target = safe_url(url)
    if target is None:
        _run(paragraph, text, size=size)
        return
    url = target
    part = paragraph.part
    # relate_to searches every relationship linearly; a report has hundreds of links.
    cache = part.__dict__.setdefault("_xxgk_link_ids", {})
    r_id = cache.get(url)
    if r_id is None:
        r_id = cache[url] = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    link.append(_r(text, _rpr(size=size, link=True)))
    paragraph._p.append(link)


CELL_PT = 9


def _tight(p) -> None:
    """Single line spacing inside table cells (the body style uses 1.5)."""
    ppr = OxmlElement("w:pPr")
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")
    ppr.append(spacing)
    p.insert(0, ppr)


def _table(doc: DocxDocument, header: list[str], widths_cm: list[float] | None = None):
    table = doc.add_table(rows=0, cols=len(header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths_cm:
        for col, w in zip(table.columns, widths_cm):
            col.width = Cm(w)
    tr = _row(table, header, widths_cm, bold=True)
    # Repeat the header row on every page of a long table.
    trpr = OxmlElement("w:trPr")
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    tr.insert(0, trpr)
    return table


def _row(table, values: list, widths_cm: list[float] | None = None, *, bold: bool = False):
    """Append a row built as XML (python-docx's add_row/cells are quadratic on long tables)."""
    tr = OxmlElement("w:tr")
    table._tbl.append(tr)
    for i, value in enumerate(values):
        tc = OxmlElement("w:tc")
        tcpr = OxmlElement("w:tcPr")
        tcw = OxmlElement("w:tcW")
        if widths_cm:
            tcw.set(qn("w:w"), str(int(widths_cm[i] * 567)))
            tcw.set(qn("w:type"), "dxa")
        else:
            tcw.set(qn("w:w"), "0")
            tcw.set(qn("w:type"), "auto")
        tcpr.append(tcw)
        tc.append(tcpr)
        p = OxmlElement("w:p")
        _tight(p)
        tc.append(p)
        tr.append(tc)
        cell = _Cell(tc, table)
        para = Paragraph(p, cell)
        if callable(value):
            value(cell, para)
        else:
            _run(para, "" if value is None else str(value), bold=bold, size=CELL_PT)
    return tr


def _links_cell(entries: list[tuple[str, str, str]], empty: str):
    """Cell filler: one line per (prefix, url, text) with a real hyperlink."""
    def fill(cell, first) -> None:
        if not entries:
            _run(first, empty, size=CELL_PT)
            return
        for i, (prefix, url, text) in enumerate(entries):
            para = first
            if i:
                para = cell.add_paragraph()
                _tight(para._p)
            if prefix:
                _run(para, prefix + " ", size=CELL_PT)
            _hyperlink(para, url, text, size=CELL_PT)
    return fill


def _page_number_footer(section) -> None:
    """Centered "第 N 页" footer (a PAGE field Word fills in)."""
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(para, "第 ", size=10.5)
    run = _run(para, "", size=10.5)
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), tag)
            run._r.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    _run(para, " 页", size=10.5)


def _landscape(doc: DocxDocument) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.8))


def build_document(report: AnnualReport) -> DocxDocument:
    doc = Document()
    _setup_styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.6)
    _page_number_footer(sec)  # later sections inherit the footer

    title = doc.add_paragraph(clean(report.title), style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(meta, f"统计期间：{report.year.start} 至 {report.year.end}　状态截至：{report.as_of}", size=10.5)

    for section in report.sections:
        doc.add_heading(section.title, level=1)
        for text in section.paragraphs:
            para = doc.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(24)
            _text_with_placeholders(para, text)

    _landscape(doc)
    s = report.summary
    doc.add_heading("附表一：主动公开情况统计", level=1)
    t = _table(doc, ["指标", "数量"])
    for label, value in (("应公开大类", s.categories), ("应公开条目", s.items), ("本学年完成更新的条目", s.updated),
                         ("本学年无更新的条目", s.not_updated), ("其中：无需更新", len(s.not_required)),
                         ("其中：应更新未更新", len(s.due_not_updated)),
                         ("本学年各渠道发布信息合计", s.articles_total)):
        _row(t, [label, value])
    doc.add_paragraph()
    t = _table(doc, ["类别", "条目数", "已更新", "无更新"])
    for c in report.categories:
        _row(t, [f"{c.id}. {c.name}", c.items, c.updated, c.not_updated])

    doc.add_heading("附表二：各渠道本学年发布信息数", level=1)
    t = _table(doc, ["发布渠道", "所属单位", "网址", "发布信息（条）"])
    for ch in report.channels:
        _row(t, [ch.name, ch.unit_name, _links_cell([("", ch.site, ch.site)], ""), ch.articles])

    doc.add_heading("附表三：信息公开事项逐项说明", level=1)
    widths = [1.2, 2.2, 4.6, 2.4, 4.2, 6.5, 2.8, 2.2]
    t = _table(doc, ["序号", "类别", "事项", "责任单位", "栏目链接", "本学年公开内容", "学年末状态", "最近更新日期"], widths)
    for it in report.items:
        cols = [("", c.url, f"{c.title or c.url} [{c.citation}]") for c in it.columns]
        pubs = [(p.date, p.url, f"{p.title or p.url} [{p.citation}]") for p in it.published]
        empty = "本学年无更新" + (f"（{it.no_update_reason}）" if it.no_update_reason else "")
        status = it.status_label + (f"：{it.reason}" if it.reason else "")
        _row(t, [it.item_id, it.category_name, it.title, it.unit_name, _links_cell(cols, "未找到栏目"),
                 _links_cell(pubs, empty), status, it.last_changed or "无"], widths)

    doc.add_heading("附表四：各责任单位事项及本学年情况", level=1)
    t = _table(doc, ["责任单位", "负责条目", "已更新", "应更新未更新", "无需更新", "学年末逾期",
                     "本学年公开内容（条）", "单位网站发布信息（条）"])
    for u in report.units:
        _row(t, [u.name, len(u.items), len(u.updated), len(u.not_updated_due), len(u.not_updated_not_required),
                 len(u.overdue_at_year_end), u.publications, u.articles])
    for u in report.units:
        doc.add_heading(clean(u.name), level=2)
        t = _table(doc, ["序号", "事项", "本学年公开内容（条）", "本学年是否更新", "学年末状态", "最近更新日期"])
        for iid in u.items:
            it = report.item(iid)
            _row(t, [it.item_id, it.name, len(it.published), it.update_label, it.status_label,
                     it.last_changed or "无"])

    doc.add_heading("附表五：依申请公开及举报、复议、诉讼情况", level=1)
    if report.inputs:
        inp = report.inputs
        t = _table(doc, ["指标", "数量"])
        for indicator, figure in inp.rows():
            _row(t, [indicator, figure])
        para = doc.add_paragraph()
        _run(para, f"数据来源：{inp.source}", size=10.5)
    else:
        para = doc.add_paragraph()
        _text_with_placeholders(para, "【待填写：未提供填报文件，依申请公开及举报、复议、诉讼数据需人工填写】")

    doc.add_heading("附表六：证据存档清单", level=1)
    widths = [1.8, 1.6, 6.5, 8.5, 2.5, 4.5]
    t = _table(doc, ["存档编号", "类型", "标题", "网址", "涉及条目", "存档时间"], widths)
    for cit in report.citations:
        when = "未存档"
        if cit.archived:
            when = (cit.captured_at or "") + (f"（见列表页 {cit.captured_url}）" if cit.captured_url != cit.url else "")
        _row(t, [cit.id, KIND.formal.get(cit.kind, cit.kind), cit.title, _links_cell([("", cit.url, cit.url)], ""),
                 "、".join(cit.items), when], widths)

    doc.core_properties.title = clean(report.title)
    doc.core_properties.author = clean(report.school)
    doc.core_properties.language = "zh-CN"
    return doc


def write_docx(report: AnnualReport, path: Path) -> Path:
    build_document(report).save(str(path))
    return path
