"""The extraction record: :class:`PageRecord` and its parts, per-host :class:`SiteSelectors`, JSON view."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from monitor.core.safe_text import TITLE_MAX, clean

# The stored text of a link that is a further page of a list (``links.text``): a re-scan that gets a 304
# for the list follows these as pagination, never as columns of their own.
PAGINATION_LINK_TEXT = "（分页）"


def cap_label(value: Any) -> Any:
    """A crawled label (title, column or file name, list-row or link text) as stored: at most
    TITLE_MAX characters with an ellipsis, no control characters. A hostile page can put 400,000
    characters in <title>; every output shows these labels, and none needs more than a line."""
    return clean(value, TITLE_MAX) if isinstance(value, str) else value


class _CappedLabels:
    """Caps the fields named in ``_LABELS`` whenever they are set (the dataclass __init__ and every
    later ``rec.title = …`` in extraction), so no path that builds a record can skip the cap."""
    _LABELS: frozenset[str] = frozenset()
    _LABEL_LISTS: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._LABELS:
            value = cap_label(value)
        elif name in self._LABEL_LISTS and isinstance(value, list):
            value = [cap_label(v) for v in value]
        object.__setattr__(self, name, value)


@dataclass
class Entry(_CappedLabels):
    _LABELS = frozenset({"title"})
    title: str
    url: str
    date: str | None
    date_source: str | None  # 'list' | 'url' | None


@dataclass
class Link(_CappedLabels):
    _LABELS = frozenset({"text"})   # link text; for attachments, the file's name as the page shows it
    url: str
    text: str


@dataclass
class PageRecord(_CappedLabels):
    _LABELS = frozenset({"title", "column"})
    _LABEL_LISTS = frozenset({"breadcrumb"})
    url: str
    title: str | None
    kind: str  # 'article' | 'list' | 'attachment' | 'other'
    published: str | None
    published_source: str | None  # 'meta' | 'label' | 'list' | 'url' | 'heading' | 'http' | 'observed'
    updated: str | None
    updated_source: str | None
    entries: list[Entry] = field(default_factory=list)
    column: str | None = None
    newest_entry: str | None = None
    pagination: list[str] = field(default_factory=list)
    fingerprint: str = ""
    text: str = ""
    attachments: list[Link] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    breadcrumb: list[str] = field(default_factory=list)
    encoding: str | None = None       # charset used to decode the body
    metadata: dict[str, Any] = field(default_factory=dict)  # attachments: pages, doc title, truncated…


@dataclass
class SiteSelectors:
    """Per-host overrides (CSS, or XPath when the expression starts with ``/`` or ``(``)."""
    title: str | None = None
    date: str | None = None
    content: str | None = None
    list_item: str | None = None
    list_date: str | None = None  # relative to a list item

    @classmethod
    def coerce(cls, value: Any) -> "SiteSelectors | None":
        if value is None or isinstance(value, SiteSelectors):
            return value
        if isinstance(value, Mapping):
            get = value.get
        else:
            def get(name: str, default: Any = None) -> Any:
                return getattr(value, name, default)
        return cls(**{k: get(k) or None for k in ("title", "date", "content", "list_item", "list_date")})


def record_to_json(rec: PageRecord) -> dict:
    """Plain-JSON view of a record (``xxgk inspect --json``)."""
    data = record_as_json(rec)
    ordered = {k: data.pop(k) for k in ("title", "kind", "published", "published_source", "updated",
                                        "updated_source", "entries", "fingerprint", "attachments", "links")}
    ordered.update(data)
    return ordered


def record_as_json(rec: PageRecord) -> dict:
    """``dataclasses.asdict(rec)`` without its deep copies, which cost a page worker ~7% of its CPU: the
    view is dumped at once, so the record's lists and metadata need no copy of their own."""
    data = dict(rec.__dict__)
    data["entries"] = [dict(e.__dict__) for e in rec.entries]
    data["links"] = [dict(link.__dict__) for link in rec.links]
    data["attachments"] = [dict(a.__dict__) for a in rec.attachments]
    return data


def record_from_json(data: Mapping[str, Any]) -> PageRecord:
    """The record back from its JSON view (:func:`record_as_json`; the crawl's page workers send records
    this way). Labels are capped again on the way in: the JSON came from a process reading hostile pages."""
    fields = dict(data)
    fields["entries"] = [Entry(**e) for e in fields.get("entries") or []]
    fields["links"] = [Link(**link) for link in fields.get("links") or []]
    fields["attachments"] = [Link(**a) for a in fields.get("attachments") or []]
    return PageRecord(**fields)
