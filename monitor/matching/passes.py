"""The five matching passes, in the order :func:`run` calls them, and the candidate choice they share.

Each pass reads the crawl and what the earlier passes chose (``ctx.result``) and adds its own
choices: the columns first (navigation, overrides, labels), then the articles a breadcrumb places
in a column, then what a column's contents say, then the articles and entries under the columns,
then the files. Thresholds and score rules are in :mod:`.scoring`.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from crawler.extract.records import PAGINATION_LINK_TEXT
from monitor.core.vocab import KIND
from monitor.matching import scoring
from monitor.matching.context import Candidate, Chosen, Context
from monitor.matching.crawl import Page, is_attachment_url, is_home, list_like
from monitor.matching.scoring import (
    AUTO,
    CLEAR_MARGIN,
    CONTENT_SHARE,
    INHERIT_FACTOR,
    MOVE_MIN,
    MULTI_MIN,
    REVIEW,
    STANDALONE_AUTO,
    STANDALONE_REVIEW,
    TIE_MARGIN,
)
from monitor.matching.textsim import ItemScore, clean_label, id_key, normalize


def run(ctx: Context) -> dict[str, Chosen]:
    column_candidates(ctx)
    breadcrumb_members(ctx)
    infer_from_contents(ctx)
    children(ctx)
    attachments(ctx)
    return ctx.result


# -- columns -----------------------------------------------------------------------------------

def _nav_labels(ctx: Context) -> tuple[dict[str, list[str]], dict[str, Counter[str]]]:
    """Link texts the disclosure site uses for each target URL, and the category heading
    each target sits under (from the order of links, when that order is trustworthy)."""
    labels: dict[str, list[str]] = defaultdict(list)
    headings: dict[str, Counter[str]] = defaultdict(Counter)
    for page in ctx.crawl.pages.values():
        if not ctx.crawl.is_disclosure(page):
            continue
        current: str | None = None
        placed: list[tuple[str, str]] = []
        for url, text in ctx.crawl.links_of.get(page.id, []):
            if not text or text == PAGINATION_LINK_TEXT or url == page.url:
                continue
            cat = ctx.category_of_text(text)
            if cat:
                current = cat
                continue
            if url in ctx.crawl.attachment_urls or is_attachment_url(url):
                continue
            labels[url].append(text)
            if current:
                placed.append((url, current))
        # Trust heading order only when it agrees with confident titles on this page.
        agree = total = 0
        for url, cat in placed:
            best = ctx.index.score(labels[url][-1], limit=1)
            if best and best[0].score >= scoring.HEADING_SURE:
                total += 1
                agree += ctx.items[best[0].item_id].category == cat
        if total >= scoring.HEADING_MIN_LINKS and agree / total >= scoring.HEADING_AGREE:
            for url, cat in placed:
                headings[url][cat] += 1
    return labels, headings


def column_candidates(ctx: Context) -> None:
    crawl = ctx.crawl
    nav_labels, headings = _nav_labels(ctx)
    columns: set[str] = set()
    for p in crawl.pages.values():
        if p.kind == "list" and crawl.root_of(p) is p and not is_home(p):
            columns.add(p.url)
    for url in nav_labels:
        page = crawl.pages.get(url)
        if page is not None and is_home(page):
            continue  # a site's home page is never a catalog column
        if page is not None and page.kind == "list":
            columns.add(crawl.root_of(page).url)
            continue
        if (page is not None and page.kind == "attachment") or url in crawl.attachment_urls:
            continue
        if not _looks_like_column(ctx, page, url, nav_labels[url]):
            continue  # an article (a news link, an entry): matched as an article, on its title
        columns.add(url)
    for it in ctx.items.values():
        columns.update(it.columns)
    ctx.columns = columns
    # Labels a unit site gives its own columns (its menu), for columns off the disclosure site.
    site_labels: dict[str, list[str]] = defaultdict(list)
    for p in crawl.pages.values():
        if crawl.is_disclosure(p):
            continue
        for url, text in crawl.links_of.get(p.id, []):
            if url in columns and text and text != PAGINATION_LINK_TEXT:
                site_labels[url].append(text)

    overrides: dict[str, list[str]] = defaultdict(list)
    for it in ctx.items.values():
        for col in it.columns:
            overrides[col].append(it.id)

    for url in sorted(columns):
        page = crawl.pages.get(url)
        on_disclosure = crawl.is_disclosure(url)
        nav = nav_labels.get(url, [])
        own = [t for t in ((page.column_name, page.title) if page else ()) if t]
        cands: list[Candidate] = []
        if url in overrides:
            label = (nav or own or [url])[0]
            for iid in overrides[url]:
                cands.append(Candidate(iid, 1.0, "override",
                                       f"配置文件为{ctx.item_name(iid)}指定栏目「{label}」"))
            ctx.column_label[url] = label
            _choose(ctx, url, "column", page, cands, allow_multi=True)
            continue
        heading = headings.get(url)
        category = heading.most_common(1)[0][0] if heading else None
        for text in own:
            for name, cat in ctx.cat_names.items():
                if name in normalize(text) and name != normalize(text):
                    category = category or cat  # breadcrumb names the category
        best: dict[str, tuple[float, str, str, tuple[str, int, int]]] = {}
        support: dict[str, dict[str, float]] = defaultdict(dict)   # item -> label -> score
        nav_best: dict[str, tuple[float, str]] = {}                 # item -> disclosure-site label

        def consider(texts: list[str], source: str, weight: float = 1.0) -> None:
            for text in dict.fromkeys(texts):
                for iid, sc in ctx.scored(text).items():
                    s = sc.score * weight
                    if category is not None:
                        s = scoring.in_category(s, ctx.items[iid].category == category)
                    key = normalize(clean_label(text))
                    support[iid][key] = max(s, support[iid].get(key, 0.0))
                    if source == "nav" and s > nav_best.get(iid, (0.0, ""))[0]:
                        nav_best[iid] = (s, clean_label(text))
                    if s > best.get(iid, (0.0,))[0]:
                        best[iid] = (s, text, source, _span(text, sc))

        if nav:
            consider(nav, "nav")
        if page is not None and page.kind != "list" and page.title:
            # A column shown as its one article (or a single page): the page title is that
            # article's title, a weaker name for the column than its menu label or breadcrumb.
            consider([t for t in own if t != page.title], "own")
            consider([page.title], "own", scoring.ARTICLE_TITLE_WEIGHT if (nav or page.column_name) else 1.0)
        else:
            consider(own, "own")
        if not nav and not on_disclosure:
            consider(site_labels.get(url, []), "site")
        for iid, (s, text, source, span) in best.items():
            others = sorted(support[iid].values(), reverse=True)[1:2]
            if others:
                s = scoring.agreed(s, others[0])
            linked = nav_best.get(iid, (0.0, ""))
            s = ctx.prior(page, iid, s, weak=not on_disclosure and linked[0] < REVIEW)
            name = ctx.item_name(iid)
            text = clean_label(text)
            if on_disclosure and source in ("nav", "own"):
                method = "navigation"
                reason = f"信息公开网栏目「{text}」对应{name}（栏目导航）"
            elif linked[0] >= REVIEW:
                method = "offsite"
                there = f"栏目「{text}」" if normalize(text) != normalize(linked[1]) else "栏目"
                reason = f"信息公开网栏目「{linked[1]}」链接到{ctx.site_name(page, url)}{there}，对应{name}"
            else:
                method = "similarity"
                reason = f"{ctx.site_name(page, url)}栏目「{text}」与{name}相符"
            cands.append(Candidate(iid, round(min(s, scoring.MAX_SCORE), 3), method, reason, span=span))
        _own_unit_first(ctx, page, cands, on_disclosure)
        label = clean_label((own or nav or site_labels.get(url) or [url])[0])
        ctx.column_label[url] = label
        _choose(ctx, url, "column", page, cands)


def _own_unit_first(ctx: Context, page: Page | None, cands: list[Candidate], on_disclosure: bool) -> None:
    """A column on a unit's own site is about that unit's business: when one of the items its label fits
    is owned by the site's unit, items other configured units own step back (「申诉处理」 on the student
    affairs site is 学生申诉, not 教职工申诉)."""
    if on_disclosure or page is None or not page.unit:
        return
    def owner(c: Candidate) -> str | None:
        it = ctx.items.get(c.item_id)
        return it.unit if it is not None else None
    if not any(owner(c) == page.unit and c.score >= REVIEW for c in cands):
        return
    for c in cands:
        unit = owner(c)
        if unit and unit != page.unit and unit in ctx.unit_names:
            c.score = round(c.score * scoring.OTHER_UNIT_FACTOR, 3)


def _looks_like_column(ctx: Context, page: Page | None, url: str, labels: list[str]) -> bool:
    """A navigation target that is a column although it is not a list page: a one-article
    column, a single page, a pointer page, or an off-site column not fetched. It is linked
    under a label that is not its own title, or sits at a list-like URL; a link whose text
    is the target's title is an article link (news, an entry)."""
    if list_like(url):
        return True
    if page is not None and page.kind == "other" and page.ok:
        return True  # neither an article nor a list (a single page, a list not recognised as one)
    if page is None or not page.title:
        # Not fetched (off-site, failing): an entry of some list is an article.
        return url not in ctx.crawl.parents_of and not ctx.crawl.is_disclosure(url)
    own = normalize(page.title)
    for text in map(normalize, labels):
        # A link text that is the page's title (or a truncation of it) is a news link.
        if own and text and not (own.startswith(text) or text.startswith(own)):
            return True
    return False


# -- choosing among candidates -----------------------------------------------------------------

def _choose(ctx: Context, url: str, target: str, page: Page | None, cands: list[Candidate], *,
            allow_multi: bool = False, standalone: bool = False, quiet: bool = False) -> list[Candidate]:
    """Apply decisions and thresholds; keep one item (two when equally strong)."""
    decided = ctx.decisions.assigned(url)
    if decided:
        chosen = []
        known = {c.item_id: c for c in cands}
        for d in decided:
            c = known.get(d["item_id"])
            by = d.get("decided_by") or "审核人"
            verb = "指定" if d["decision"] == "assign" else "确认"
            if c is None:
                c = Candidate(d["item_id"], 1.0, "manual",
                              f"{by}人工{verb}对应{ctx.item_name(d['item_id'])}")
            else:
                c = Candidate(c.item_id, max(c.score, scoring.CONFIRMED_MIN),
                              c.method if d["decision"] == "confirm" else "manual", f"{c.reason}；{by}人工{verb}")
                if d["decision"] == "assign":
                    c.score = 1.0
            c.state = "confirmed"
            chosen.append(c)
        rejected = [c for c in cands if ctx.decisions.rejected(url, c.item_id)]
        for c in rejected:
            c.state = "rejected"
        ctx.result[url] = (target, page.id if page else None, chosen + rejected)
        return chosen
    ranked = sorted(cands, key=lambda c: (-c.score, id_key(c.item_id)))
    kept: list[Candidate] = []
    rejected = []
    for c in ranked:
        if ctx.decisions.rejected(url, c.item_id):
            c.state = "rejected"
            rejected.append(c)
        else:
            kept.append(c)
    chosen = []
    if allow_multi:
        chosen = [c for c in kept if c.score >= AUTO]
    elif kept and kept[0].score >= REVIEW:
        top = kept[0]
        auto_at = STANDALONE_AUTO if standalone else AUTO
        review_at = STANDALONE_REVIEW if standalone else REVIEW
        if quiet:
            review_at = auto_at
        if top.score >= review_at:
            top.state = "auto" if top.score >= auto_at else "review"
            chosen = [top]
            # A label naming two items in separate words (「预算决算」) serves both; each
            # word is diluted by the other in the score, so the bar is the review one.
            if not standalone and top.score >= MULTI_MIN:
                for other in kept[1:3]:
                    if other.score >= MULTI_MIN and all(_separate(other.span, c.span) for c in chosen):
                        chosen.append(other)
            if len(chosen) > 1:
                for c in chosen:
                    c.state, c.score = "auto", max(c.score, AUTO)
                    c.reason += "（栏目同时包含多个事项）"
            elif len(kept) > 1 and kept[1].score >= review_at and top.score - kept[1].score < TIE_MARGIN:
                other = kept[1]
                for a, b in ((top, other), (other, top)):
                    a.state = "review"
                    a.reason += f"；与{ctx.item_name(b.item_id)}同样相符，请人工确认"
                chosen.append(other)
    if chosen or rejected:
        ctx.result[url] = (target, page.id if page else None, chosen + rejected)
    return chosen


# -- what a column holds -----------------------------------------------------------------------

def breadcrumb_members(ctx: Context) -> None:
    """An article whose breadcrumb names a column of its own site belongs to that column,
    also when the column's list could not be read as a list (no entries were stored)."""
    crawl = ctx.crawl
    by_label: dict[tuple[str, str], set[int]] = defaultdict(set)
    for url in ctx.columns:
        page = crawl.pages.get(url)
        if page is None or not page.site:
            continue
        for text in (ctx.column_label.get(url), page.column_name, page.title):
            for part in re.split(r"\s*[-_|—]+\s*", text or "")[:1]:
                key = normalize(part)
                if key:
                    by_label[(page.site, key)].add(page.id)
    for page in list(crawl.pages.values()):
        if page.kind not in ("article", "other") or not page.column_name or page.url in ctx.columns:
            continue
        found = by_label.get((page.site or "", normalize(page.column_name)), set())
        if len(found) != 1:
            continue
        crawl.add_member(next(iter(found)), page)


def infer_from_contents(ctx: Context) -> None:
    """A column serves every item a good share of its articles is clearly about
    (「毕业生就业」 holding both 就业状况 and 就业质量年度报告); a column whose label says
    nothing is matched by its articles alone."""
    crawl = ctx.crawl
    for root_id, all_entries in crawl.entries_of.items():
        root = crawl.by_id.get(root_id)
        if root is None or root.url not in ctx.columns or ctx.category_of_text(root.label):
            continue
        # A category page lists columns, not documents.
        entries = [e for e in all_entries if e["url"] not in ctx.columns]
        if len(entries) < 1:
            continue
        got = ctx.result.get(root.url)
        if got and any(c.state == "confirmed" or c.method == "override" for c in got[2]):
            continue  # a person or the config already said what this column is
        have = {c.item_id: c for c in (got[2] if got else []) if c.state != "rejected"}
        counts: Counter[str] = Counter()
        named: Counter[str] = Counter()
        for e in entries:
            page = crawl.pages.get(e["url"])
            title = (page.title if page is not None and page.title else None) or e["title"]
            best = ctx.title_item(title)
            if best is None:
                continue
            named[best.item_id] += 1
            own = ctx.scored(title)
            if best.item_id not in have and any(own[x].score >= scoring.FITS_COLUMN for x in have if x in own):
                continue  # the title also fits the column's item: the column is right
            counts[best.item_id] += 1
        n = len(entries)
        ctx.contents[root.url] = (named, n)
        added = []
        settled = False
        sure = {c.item_id for c in have.values() if c.state == "auto"}
        categories = {ctx.items[x].category for x in (sure or have)}
        focused = [q for q, k in counts.items() if k >= scoring.CONTENT_MIN_DOCS and k / n >= CONTENT_SHARE]
        if (sum(named[q] for q in set(focused) | set(have)) / n < scoring.FOCUSED_SHARE
                and not (not have and n <= scoring.SHORT_LIST)):
            counts = Counter()  # a mixed list (latest news, home page): no column of its own
        for iid, k in counts.most_common():
            it = ctx.items[iid]
            if root.unit and it.unit and root.unit != it.unit and root.unit in ctx.unit_names:
                continue  # another unit's item in this unit's list: news about it, not its column
            # One clear document is enough only when the column's label leans the same way
            # (「应急管理」 holding one 突发事件应急预案), never for a bare 「通知公告」.
            lean = ctx.scored(ctx.column_label.get(root.url) or root.label).get(iid)
            enough = (k >= scoring.CONTENT_MIN_DOCS and k / n >= CONTENT_SHARE) or (
                not have and k == 1 and n <= scoring.SHORT_LIST and lean is not None
                and lean.score >= scoring.LEAN_MIN)
            if not enough or ctx.decisions.rejected(root.url, iid):
                continue
            if iid in have:
                c = have[iid]
                if c.state == "review":  # the contents settle a doubtful or tied label
                    c.state = "auto"
                    c.score = max(c.score, AUTO)
                    c.reason = c.reason.split("；")[0] + f"；栏目中{k}/{n}篇文章属于该事项"
                    settled = True
                continue
            if have and it.category not in categories:
                continue  # a column gathers items of one catalog category
            label = ctx.column_label.get(root.url) or root.label
            score = scoring.content_score(k, n)
            method = "navigation" if crawl.is_disclosure(root.url) and got else "similarity"
            added.append(Candidate(iid, score, method,
                                   f"栏目「{label}」中{k}/{n}篇文章属于{ctx.item_name(iid)}"))
        if not added and not settled:
            continue
        if got:
            target, page_id, cands = got
            kept = [c for c in cands if c.state != "review"]  # the contents settle a tie
            ctx.result[root.url] = (target, page_id, kept + added)
        else:
            ctx.result[root.url] = ("column", root.id, added)


# -- articles and entries ----------------------------------------------------------------------

def children(ctx: Context) -> None:
    crawl = ctx.crawl
    urls = set(crawl.parents_of)
    for p in crawl.pages.values():
        if p.kind == "article" and p.ok:
            urls.add(p.url)
    for url in sorted(urls):
        if url in ctx.result or url in ctx.columns:
            continue  # a column (a one-article column renders as the article; a category page lists columns)
        page = crawl.pages.get(url)
        if page is not None and page.kind == "list":
            continue
        if page is not None and page.kind == "attachment" or url in crawl.attachment_urls:
            continue  # files are handled with their linking page
        title = (page.title if page else None) or crawl.entry_title.get(url) or ""
        target = "article" if page is not None and page.kind in ("article", "other") else "entry"
        parents = []
        contained = False
        for root_id in crawl.parents_of.get(url, []):
            root = crawl.by_id.get(root_id)
            if root is not None:
                contained = contained or root.url in ctx.columns
                for c in ctx.active(root.url):
                    parents.append((root, c))
        _inherit_or_own(ctx, url, target, page, title, parents, "栏目", contained=contained)


def _inherit_or_own(ctx: Context, url: str, target: str, page: Page | None, title: str,
                    parents: list[tuple[Page, Candidate]], parent_kind: str, *,
                    contained: bool = False) -> None:
    """Inherit the parents' item, or fall back to the title. ``contained``: the page sits in a
    column (or file in a page) that matched nothing — a news list; its titles then need to be
    sure on their own, a maybe from a 通知公告 list is not worth a reviewer's time."""
    own = ctx.scored(title)
    if parents:
        # Best parent item, helped by what the title itself says.
        ranked = sorted(parents, key=lambda pc: -(pc[1].score + scoring.TITLE_HELP * (
            own[pc[1].item_id].score if pc[1].item_id in own else 0)))
        parent, pc = ranked[0]
        best_own = ctx.title_item(title)
        p_own = own[pc.item_id].score if pc.item_id in own else 0.0
        if (best_own is not None and best_own.item_id not in {c.item_id for _, c in parents}
                and best_own.score >= MOVE_MIN and best_own.score - p_own >= CLEAR_MARGIN
                and _odd_one_out(ctx, parent, best_own.item_id)
                and not ctx.decisions.rejected(url, best_own.item_id)):
            c = Candidate(best_own.item_id, round(best_own.score, 3), "similarity",
                          f"标题「{_short(title)}」明确属于{ctx.item_name(best_own.item_id)}"
                          f"（所在{parent_kind}对应{ctx.item_name(pc.item_id)}）")
            _choose(ctx, url, target, page, [c])
            return
        cands = []
        seen = set()
        for parent, pc in ranked:
            if pc.item_id in seen:
                continue
            seen.add(pc.item_id)
            if parent_kind == "栏目":
                label = ctx.column_label.get(parent.url, parent.label)
                reason = f"位于栏目「{label}」下，该栏目对应{ctx.item_name(pc.item_id)}"
            else:
                plabel = parent.title or parent.url
                reason = f"{parent_kind}「{_short(plabel)}」的附件，该{parent_kind}对应{ctx.item_name(pc.item_id)}"
            score = pc.score * INHERIT_FACTOR
            if pc.state in ("auto", "confirmed"):
                score = max(score, AUTO)  # as sure as the column it sits in
            c = Candidate(pc.item_id, round(score, 3), "inherited", reason)
            c.state = "auto" if pc.state == "confirmed" else pc.state
            cands.append(c)
        chosen = _choose_inherited(ctx, url, target, page, cands, own)
        if any(c.state == "auto" for c in chosen) or ctx.decisions.assigned(url):
            return
        if chosen:
            # Under a column still waiting for review: the reviewer decides the column once,
            # its articles follow on the next run; meanwhile only their own title counts.
            del ctx.result[url]
    cands = []
    for iid, sc in own.items():
        if sc.how == "ngram":
            continue  # a page outside matched columns needs a verbatim phrase
        s = ctx.prior(page, iid, sc.score, weak=True)
        where = ctx.site_name(page, url) if page is not None else ""
        cands.append(Candidate(iid, round(s, 3), "similarity",
                               f"{where}{KIND.short.get(target, '')}标题「{_short(title)}」与{ctx.item_name(iid)}相符"
                               f"（含「{sc.phrase}」）"))
    _choose(ctx, url, target, page, cands, standalone=True, quiet=contained)


def _odd_one_out(ctx: Context, parent: Page, item_id: str) -> bool:
    """Whether titles naming ``item_id`` are a minority in the parent column: one misfiled
    document moves to its item, but when most of a column reads like another item, the
    column's wording (not each title) is what the catalog item is called there."""
    if parent.url not in ctx.contents:
        return True
    named, n = ctx.contents[parent.url]
    return named[item_id] / max(n, 1) < scoring.ODD_ONE_OUT


def _choose_inherited(ctx: Context, url: str, target: str, page: Page | None, cands: list[Candidate],
                      own: dict[str, ItemScore]) -> list[Candidate]:
    if ctx.decisions.assigned(url):
        return _choose(ctx, url, target, page, cands)
    live = [c for c in cands if not ctx.decisions.rejected(url, c.item_id)]
    if len(live) > 1:
        # Several parent items (a tied column, or two columns): the title picks one if it can.
        ranked = sorted(live, key=lambda c: -(own[c.item_id].score if c.item_id in own else 0))
        first = own[ranked[0].item_id].score if ranked[0].item_id in own else 0
        second = own[ranked[1].item_id].score if ranked[1].item_id in own else 0
        if first >= AUTO and first - second >= scoring.TITLE_PICKS:
            ranked[0].state = "auto"
            ranked[0].reason += "，标题亦相符"
            live = [ranked[0]]
        elif all(c.state == "auto" for c in live[:2]) and live[0].score - live[1].score >= TIE_MARGIN:
            live = [max(live, key=lambda c: c.score)]
    rejected = [c for c in cands if ctx.decisions.rejected(url, c.item_id)]
    for c in rejected:
        c.state = "rejected"
    if not live:
        if rejected:
            ctx.result[url] = (target, page.id if page else None, rejected)
        return []
    ctx.result[url] = (target, page.id if page else None, live + rejected)
    return live


# -- attachments -------------------------------------------------------------------------------

def attachments(ctx: Context) -> None:
    crawl = ctx.crawl
    by_url: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in crawl.attachments:
        by_url[a["url"]].append(a)
    # Files listed directly as entries of a list are attachments of that column.
    for url, roots in crawl.parents_of.items():
        page = crawl.pages.get(url)
        if (page is not None and page.kind == "attachment") or (page is None and is_attachment_url(url)):
            for root_id in roots:
                by_url[url].append({"page_id": root_id, "url": url, "name": crawl.entry_title.get(url),
                                    "file_page_id": page.id if page else None})
    for url in sorted(by_url):
        if url in ctx.result:
            continue
        refs = by_url[url]
        page = crawl.pages.get(url)
        names = [r["name"] for r in refs if r.get("name")]
        title = (page.title if page and page.title else None)
        own_text = " ".join(dict.fromkeys([*(names[:1]), *([title] if title else [])]))
        parents: list[tuple[Page, Candidate]] = []
        kind = KIND.short["article"]  # the word for what links the file, in its reason
        for r in refs:
            parent = crawl.by_id.get(r["page_id"])
            if parent is None:
                continue
            parent = crawl.root_of(parent)
            for c in ctx.active(parent.url):
                parents.append((parent, c))
                if ctx.result[parent.url][0] == "column":
                    kind = KIND.short["column"]
        contained = any(crawl.by_id.get(r["page_id"]) is not None for r in refs)
        _inherit_or_own(ctx, url, "attachment", page, own_text, parents, kind, contained=contained)


# -- phrases -----------------------------------------------------------------------------------

def _span(text: str, sc: ItemScore) -> tuple[str, int, int]:
    norm = normalize(text)
    if sc.how == "phrase" and sc.phrase:
        start = norm.find(normalize(sc.phrase))
        if start >= 0:
            return norm, start, start + len(normalize(sc.phrase))
    return norm, 0, len(norm)


def _separate(a: tuple[str, int, int] | None, b: tuple[str, int, int] | None) -> bool:
    """Two deciding phrases in the same label that do not overlap."""
    if a is None or b is None or a[0] != b[0]:
        return False
    return a[2] <= b[1] or b[2] <= a[1]


def _short(text: str, n: int = 40) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= n else text[: n - 1] + "…"
