"""Markers of the CMS families Chinese university and government sites are built with.

The markers are the class/id names, URL shapes and script calls that give a family away. The modules
that read a page import them from here and keep the logic: ``content`` (body containers), ``titles``
(title elements), ``lists`` (known list markup), ``list_choice`` (column URLs), ``pagination`` and
``regions`` (pager and menu classes, page parameters, TRS ``createPageHTML``), ``dates`` (dates in
URLs) and ``links`` (embedded PDF players).

A new CMS family: add its markers here, in a section of its own, and add them to the combined tables
at the end (their order is the order the readers try them in, strongest first).
"""
from __future__ import annotations

import re

# A selector rule: ("class"|"id"|"id^"|"class^"|"itemprop", names), see ``crawler.extract.page.rule_matches``.
Rule = tuple[str, tuple[str, ...]]

# --- WebPlus (苏迪 Sudy WebPlus: /2019/1031/c123a456/page.htm, /<column>/list.htm) -----------------
WEBPLUS_BODY_RULES: list[Rule] = [("class", ("wp_articlecontent",))]  # the article body
WEBPLUS_TITLE_RULES: list[Rule] = [("class", ("arti_title",))]  # the article title
WEBPLUS_LIST_CLASS = "wp_article_list"  # <ul class="wp_article_list">: the column's own list
# the column's own list portlet (<div frag="窗口6" portletmode="simpleList">); "<!-- No Data -->" when empty,
# while the sidebar's news boxes of other columns carry no portlet mode
WEBPLUS_LIST_PORTLET_XPATH = '//*[@portletmode="simpleList"]'
WEBPLUS_PAGER_CLASS = "wp_paging"  # the list's paging bar
WEBPLUS_MENU_CLASS = "wp_listcolumn"  # the sub-column menu beside a list (navigation)
WEBPLUS_PAGE_PARAM_RE = re.compile(r"[?&]a\d+p=")  # dynamic list paging "?a2p=3"
WEBPLUS_COLUMN_RE = re.compile(r"/(\d+)/list\d*\.(?:htm|psp|jsp)")  # a column's list URL, group 1 its id
WEBPLUS_COLUMN_ARTICLE = "c{}a"  # the column id inside its articles' URLs (/c123a456/page.htm)
WEBPLUS_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/(0[1-9]|1[0-2])([0-3]\d)/")  # /2019/1031/ (also people.cn)
WEBPLUS_PDF_SRC_ATTR = "pdfsrc"  # <div class="wp_pdf_player" pdfsrc=…>: an embedded file
WEBPLUS_PDF_INFO_ATTR = "sudyfile-attr"  # its {'title':'名单.pdf'} attribute
WEBPLUS_PDF_TITLE_RE = re.compile(r"""['"]title['"]\s*:\s*['"]([^'"]+)['"]""")  # the title inside it

# --- VSB (博达 VSB: /info/1151/2345.htm, list.jsp?wbtreeid=1151) ------------------------------------
VSB_BODY_RULES: list[Rule] = [("id^", ("vsb_content",)), ("class", ("v_news_content",))]  # the article body
VSB_TITLE_RULES: list[Rule] = [("class^", ("titlestyle",))]  # the article title (titlestyle1151)
VSB_LIST_XPATH = '//*[li[starts-with(@id, "line_u")]]'  # <li id="line_u5_0"> rows: the column's own list
VSB_LIST_CLASS = "winstyle"  # winstyle1151 list tables (a list box, maybe empty)

# --- TRS WCM and gov.cn (UCAP) sites: ./201910/t20191031_123.html, createPageHTML(…) ---------------
TRS_BODY_RULES: list[Rule] = [
    ("id", ("zoom", "Zoom", "ZOOM", "UCAP-CONTENT")),  # the article body (zoom text, gov.cn UCAP)
    ("class", ("TRS_Editor", "TRS_UEDITOR", "pages_content")),  # the editor's body (gov.cn pages_content)
]
TRS_PAGER_FUNC = "createPageHTML"  # pages exist only in a script call createPageHTML(total, current, …)
TRS_PAGER_CALL_RE = re.compile(r"createPageHTML\s*\(([^)]*)\)")  # that call, group 1 its arguments
TRS_URL_DATE_RE = re.compile(r"/t((?:19|20)\d{2})(0[1-9]|1[0-2])([0-3]\d)_\d+")  # t20191031_123.html
TRS_FILE_DATE_RE = re.compile(r"/[PW]0((?:19|20)\d{2})(0[1-9]|1[0-2])([0-3]\d)\d{3,}")  # P020191031….pdf, W0….jpg

# --- schema.org markup and Drupal ---------------------------------------------------------------
SCHEMA_BODY_RULES: list[Rule] = [("itemprop", ("articleBody",))]  # itemprop="articleBody"
DRUPAL_BODY_RULES: list[Rule] = [("class", ("field-name-body", "field--name-body"))]  # the node's body field

# --- news portals and Hanweb -------------------------------------------------------------------
XINHUA_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})-(0?[1-9]|1[0-2])/([0-3]?\d)/")  # Xinhua /2019-10/31/c_1.htm
HANWEB_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/([0-3]?\d)/")  # /art/2019/10/31/art_1_2.html

# --- several families -----------------------------------------------------------------------------
# A folder that holds a column id, not a year (VSB "/info/<columnId>/<newsId>.htm", /node/, /col/ …).
COLUMN_ID_FOLDER_RE = re.compile(r"/(?:info|node|col|column|channel|cat|category|lm|id|cid)$", re.I)

# --- combined tables, in the order the readers try them --------------------------------------------
BODY_RULES: list[Rule] = [*WEBPLUS_BODY_RULES, *VSB_BODY_RULES, *TRS_BODY_RULES, *SCHEMA_BODY_RULES,
                          *DRUPAL_BODY_RULES]  # before the generic names in ``content``
TITLE_RULES: list[Rule] = [*WEBPLUS_TITLE_RULES, *VSB_TITLE_RULES]  # before the generic names in ``titles``
KNOWN_LIST_XPATH = " | ".join((
    f'//ul[contains(concat(" ", normalize-space(@class), " "), " {WEBPLUS_LIST_CLASS} ")]', VSB_LIST_XPATH))
KNOWN_LIST_CLASSES = frozenset({WEBPLUS_LIST_CLASS})  # a list box with this class is the column's own list
LIST_CLASSES = frozenset({VSB_LIST_CLASS})  # list boxes, beside the generic names in ``lists``
PAGER_CLASSES = (WEBPLUS_PAGER_CLASS,)  # paging bars, before the generic names in ``pagination``/``regions``
MENU_CLASSES = frozenset({WEBPLUS_MENU_CLASS})  # menus, beside the generic names in ``regions``
PAGE_PARAM_RES = (WEBPLUS_PAGE_PARAM_RE,)  # query parameters that number a list's pages
URL_DATE_RES = (WEBPLUS_URL_DATE_RE, TRS_URL_DATE_RE, XINHUA_URL_DATE_RE, HANWEB_URL_DATE_RE)  # before generic ones
