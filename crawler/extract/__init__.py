"""Pure extraction: bytes (and the URL and headers they came with) -> :class:`PageRecord`.

No Scrapy, no SQLite, no network: the crawler, ``xxgk inspect``, the tests and the PII checks all call
the same functions. ``analyse`` decides what a page is; the modules beside it each read one thing
(``dom`` and ``regions`` the page's structure, ``titles``, ``dates``/``page_dates``/``list_dates``,
``lists``/``list_choice``, ``pagination``, ``content``, ``fingerprint``, ``links``, ``breadcrumb``,
``encoding``), with the CMS families' markers in ``cms``; ``documents`` is the one bounded reader of PDF/DOCX/XLSX/PPTX files.
"""
from crawler.extract.analyse import attachment_record, extract, extract_attachment
from crawler.extract.links import is_attachment_link
from crawler.extract.records import Entry, Link, PageRecord, SiteSelectors, record_to_json

__all__ = ["Entry", "Link", "PageRecord", "SiteSelectors", "attachment_record", "extract", "extract_attachment",
           "is_attachment_link", "record_to_json"]
