"""The school lock: at most one job of a school runs at a time, on any machine.

A Redis key per school (``<prefix>:lock:<school>``) set with NX and a TTL (``lock_ttl_seconds``), holding a
token that names the job and the worker. While the job runs, a thread renews the TTL every third of it; a
worker that dies (SIGKILL, power cut) stops renewing, so its lock lapses after at most one TTL and the job's
redelivered copy (or the school's next job) can take it. Renewal and release compare the token first (a Lua
script): a job never extends or deletes a lock another job has taken since.

The local scan lock (``monitor.core.locks``, a file lock next to the database) still guards each machine
against a manual `xxgk scan`; this one is what keeps two machines apart.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger("monitor.fleet")

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def lock_key(prefix: str, school: str) -> str:
    return f"{prefix}:lock:{school}"


def describe_token(token: str | None) -> str:
    """Chinese words for a lock holder's token (``<job id>|<worker>``)."""
    if not token:
        return "无"
    job, _, worker = token.partition("|")
    return f"任务 {job}" + (f"（{worker}）" if worker else "")


class SchoolLock:
    """One school's lock, held by one job (``token`` = ``<job id>|<worker>``)."""

    def __init__(self, client: Any, prefix: str, school: str, token: str, ttl: float) -> None:
        self.client = client
        self.key = lock_key(prefix, school)
        self.token = token
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.lost = threading.Event()       # set when a renewal found the lock gone or taken by another job

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return str(value) if value is not None else None

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)

    @contextmanager
    def kept_alive(self) -> Iterator["SchoolLock"]:
        """Renew the TTL every third of it for the block. A renewal that cannot reach Redis is tried again at
        the next beat; one that finds the lock gone (it lapsed, another job holds it) sets :attr:`lost`."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.ttl_ms / 3000):
                try:
                    if not self.renew():
                        log.warning("学校锁已失效：%s", self.key, extra={"event": "fleet.lock_lost"})
                        self.lost.set()
                        return
                except Exception as exc:  # noqa: BLE001 - Redis unreachable for a moment: try at the next beat
                    log.warning("无法续期学校锁 %s：%s", self.key, exc, extra={"event": "fleet.lock_renew_failed"})

        thread = threading.Thread(target=beat, name="school-lock", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(5)
