"""Match stored pages, list entries and attachments to catalog items.

Evidence, strongest first: a ``columns:`` override in the config; the disclosure site's own
navigation (its column titles mirror the catalog); a disclosure-site link to a column on another
site; the page's own title; the unit site the page lives on (a small prior, never alone).
Articles, entries and attachments under a matched column inherit its item unless their own title
clearly names another one. Every match carries a score, a Chinese reason, a method and a state
(``auto`` / ``review`` / ``confirmed`` / ``rejected``). A person's decisions live in
``match_decisions`` and follow a page to a new URL by its normalised title or fingerprint.

The package: :mod:`.run` (one run, writing ``matches``) over :mod:`.passes` (the five passes, in
order) sharing a :class:`~.context.Context`; :mod:`.crawl` (the stored crawl, read-only),
:mod:`.decisions` (a person's decisions), :mod:`.scoring` (every threshold), :mod:`.textsim` (text
similarity), :mod:`.listing` and :mod:`.evaluate` (reading the results). Import from here.
See docs/matching.md for the algorithm and measured figures.
"""
from __future__ import annotations

from monitor.matching.context import Candidate, build_index, catalog_items
from monitor.matching.decisions import MatchError, assign_column, confirm_match, reject_match
from monitor.matching.evaluate import evaluate_matching
from monitor.matching.listing import list_matches, matches_table
from monitor.matching.run import MatchStats, match_all
from monitor.matching.scoring import AUTO, REVIEW

__all__ = [
    "AUTO",
    "REVIEW",
    "Candidate",
    "MatchError",
    "MatchStats",
    "assign_column",
    "build_index",
    "catalog_items",
    "confirm_match",
    "evaluate_matching",
    "list_matches",
    "match_all",
    "matches_table",
    "reject_match",
]
