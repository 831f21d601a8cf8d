"""Chinese text similarity against catalog items: phrases first, character n-grams second.

Chinese has no spaces, so word matching is replaced by two complementary signals:

* **phrases** — an item's keywords, synonyms, short name and title fragments found verbatim in
  the text (longest match wins, so 「招生章程」 is item 7 and not item 2's 「章程」), or a short
  label found verbatim inside an item's phrase (a column called 「财务管理」 is part of
  「财务管理制度」);
* **n-grams** — character bigrams and trigrams weighted by IDF over the catalog, so a reworded
  label still lands on the item whose rare n-grams it shares.

Each item's ``exclude`` phrases blank out the span they cover before that item is scored
(「公开招聘」 never counts as 「信息公开」). Scores are in [0, 1] and roughly calibrated:
≥ 0.8 is an unambiguous phrase, 0.6–0.8 a short or partial one, below 0.5 weak overlap.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Sequence

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KEEP_RE = re.compile(rf"[^{_CJK}a-z0-9]+")
_CJK_RUN_RE = re.compile(rf"[{_CJK}]+")
_LATIN_RE = re.compile(r"[a-z]{2,}")
_SPLIT_RE = re.compile(r"[、，,；;：:。/（）()《》“”\"'\s]+|及其|以及|及|和|与|或|等")

# Words that carry no catalog meaning in titles and labels; they are removed before
# measuring how much of a label an item explains.
FILLER = (
    "关于", "印发", "公布", "发布", "转发", "做好", "开展", "进一步", "加强", "有关", "相关", "事项",
    "通知", "公告", "公示", "通告", "简报", "的", "了", "我校", "学校", "本校", "大学", "学院",
    "学年", "年度", "年", "届", "第", "期", "号", "版", "附件", "下载", "全文", "一览表", "汇总表",
    "工作", "信息", "公开", "专栏", "栏目", "情况", "内容", "目录", "列表", "更多", "详情",
)

# Bare suffixes stripped from a column label before looking it up inside item phrases
# (「预算公开」→「预算」, 「招生信息」→「招生」).
_LABEL_SUFFIXES = ("信息公开", "公开", "信息", "专栏", "专题", "情况", "工作", "公示", "栏目")


def normalize(text: str | None) -> str:
    """NFKC, lower case, drop whitespace and punctuation (keep CJK, latin letters, digits)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    return _KEEP_RE.sub("", text)


_ENUM_RE = re.compile(r"^\s*(?:第?[（(\[【]?\s*[一二三四五六七八九十百\d]{1,4}\s*[)）\]】]|第?[一二三四五六七八九十百\d]{1,4}\s*[、.．:：]"
                      r"(?!\d))\s*")
_TAIL_RE = re.compile(r"\s*(?:[（(\[【]\s*\d+\s*[)）\]】]|更多|more|>>|»|＞＞|…+|\.\.\.)\s*$", re.I)
_SITE_PREFIX_RE = re.compile(r"^[^-_|—–]*(?:网|网站|处|办公室|中心|部)\s*[-_|—–]+\s*")
_SITE_SUFFIX_RE = re.compile(r"\s*[-_|—–]+\s*[^-_|—–]*(?:网|网站|大学|学院|处|办公室|中心|部)\s*$")


def clean_label(text: str | None) -> str:
    """A menu or title label without its numbering (「（七）招生章程」, 「7. 招生章程」), a trailing
    count or 「更多」, or a site-name suffix (「招生章程-示例大学招生网」)."""
    text = (text or "").strip()
    text = _ENUM_RE.sub("", text)
    prev = None
    while prev != text:
        prev = text
        text = _TAIL_RE.sub("", text)
    text = _SITE_SUFFIX_RE.sub("", text).strip() or text
    return _SITE_PREFIX_RE.sub("", text).strip() or text


def title_key(text: str | None) -> str:
    """A normalised title that survives reformatting (spaces, punctuation, full-width forms)."""
    return normalize(text)


def ngrams(text: str, sizes: Sequence[int] = (2, 3)) -> Counter[str]:
    """Character n-grams of each CJK run, plus latin words as tokens (digits are dropped)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    grams: Counter[str] = Counter()
    for run in _CJK_RUN_RE.findall(text):
        if len(run) == 1:
            continue
        for n in sizes:
            for i in range(len(run) - n + 1):
                grams[run[i:i + n]] += 1
    for word in _LATIN_RE.findall(text):
        grams[word] += 1
    return grams


_FILLER_SET = frozenset(w for w in FILLER if len(w) >= 2)
_FILLER_RE = re.compile("|".join(sorted((re.escape(w) for w in _FILLER_SET), key=len, reverse=True)) + "|[0-9]+")

# Abbreviations common in column names, spelled out before scoring.
ABBREVIATIONS = {"年报": "年度报告", "预决算": "预算决算", "研招": "研究生招生", "奖惩": "奖励处罚",
                 "奖助": "奖学金助学金", "教代会": "教职工代表大会"}


def expand(text: str) -> str:
    for short, full in ABBREVIATIONS.items():
        if short in text and full not in text:
            text = text.replace(short, full)
    return text


def meaningful_mask(norm: str) -> list[bool]:
    """Which characters of a normalised text carry meaning (not filler words, not digits)."""
    mask = [True] * len(norm)
    for m in _FILLER_RE.finditer(norm):
        for i in range(m.start(), m.end()):
            mask[i] = False
    return mask


def label_core(norm: str) -> str:
    """The meaningful core of a short column label: trailing generic suffixes removed."""
    core = re.sub(r"[0-9]+", "", norm)
    changed = True
    while changed:
        changed = False
        for suf in _LABEL_SUFFIXES:
            if core.endswith(suf) and len(core) - len(suf) >= 2:
                core = core[: -len(suf)]
                changed = True
    return core


@dataclass
class ItemText:
    """The words a catalog item is known by."""
    id: str
    title: str
    short: str = ""
    keywords: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    category: str = ""
    category_name: str = ""
    parent: str = ""        # the item this one was split from (its siblings share the id)
    parent_name: str = ""   # … and that item's name
    inherited: list[str] = field(default_factory=list)  # keywords/synonyms it took from the parent unwritten


@dataclass
class ItemScore:
    item_id: str
    score: float
    phrase: str | None     # the phrase that decided it, as written in the catalog
    how: str               # 'phrase' | 'label' | 'ngram'


@dataclass
class _Phrase:
    norm: str
    shown: str
    item: str
    weight: float          # 1.0 for keywords/synonyms/short; slightly less for title fragments


def _length_strength(n: int) -> float:
    # Longer verbatim phrases are rarer by chance: 2 chars is a hint, 4 a name, 7+ a title.
    table = {1: 0.3, 2: 0.7, 3: 0.76, 4: 0.82, 5: 0.86, 6: 0.89}
    return table.get(n, 0.93)


class CatalogIndex:
    """Scores texts against every catalog item."""

    def __init__(self, items: Iterable[ItemText]):
        self.items: dict[str, ItemText] = {it.id: it for it in items}
        self._cache: dict[str, dict[str, ItemScore]] = {}
        self.phrases: list[_Phrase] = []
        self._excludes: dict[str, list[str]] = {}
        docs: dict[str, Counter[str]] = {}
        words = _sibling_words(list(self.items.values()))
        self._unique = _sibling_unique_grams(list(self.items.values()))
        self._fragments: set[tuple[str, str]] = set()   # (item, phrase) known only as a piece of the title
        for it in self.items.values():
            seen: set[str] = set()

            def add(text: str, weight: float) -> None:
                norm = normalize(text)
                if len(norm) < 2 or norm in seen:
                    return
                seen.add(norm)
                self.phrases.append(_Phrase(norm, text, it.id, weight))

            vocab = words.get(it.id, [*it.keywords, *it.synonyms])
            for kw in vocab:
                add(kw, 1.0)
            if it.short:
                add(it.short, 1.0)
            add(it.title, 1.0)
            for frag in _SPLIT_RE.split(it.title):
                if len(normalize(frag)) >= 3 and normalize(frag) not in seen:
                    self._fragments.add((it.id, normalize(frag)))
                    add(frag, 0.95)
            self._excludes[it.id] = [n for n in (normalize(x) for x in it.exclude) if n]
            text = " ".join([it.title, it.short, *vocab])
            docs[it.id] = ngrams(text)
        # Sharing: a phrase that several items use verbatim says less about each of them.
        share = Counter(p.norm for p in self.phrases)
        for p in self.phrases:
            if share[p.norm] > 1:
                p.weight *= 0.9
        n_docs = max(len(docs), 1)
        df: Counter[str] = Counter()
        for grams in docs.values():
            df.update(set(grams))
        self.idf: dict[str, float] = {g: math.log(1 + n_docs / c) for g, c in df.items()}
        self._unknown_idf = math.log(1 + n_docs)  # a gram no item uses: as rare as it gets
        self._doc_grams: dict[str, dict[str, float]] = {
            iid: {g: self.idf[g] for g in grams} for iid, grams in docs.items()
        }
        self._gram_items: dict[str, list[str]] = {}
        for iid, grams in docs.items():
            for g in grams:
                self._gram_items.setdefault(g, []).append(iid)
        # Every item phrase, for looking a short label up inside them.
        self._phrase_texts: list[tuple[str, str, str, float]] = [
            (p.norm, p.shown, p.item, p.weight) for p in self.phrases
        ]

    # -- phrase evidence -------------------------------------------------------------------
    def _occurrences(self, norm: str) -> list[tuple[int, int, _Phrase]]:
        occ = []
        for p in self.phrases:
            start = norm.find(p.norm)
            while start >= 0:
                occ.append((start, start + len(p.norm), p))
                start = norm.find(p.norm, start + 1)
        return occ

    def _excluded_spans(self, norm: str, item_id: str) -> list[tuple[int, int]]:
        spans = []
        for ex in self._excludes.get(item_id, ()):
            start = norm.find(ex)
            while start >= 0:
                spans.append((start, start + len(ex)))
                start = norm.find(ex, start + 1)
        return spans

    def phrase_scores(self, text: str) -> dict[str, tuple[float, str]]:
        """Item → (score, deciding phrase) from verbatim phrases, longest match first."""
        norm = normalize(text)
        occ = self._occurrences(norm)
        result: dict[str, tuple[float, str]] = {}
        if not occ:
            return result
        # A phrase inside a longer phrase of another item at the same place does not count
        # for its own item (「章程」 inside 「招生章程」).
        kept = []
        for s, e, p in occ:
            covered = any(
                p2.item != p.item and s2 <= s and e2 >= e and (e2 - s2) > (e - s)
                for s2, e2, p2 in occ
            )
            if not covered:
                kept.append((s, e, p))
        by_item: dict[str, list[tuple[int, int, _Phrase]]] = {}
        for s, e, p in kept:
            spans = self._excluded_spans(norm, p.item)
            if any(s < xe and e > xs for xs, xe in spans):
                continue
            by_item.setdefault(p.item, []).append((s, e, p))
        mask = meaningful_mask(norm)
        meaningful = sum(mask)
        for item_id, hits in by_item.items():
            hits.sort(key=lambda h: -_length_strength(h[1] - h[0]) * h[2].weight)
            best = hits[0]
            score = _length_strength(best[1] - best[0]) * best[2].weight
            # Further phrases that are not part of the best one add a little certainty.
            for s, e, p in hits[1:]:
                if e <= best[0] or s >= best[1]:
                    score = 1 - (1 - score) * (1 - 0.35 * _length_strength(e - s) * p.weight)
                    break
            if 0 < meaningful <= 8:
                # A short label: how much of it the item's words explain (「硕士招生简章」 is more
                # than 「招生简章」).
                explained = {i for s_, e_, _ in hits for i in range(s_, e_) if mask[i]}
                score *= 0.8 + 0.2 * len(explained) / meaningful
            result[item_id] = (min(score, 0.99), best[2].shown)
        return result

    def head_scores(self, text: str) -> dict[str, tuple[float, str]]:
        """A short label whose head (its last four or more characters: Chinese puts the head noun last) is
        inside item phrases, when nothing else of it is: 「主动公开目录」 is a kind of 「公开目录」 ⊂ 「信息公开目录」.
        A little weaker than the whole label would be."""
        core = label_core(normalize(text))
        for start in range(1, len(core) - 3) if 5 <= len(core) <= 10 else ():
            found = self.label_scores(core[start:])
            if found:
                return {k: (v[0] * HEAD_FACTOR, v[1]) for k, v in found.items()}
        return {}

    def label_scores(self, text: str) -> dict[str, tuple[float, str]]:
        """A short label found verbatim inside item phrases (「财务管理」 ⊂ 「财务管理制度」)."""
        core = label_core(normalize(text))
        result: dict[str, tuple[float, str]] = {}
        if len(core) < 2 or len(core) > 10:
            return result
        for norm, shown, item_id, weight in self._phrase_texts:
            if core == norm:
                continue
            if core in norm:
                # Strength of the label itself, a bit below a verbatim phrase of the same length.
                s = _length_strength(len(core)) * 0.93 * weight
            elif len(core) >= 4 and _chunks_in_order(core, norm):
                # An abbreviation made of the phrase's words (「财务制度」 ← 「财务管理制度」).
                s = _length_strength(len(core)) * 0.93 * weight
            else:
                continue
            if True:
                if s > result.get(item_id, (0.0, ""))[0]:
                    result[item_id] = (s, shown)
        if len(result) > 1:
            # A label that sits inside several items' phrases is ambiguous: share the credit.
            factor = 1 / (1 + 0.35 * (len(result) - 1))
            result = {k: (v[0] * factor, v[1]) for k, v in result.items()}
        for item_id in list(result):
            spans = self._excluded_spans(core, item_id)
            if spans:
                del result[item_id]
        return result

    # -- n-gram evidence -------------------------------------------------------------------
    def ngram_scores(self, text: str) -> dict[str, float]:
        """IDF-weighted share of the text's meaningful n-grams that each item also uses,
        damped when the shared part is only one common bigram."""
        return {k: v[0] for k, v in self._ngrams(text).items()}

    def _ngrams(self, text: str) -> dict[str, tuple[float, float]]:
        """Item → (damped share, raw share) of the text's n-gram weight the item explains."""
        norm = _FILLER_RE.sub(" ", normalize(text))
        base = list(ngrams(norm))
        if not base:
            return {}
        base_total = sum(self.idf.get(g, self._unknown_idf) for g in base)
        candidates: set[str] = set()
        for g in base:
            candidates.update(self._gram_items.get(g, ()))
        result: dict[str, tuple[float, float]] = {}
        for item_id in candidates:
            doc = self._doc_grams[item_id]
            grams, total = base, base_total
            spans = self._excluded_spans(norm, item_id)
            if spans:  # this item may not read the excluded words
                t = norm
                for xs, xe in spans:
                    t = t[:xs] + " " * (xe - xs) + t[xe:]
                grams = list(ngrams(t))
                total = sum(self.idf.get(g, self._unknown_idf) for g in grams)
            shared = sum(doc[g] for g in grams if g in doc)
            if shared <= 0 or total <= 0:
                continue
            result[item_id] = ((shared / total) * min(1.0, shared / 3.5), shared / total)
        return result

    # -- combined --------------------------------------------------------------------------
    def scores(self, text: str | None) -> dict[str, ItemScore]:
        """Every item that relates to the text, with its score (cached: titles repeat a lot)."""
        norm = normalize(text)
        if len(norm) < 2:
            return {}
        cached = self._cache.get(norm)
        if cached is not None:
            return cached
        text = expand(text or "")
        phrases = self.phrase_scores(text or "")
        labels = self.label_scores(text or "")
        if not phrases and not labels:
            labels = self.head_scores(text or "")
        grams = self._ngrams(text or "")
        short = 0 < sum(meaningful_mask(normalize(text))) <= 8
        out: dict[str, ItemScore] = {}
        for item_id in set(phrases) | set(labels) | set(grams):
            cands = []
            if item_id in phrases:
                cands.append(ItemScore(item_id, phrases[item_id][0], phrases[item_id][1], "phrase"))
            if item_id in labels:
                cands.append(ItemScore(item_id, labels[item_id][0], labels[item_id][1], "label"))
            g, share = grams.get(item_id, (0.0, 0.0))
            # n-grams alone stay below the auto threshold unless nearly the whole text matches.
            cands.append(ItemScore(item_id, 0.72 * g, None, "ngram"))
            best = max(cands, key=lambda c: c.score)
            if (best.how == "phrase" and best.phrase and normalize(expand(best.phrase)) == normalize(text)
                    and (item_id, normalize(best.phrase)) not in self._fragments):
                # the whole label is one of the item's own names (「年度报告」, a part's title): it decides
                best = ItemScore(best.item_id, min(0.99, best.score + EXACT_BONUS), best.phrase, best.how)
            if best.how != "ngram" and not short:
                # In a longer title, a phrase whose surrounding words are foreign to the item counts
                # for less (short labels were already weighed by how much of them is explained).
                best.score = min(0.99, best.score * (0.85 + 0.25 * share))
            if best.score > 0.05:
                out[item_id] = best
        by_grams = [sc for sc in out.values() if sc.how == "ngram"]
        top = max((sc.score for sc in by_grams), default=0.0)
        few = 0 < sum(meaningful_mask(normalize(text))) <= 2
        if few and (sum(sc.score >= 0.9 * top for sc in by_grams) > 1 or any(w in norm for w in NEWS_WORDS)):
            # one word that several items share (「招生」), or a unit's news column (「财务通知」), names a
            # family of items, not one of them
            for sc in by_grams:
                sc.score = min(sc.score, SINGLE_WORD_MAX)
        self._tell_siblings_apart(normalize(text), out)
        if len(self._cache) > 50000:
            self._cache.clear()
        self._cache[norm] = out
        return out

    def _tell_siblings_apart(self, norm: str, out: dict[str, ItemScore]) -> None:
        """Parts of one split item that score alike: those whose title's own words (n-grams no other
        part's title has) appear in the text stay, the others step back (「教代会报告」 is the report part)."""
        groups: dict[str, list[str]] = {}
        for iid in out:
            parent = self.items[iid].parent if iid in self.items else ""
            if parent and iid in self._unique:
                groups.setdefault(parent, []).append(iid)
        for ids in groups.values():
            if len(ids) < 2:
                continue
            named = {i for i in ids if any(g in norm for g in self._unique[i])}
            if named and named != set(ids):
                for i in set(ids) - named:
                    out[i].score *= SIBLING_FACTOR

    def score(self, text: str | None, *, limit: int = 3) -> list[ItemScore]:
        """Best items for a text, highest first (empty when nothing relates)."""
        ranked = sorted(self.scores(text).values(), key=lambda s: (-s.score, id_key(s.item_id)))
        return ranked[:limit]


def _grams(norm: str, n: int) -> set[str]:
    return {norm[i:i + n] for i in range(len(norm) - n + 1)}


HEAD_FACTOR = 0.9        # a label matched by its head only (textsim.CatalogIndex.head_scores)
EXACT_BONUS = 0.05       # a label that is exactly one of an item's phrases
NEWS_WORDS = ("通知", "公告", "动态", "新闻", "要闻", "简讯", "快讯", "资讯")
SINGLE_WORD_MAX = 0.5    # n-gram score of a text that is one two-character word (below AUTO)
SIBLING_FACTOR = 0.85    # a split part whose own title words are absent, beside one whose are present


def _sibling_groups(items: list[ItemText]) -> list[list[ItemText]]:
    """The parts of each split item (two or more sharing a parent)."""
    groups: dict[str, list[ItemText]] = {}
    for it in items:
        if it.parent:
            groups.setdefault(it.parent, []).append(it)
    return [g for g in groups.values() if len(g) >= 2]


def _meaningful_bigrams(norm: str) -> set[str]:
    """Bigrams of a normalised text that span no filler word or digit."""
    return {g for g in _grams(_FILLER_RE.sub("|", norm), 2) if "|" not in g}


def _sibling_unique_grams(items: list[ItemText]) -> dict[str, set[str]]:
    """Per part of a split item: the bigrams of its title and short name no sibling's title has
    (filler words and digits removed)."""
    out: dict[str, set[str]] = {}
    for sibs in _sibling_groups(items):
        grams = {sib.id: _meaningful_bigrams(normalize(expand(sib.title or "")))
                 | _meaningful_bigrams(normalize(expand(sib.short or ""))) for sib in sibs}
        # words the parts inherited in common (「学校简介」 of item 1) say nothing about which part is meant
        shared = Counter(normalize(w) for sib in sibs for w in set(sib.inherited))
        common = set().union(*(_grams(w, 2) for w, n in shared.items() if n > 1)) if shared else set()
        for sib in sibs:
            others = set().union(*(v for k, v in grams.items() if k != sib.id))
            out[sib.id] = grams[sib.id] - others - common
    return out


def _sibling_words(items: list[ItemText]) -> dict[str, list[str]]:
    """The keywords and synonyms of the parts of a split item, each given only to the parts it is about.

    A school that splits 「学校章程及规章制度」 into 「学校章程」 and 「学校规章制度」 often writes only the
    parts' titles, so both inherit all of the parent's words and every column of the family ties.
    A word the siblings share belongs to the parts whose own title contains it (or its words in order:
    「领导分工」 → 校级领导班子简介及分工) or shares a trigram
    unique to that title (「章程」→ 学校章程, 「依申请公开」→ 依申请公开和不予公开信息目录); failing that, to
    the one part holding a word so settled that shares a meaningful bigram with it (「领导分工」 with 「领导班子」);
    failing that, to the part that keeps the parent's name (「学校概况」→ 办学基本情况 when 1 is split into 办学基本情况 /
    校级领导班子); failing that, to the parts sharing a bigram unique to their title (「制度汇编」→ 学校规章
    制度); a word about none of them stays with all. Words a part was given in the catalog are its own, and
    a sibling that inherited a word another part wrote for itself leaves it to that part."""
    out: dict[str, list[str]] = {}
    for sibs in _sibling_groups(items):
        names = {s.id: [n for n in {normalize(s.title), normalize(s.short)} if n] for s in sibs}
        unique: dict[int, dict[str, set[str]]] = {}
        for n in (2, 3):
            grams = {s.id: set().union(*(_grams(x, n) for x in names[s.id])) for s in sibs}
            unique[n] = {sid: g - set().union(*(o for k, o in grams.items() if k != sid)) for sid, g in grams.items()}
        parent = normalize(sibs[0].parent_name)
        heirs = {s.id for s in sibs if parent and parent in names[s.id]}
        vocab = {s.id: [*s.keywords, *s.synonyms] for s in sibs}
        inherited = {s.id: {normalize(w) for w in s.inherited} for s in sibs}
        count = Counter(normalize(w) for s in sibs for w in {normalize(x): x for x in vocab[s.id]})

        def by_title(word: str) -> set[str]:
            all_ids = {s.id for s in sibs}
            claimed = {s.id for s in sibs if word not in inherited[s.id]
                       and word in {normalize(w) for w in vocab[s.id]}}
            if claimed:   # a part that wrote the word in the catalog is what the school means by it
                return claimed
            tri = _grams(word, 3) if len(word) >= 3 else {word}
            found = {sid for sid in all_ids if any(word in x or (len(word) >= 4 and _chunks_in_order(word, x))
                                                   for x in names[sid]) or tri & unique[3][sid]}
            return found if found != all_ids else set()

        # words a single part's title already settled, as meaningful bigrams: a word sharing one belongs with
        # them (「领导分工」 with 「领导班子」, 「制度汇编」 with 「规章制度」) before the heir takes what is left
        settled: dict[str, set[str]] = defaultdict(set)
        for w in {normalize(x) for s in sibs for x in vocab[s.id]}:
            got = by_title(w)
            if len(got) == 1:
                settled[next(iter(got))] |= _meaningful_bigrams(w)

        def owners(word: str) -> set[str]:
            all_ids = {s.id for s in sibs}
            found = by_title(word)
            if found:
                return found
            found = {sid for sid in all_ids if _meaningful_bigrams(word) & settled.get(sid, set())}
            if len(found) == 1:
                return found
            if heirs and heirs != all_ids:
                return heirs
            found = {sid for sid in all_ids if _grams(word, 2) & unique[2][sid]}
            return found if found and found != all_ids else all_ids

        for s in sibs:
            out[s.id] = [w for w in vocab[s.id] if normalize(w) not in inherited[s.id] or count[normalize(w)] < 2
                         or s.id in owners(normalize(w))]
    return out


def _chunks_in_order(core: str, phrase: str) -> bool:
    """Whether ``core`` splits into pieces of 2+ characters that occur in order in ``phrase``
    within a span not much longer than the core itself."""
    limit = 2 * len(core) + 2

    def walk(i: int, pos: int, start: int | None) -> bool:
        if i == len(core):
            return True
        for size in range(len(core) - i, 1, -1):
            piece = core[i:i + size]
            if len(core) - i - size == 1:
                continue  # a single trailing character is not a word
            j = phrase.find(piece, pos)
            while j >= 0:
                first = j if start is None else start
                if j + size - first <= limit and walk(i + size, j + size, first):
                    return True
                j = phrase.find(piece, j + 1)
        return False

    return walk(0, 0, None)


def id_key(item_id: str) -> tuple[int | str, ...]:
    """Sort key for item ids such as '7', '50.1'."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-]", item_id))
