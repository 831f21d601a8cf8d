"""Child process groups (a scan and its crawl; a fleet job's subprocess): signal them, stop them."""
from __future__ import annotations

import os
import signal
import subprocess


def kill_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to a process group; one that is gone already is no error."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM the group ``proc`` leads (a scan forwards it to its crawl), SIGKILL it after ``grace`` seconds."""
    kill_group(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid, signal.SIGKILL)
        proc.wait()
