"""Files the product writes are private to the account that runs it.

The database holds archived pages (with whatever personal data a site leaked), password hashes and the
dashboard's cookie key; logs name people and pages. So: directories we create are 0700, files 0600, and
every command runs under umask 077 so that SQLite's -wal/-shm files, rotated logs, lock files, reports
and exports are created the same way (docs/security.md).
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def restrict_umask() -> None:
    """Make everything this process (and its children) creates private."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) as 0700; an existing directory is left as its owner set it."""
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: str | Path) -> Path:
    """Create ``path`` empty as 0600 if it does not exist yet (before a library opens it with 0644)."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    os.close(fd)
    os.chmod(path, 0o600)
    return path
