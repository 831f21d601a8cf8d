"""The dashboard's title index in each engine's own full-text search (the table: migration 4).

A query is a list of phrases, each a run of grams that must be adjacent in that order, or a prefix (one
character: any gram starting with it); all phrases must match. SQLite spells it as an FTS5 MATCH
expression, PostgreSQL as a tsquery (``<->`` between grams, ``:*`` for a prefix) against the tsvector
column. Grams hold only CJK characters, Latin letters and digits (monitor.dashboard.search), so neither
syntax needs quoting beyond FTS5's phrase quotes.
"""
from __future__ import annotations

from dataclasses import dataclass

from monitor.store.engine import Database, is_postgres


@dataclass(frozen=True)
class Phrase:
    grams: tuple[str, ...]
    prefix: bool = False     # a single character: any gram that starts with it


def match_condition(db: Database, alias: str = "s") -> str:
    """The WHERE condition (one ``?`` for :func:`match_query`) on ``dash_search`` aliased ``alias``."""
    if is_postgres(db):
        return f"{alias}.tsv @@ to_tsquery('simple', ?)"
    return f"{alias}.dash_search MATCH ?"


def match_query(db: Database, phrases: list[Phrase]) -> str | None:
    """The engine's query text for these phrases (None when there are none)."""
    if not phrases:
        return None
    if is_postgres(db):
        return " & ".join(f"{p.grams[0]}:*" if p.prefix else "(" + " <-> ".join(p.grams) + ")" for p in phrases)
    return " AND ".join(f'"{p.grams[0]}"*' if p.prefix else '"' + " ".join(p.grams) + '"' for p in phrases)
