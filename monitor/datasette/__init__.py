"""Datasette metadata for the product's database (docs/datasette.md): ``METADATA`` is the shipped file;
``python -m monitor.datasette`` prints its path, for ``datasette data/xxgk.db -m "$(python -m monitor.datasette)"``.
Datasette itself is the optional extra ``xxgk-monitor[datasette]``; nothing here imports it."""
from __future__ import annotations

from pathlib import Path

METADATA = Path(__file__).resolve().parent / "metadata.yaml"
# Datasette names a database after its file (data/xxgk.db -> "xxgk"); the metadata describes that name.
DATABASE = "xxgk"
