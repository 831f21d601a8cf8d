"""The scan lock: at most one scan per database at a time.

An exclusive ``flock`` on a file next to the database (``<db>.scan.lock``). The kernel drops the
lock when its holder dies, so a lock left by a crashed or killed process is simply taken over by
the next one (the file's pid/time are then overwritten). The file's content only describes the
holder (pid, host, purpose, times, scan id) for messages like "扫描正在进行（进程 123 …）".

The service takes the lock before it starts a scan subprocess and hands the locked descriptor to
the child (``pass_fds`` + ``XXGK_SCAN_LOCK_FD``), so `xxgk scan` run by the service holds the same
lock instead of waiting for its own parent, while a manual `xxgk scan` is refused.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from monitor.core import clock
from monitor.core.private_files import private_dir

ENV_FD = "XXGK_SCAN_LOCK_FD"


class LockHeld(RuntimeError):
    """Another live process holds the lock; ``holder`` describes it."""

    def __init__(self, path: Path, holder: dict[str, Any] | None):
        self.path = path
        self.holder = holder or {}
        super().__init__(describe_holder(self.holder))


def lock_path(db_path: str | Path, name: str = "scan") -> Path:
    return Path(f"{db_path}.{name}.lock")


def describe_holder(holder: dict[str, Any]) -> str:
    """Chinese one-liner about who holds the lock."""
    if not holder:
        return "另一个扫描正在进行"
    parts = [f"进程 {holder.get('pid', '?')}"]
    if holder.get("purpose"):
        parts.append(str(holder["purpose"]))
    if holder.get("scan_id"):
        parts.append(f"扫描 #{holder['scan_id']}")
    if holder.get("started_at"):
        parts.append(f"开始于 {holder['started_at']}")
    return "另一个扫描正在进行（" + "，".join(parts) + "）"


def _read_info(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}


class ScanLock:
    """Exclusive, non-blocking scan lock. Use as a context manager or acquire()/release()."""

    def __init__(self, db_path: str | Path, purpose: str = "scan", name: str = "scan"):
        # `name` selects another lock next to the same database (e.g. "notify" for digest runs).
        self.path = lock_path(db_path, name)
        self.name = name
        self.purpose = purpose
        self.fd: int | None = None
        self.inherited = False
        self.info: dict[str, Any] = {}

    # -- acquiring

    def acquire(self, *, wait: float = 0.0, poll: float = 0.05) -> "ScanLock":
        """Take the lock or raise :class:`LockHeld` (after waiting up to ``wait`` seconds)."""
        if self.fd is not None:
            return self
        if self._adopt_inherited():
            return self
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        # A short minimum wait absorbs holder() probes, which hold a shared lock for microseconds.
        deadline = time.monotonic() + max(wait, 0.3)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockHeld(self.path, _read_info(self.path)) from None
                time.sleep(poll)
        self.fd = fd
        previous = _read_info(self.path)
        self.info = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose,
                     "started_at": clock.now_iso(), "wall_started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        if previous.get("pid") and previous.get("pid") != os.getpid():
            # The previous holder died without releasing (the kernel freed its flock): say so.
            self.info["took_over_from"] = previous.get("pid")
        self._write()
        return self

    def _adopt_inherited(self) -> bool:
        """Re-use a lock descriptor our parent (the service) locked and passed to us."""
        raw = os.environ.get(ENV_FD) if self.name == "scan" else None
        if not raw or not raw.isdigit():
            return False
        fd = int(raw)
        try:
            st_fd, st_path = os.fstat(fd), os.stat(self.path)
        except OSError:
            return False
        if (st_fd.st_dev, st_fd.st_ino) != (st_path.st_dev, st_path.st_ino):
            return False
        try:
            # Same open file description as the parent's: this succeeds while the parent holds it.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        self.fd, self.inherited = fd, True
        self.info = _read_info(self.path)
        self.info["child_pid"] = os.getpid()
        self._write()
        return True

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        if self.inherited:
            return  # the parent owns the descriptor and releases it
        try:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # -- describing the holder

    def update(self, **fields: Any) -> None:
        """Add details (e.g. ``scan_id``) to the holder description."""
        self.info.update({k: v for k, v in fields.items() if v is not None})
        if self.fd is not None:
            self._write()

    def _write(self) -> None:
        assert self.fd is not None
        data = json.dumps(self.info, ensure_ascii=False).encode("utf-8")
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def child_env(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a child that should run under this lock (pass ``pass_fds=(lock.fd,)``)."""
        env = dict(os.environ if env is None else env)
        if self.fd is not None:
            env[ENV_FD] = str(self.fd)
        return env

    @property
    def held(self) -> bool:
        return self.fd is not None

    def __enter__(self) -> "ScanLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(db_path: str | Path, name: str = "scan") -> dict[str, Any] | None:
    """Who holds the scan lock of this database right now (None if nobody)."""
    path = lock_path(db_path, name)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_info(path) or {"pid": None}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
