"""Every number that decides whether a match is ``auto``, ``review`` or nothing, with why.

Scores come from :mod:`.textsim` (≥ 0.8 an unambiguous phrase, 0.6–0.8 a short or partial one, below
0.5 weak overlap); the passes combine them with the rules below. Tuning one of these moves the
testbed figures in docs/matching.md: re-measure after a change.
"""
from __future__ import annotations

# -- states ------------------------------------------------------------------------------------
AUTO = 0.6              # at or above: counted as the item's evidence without review
REVIEW = 0.35           # at or above (and below AUTO): listed for review
STANDALONE_AUTO = 0.9   # a page outside any matched column needs a very specific title
STANDALONE_REVIEW = 0.7  # … and a fairly specific one to be worth a reviewer's time
TIE_MARGIN = 0.04       # two items this close are "equally strong": both go to review
MULTI_MIN = 0.5         # each item a column label names in its own words (「预算决算」)
CONFIRMED_MIN = 0.6     # a person's confirmation lifts a weak candidate to an automatic one's score
MAX_SCORE = 0.99        # only a config override or a person's assignment is certain (1.0)

# -- titles ------------------------------------------------------------------------------------
TITLE_CLEAR = 0.7       # a title "clearly names" an item from here (verbatim words, no close second)
CLEAR_MARGIN = 0.3      # an article's own title must beat its column's item by this to move
MOVE_MIN = 0.75         # … and name its own item at least this clearly
ODD_ONE_OUT = 0.5       # a column where this share of titles names one item is called that item there
TITLE_PICKS = 0.15      # a title settles between several parent items when it leads by this
TITLE_HELP = 0.5        # weight of the title's own score when ranking the parents' items

# -- units -------------------------------------------------------------------------------------
UNIT_PRIOR = 0.05       # bonus when the page's unit owns the item (only on top of real evidence)
UNIT_PRIOR_MIN = 0.3    # … "real evidence": below this the bonus would make a match out of noise
OTHER_UNIT_FACTOR = 0.65  # a unit-site page scored on its own words, for an item another unit owns

# -- columns -----------------------------------------------------------------------------------
HEADING_SURE = 0.8      # a navigation link this sure of its item checks the category heading order
HEADING_AGREE = 0.7     # … and this share of such links must agree for the headings to count
HEADING_MIN_LINKS = 2   # … of at least this many: one link proves no order
CATEGORY_BONUS = 0.03   # an item of the category the column sits under (navigation heading, breadcrumb)
OTHER_CATEGORY_FACTOR = 0.85  # … and an item of another category
AGREEMENT = 0.5         # a second label agreeing closes this share of the gap to 1
ARTICLE_TITLE_WEIGHT = 0.9  # a one-article column's page title, when a menu label or breadcrumb exists

# -- contents of a column ----------------------------------------------------------------------
CONTENT_SHARE = 0.25    # a column whose articles are this much about an item also serves it
CONTENT_MIN_DOCS = 2    # … and at least this many of them: one document is chance, two a pattern
SHORT_LIST = 2          # a list this short with no label of its own is matched by its few documents
FITS_COLUMN = 0.5       # a title that fits the column's item this well confirms the column
FOCUSED_SHARE = 0.6     # titles naming the column's items must be this share, else a mixed news list
LEAN_MIN = 0.1          # a label leaning this much towards an item lets one clear document decide
CONTENT_BASE = 0.6      # score of an item from a column's contents: base …
CONTENT_SPAN = 0.4      # … plus this times the share of its articles …
CONTENT_MAX = 0.9       # … up to this (contents alone are never as sure as a name)

# -- inheritance -------------------------------------------------------------------------------
INHERIT_FACTOR = 0.98   # an article is a little less sure than the column it sits in


def unit_prior(score: float, *, same_unit: bool, other_known_unit: bool, weak: bool) -> float:
    """The unit site a page lives on: a bonus when its unit owns the item; for evidence that rests
    on the page's own words only (``weak``), a penalty when another (configured) unit owns it."""
    if same_unit:
        return min(MAX_SCORE, score + UNIT_PRIOR) if score >= UNIT_PRIOR_MIN else score
    if weak and other_known_unit:
        return score * OTHER_UNIT_FACTOR
    return score


def in_category(score: float, same: bool) -> float:
    return score + CATEGORY_BONUS if same else score * OTHER_CATEGORY_FACTOR


def agreed(score: float, second: float) -> float:
    """Two different labels (menu and breadcrumb, menu and page title) that agree."""
    return score + (1 - score) * AGREEMENT * second


def content_score(k: int, n: int) -> float:
    return round(min(CONTENT_MAX, CONTENT_BASE + CONTENT_SPAN * k / n), 3)
