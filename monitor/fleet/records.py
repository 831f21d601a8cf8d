"""What happened to every job of a fleet: one Redis hash per job, a short list of recent jobs per school.

A job's id is chosen by whoever enqueues it (``<school>:<kind>:<when>``) and is also the Celery task id, so a
copy of a message that Redis delivers again (a worker lost, a visibility timeout passed) finds the record of
the job it is a copy of: a finished job is not run a second time, and ``xxgk fleet status`` reads the same
records. Records expire after :data:`KEEP_SECONDS`; each school's list keeps the last :data:`KEEP_PER_SCHOOL`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from monitor.core.vocab import FLEET_JOB_KIND

KINDS = FLEET_JOB_KIND.order
FINISHED = frozenset({"done", "failed", "timeout"})
KEEP_SECONDS = 90 * 24 * 3600
KEEP_PER_SCHOOL = 100


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    school: str
    kind: str                   # scan | digest
    state: str                  # queued | waiting | running | done | failed | timeout
    trigger: str                # schedule | manual
    enqueued_at: str            # UTC ISO times; "" when not yet
    started_at: str
    finished_at: str
    worker: str                 # the Celery worker (node name) that ran it last
    attempts: int               # how many times a worker started it (2: redelivered after a lost worker)
    result: str                 # one Chinese line: what the job did, or why it failed
    scan_id: int | None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @classmethod
    def from_hash(cls, job_id: str, h: dict[str, str]) -> "JobRecord":
        scan = h.get("scan_id") or ""
        return cls(job_id, h.get("school", ""), h.get("kind", ""), h.get("state", "queued"),
                   h.get("trigger", ""), h.get("enqueued_at", ""), h.get("started_at", ""),
                   h.get("finished_at", ""), h.get("worker", ""), int(h.get("attempts") or 0),
                   h.get("result", ""), int(scan) if scan.isdigit() else None)


class Records:
    """Job records of one fleet in its Redis (``<prefix>:job:<id>``, ``<prefix>:jobs:<school>``)."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def _list(self, school: str) -> str:
        return f"{self.prefix}:jobs:{school}"

    def create(self, job_id: str, school: str, kind: str, trigger: str) -> bool:
        """A new record in state ``queued``; False (nothing written) when the job already has one: a second
        scheduler, or the same scheduled run seen again after a restart, does not enqueue it twice."""
        key = self._key(job_id)
        if not self.client.hsetnx(key, "enqueued_at", utc_now()):
            return False
        pipe = self.client.pipeline()
        pipe.hset(key, mapping={"school": school, "kind": kind, "state": "queued", "trigger": trigger,
                                "attempts": 0})
        pipe.expire(key, KEEP_SECONDS)
        pipe.lpush(self._list(school), job_id)
        pipe.ltrim(self._list(school), 0, KEEP_PER_SCHOOL - 1)
        pipe.execute()
        return True

    def forget(self, job_id: str, school: str) -> None:
        """Remove a record whose job could not be enqueued (the broker refused it)."""
        self.client.delete(self._key(job_id))
        self.client.lrem(self._list(school), 0, job_id)

    def get(self, job_id: str) -> JobRecord | None:
        h = self.client.hgetall(self._key(job_id))
        return JobRecord.from_hash(job_id, h) if h else None

    def update(self, job_id: str, **fields: str | int) -> None:
        self.client.hset(self._key(job_id), mapping={k: v for k, v in fields.items()})

    def note_once(self, job_id: str, field: str, value: str) -> str:
        """Set ``field`` of the job's record unless an earlier attempt did; returns the stored value."""
        key = self._key(job_id)
        self.client.hsetnx(key, field, value)
        stored = self.client.hget(key, field)
        return stored.decode() if isinstance(stored, bytes) else str(stored)

    def start(self, job_id: str, worker: str) -> int:
        """The job starts on ``worker``; returns its attempt number."""
        key = self._key(job_id)
        pipe = self.client.pipeline()
        pipe.hincrby(key, "attempts", 1)
        pipe.hset(key, mapping={"state": "running", "worker": worker, "started_at": utc_now(), "finished_at": "",
                                "result": ""})
        pipe.expire(key, KEEP_SECONDS)
        return int(pipe.execute()[0])

    def finish(self, job_id: str, state: str, result: str, scan_id: int | None = None) -> None:
        assert state in FINISHED, state
        self.update(job_id, state=state, result=result, finished_at=utc_now(),
                    scan_id=str(scan_id) if scan_id is not None else "")

    def recent(self, school: str, limit: int = 20) -> list[JobRecord]:
        """The school's latest jobs, newest first (records that expired are left out)."""
        out = []
        for job_id in self.client.lrange(self._list(school), 0, limit - 1):
            rec = self.get(job_id)
            if rec is not None:
                out.append(rec)
        return out
