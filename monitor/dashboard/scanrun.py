"""Start `xxgk scan` from the dashboard as a background subprocess (admin only)."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from monitor.core import clock
from monitor.core.locks import pid_alive
from monitor.store.engine import Database, is_postgres


class ScanRunner:
    """At most one dashboard-started scan at a time; the scan itself also takes the database lock."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def running(self, db: Database) -> bool:
        with self._lock:
            if self.proc is not None and self.proc.poll() is None:
                return True
            self.proc = None  # reaped: no zombie left behind
        for (pid,) in db.execute("SELECT pid FROM scans WHERE status = 'running'").fetchall():
            if pid_alive(pid):
                return True
        return False

    def start(self, db: Database, config_path: Path) -> bool:
        """Start a scan unless one is running; True when started."""
        if self.running(db):
            return False
        # next to the SQLite file; a school on PostgreSQL keeps it next to its config file
        log_path = (config_path.with_name(f"{config_path.stem}.dashboard-scan.log") if is_postgres(db)
                    else Path(db.location + ".dashboard-scan.log"))
        cmd = [sys.executable, "-m", "monitor.cli", "scan", "--config", str(config_path), "--trigger", "dashboard"]
        with self._lock:
            with open(log_path, "ab") as log:
                self.proc = subprocess.Popen(cmd, env=clock.env_for_child(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        return True

    def wait(self, timeout: float | None = None) -> int | None:
        """For tests and shutdown: wait for the scan this dashboard started."""
        proc = self.proc
        return proc.wait(timeout) if proc is not None else None
