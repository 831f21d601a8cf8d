"""``python -m monitor.datasette``: print the path of the Datasette metadata file."""
from __future__ import annotations

from monitor.datasette import METADATA

print(METADATA)
