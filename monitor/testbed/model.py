"""The estate's content model: columns hold documents (articles), documents hold attachments.

Everything is defined for the whole time axis (2016-09 … 2021-12); what a visitor sees on a
given day is derived from it by `as_of` filters, so moving the clock never rebuilds anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Leak:
    """One piece of personal data published in full (what a compliance check must find)."""
    kind: str                     # id_card | mobile | address (monitor.compliance.pii kinds)
    value: str                    # the raw value as published (invented people, see people.py)
    masked: str                   # the only form a product may show (docs/compliance.md)


@dataclass
class Attachment:
    key: str                      # stable id (also seeds the file's bytes)
    name: str                     # file name shown to readers, e.g. 2019年部门预算.pdf
    fmt: str                      # pdf | docx | xlsx
    added: date
    lines: list[str]              # text content written into the file
    removed: date | None = None   # replaced/withdrawn on this date (the URL 404s from then on)
    path: str = ""                # URL path (+query) on the owning site, set by the CMS
    doc: "Doc | None" = field(default=None, repr=False)
    sheet: str = "Sheet1"         # XLSX sheet title
    leaks: list[Leak] = field(default_factory=list)     # personal data in full inside the file
    decoys: list[str] = field(default_factory=list)     # look-alikes in the file that are not personal data

    def visible(self, as_of: date) -> bool:
        return self.added <= as_of and (self.removed is None or as_of < self.removed)


@dataclass
class Edit:
    on: date
    old: str                      # sentence replaced ('' = appended)
    new: str
    labelled: bool = True         # the page shows 更新时间 for it


@dataclass
class Doc:
    id: int
    title: str
    published: date
    item: str | None
    paragraphs: list[str]
    edits: list[Edit] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    source: str = ""              # 来源 / publisher shown on the page
    login_wall: bool = False      # the list links a login-protected URL (evidence only via the entry)
    pii: list[str] = field(default_factory=list)   # personal-data kinds its attachments leak
    pii_masked: bool = False      # shows only masked ID numbers (a compliant page)
    path: str = ""                # URL path (+query) on its site, set by the CMS
    column: "Column | None" = field(default=None, repr=False)
    # Article-body extras (rendered by CMSs that support them, see cms/base.py body_blocks):
    table: list[str] = field(default_factory=list)      # "a|b|c" rows, the first is the header
    table_at: int = 1                                    # the table (and links) follow this many paragraphs
    # (host, path, link text): host "svc" = the school's other systems (cms/services.py), "self" = a path of
    # the article's own site that sits behind a 瑞数 challenge (crawled, answered 200 with the script only)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    leaks: list[Leak] = field(default_factory=list)     # personal data in full in the article body
    decoys: list[str] = field(default_factory=list)     # look-alikes in the body that are not personal data

    def visible(self, as_of: date) -> bool:
        return self.published <= as_of

    def edits_at(self, as_of: date) -> list[Edit]:
        return [e for e in self.edits if e.on <= as_of]

    def updated(self, as_of: date) -> date | None:
        dates = [e.on for e in self.edits_at(as_of) if e.labelled]
        return max(dates) if dates else None

    def text(self, as_of: date) -> list[str]:
        paras = list(self.paragraphs)
        for e in self.edits_at(as_of):
            if e.old:
                paras = [p.replace(e.old, e.new) for p in paras]
            else:
                paras.append(e.new)
        return paras

    def attachments_at(self, as_of: date) -> list[Attachment]:
        return [a for a in self.attachments if a.visible(as_of)]

    def last_change(self, as_of: date) -> date:
        dates = [self.published] + [e.on for e in self.edits_at(as_of)]
        for a in self.attachments:
            if a.added <= as_of:
                dates.append(a.added)
            if a.removed and a.removed <= as_of:
                dates.append(a.removed)
        return max(dates)


@dataclass
class Column:
    site: str
    key: str                      # CMS-local id: WebPlus column id, VSB slug, TRS dir, ?cid= …
    title: str
    items: list[str] = field(default_factory=list)   # catalog items this column serves
    docs: list[Doc] = field(default_factory=list)
    mode: str = "list"            # list | page (one undated page) | offsite (nav link only) | pointer
    target: tuple[str, str] | None = None            # (site, column key) for offsite/pointer columns
    page_text: list[str] = field(default_factory=list)   # for mode == "page"
    style: str = ""               # CMS-specific list style variant
    category: str | None = None   # catalog category (disclosure site navigation)
    per_page: int = 15

    def visible_docs(self, as_of: date) -> list[Doc]:
        """Newest first, the order every list shows."""
        docs = [d for d in self.docs if d.visible(as_of)]
        docs.sort(key=lambda d: (d.published, d.id), reverse=True)
        return docs

    def page_count(self, as_of: date) -> int:
        n = len(self.visible_docs(as_of))
        return max(1, -(-n // self.per_page))

    def chunk(self, as_of: date, page: int) -> list[Doc]:
        docs = self.visible_docs(as_of)
        return docs[(page - 1) * self.per_page: page * self.per_page]

    def newest(self, as_of: date) -> date | None:
        docs = self.visible_docs(as_of)
        return docs[0].published if docs else None
