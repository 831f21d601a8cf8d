"""The fleet's Celery app: one task, ``xxgk.fleet.job(school, kind, job_id)``, on the fleet's queue.

At-least-once delivery, and never twice to completion:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged when its job has ended, so a
  worker that dies mid-job leaves it unacknowledged; a pool process that dies sends it back at once, a whole
  worker that dies (SIGKILL, a machine lost) leaves it to Redis, which delivers it again after the
  ``visibility_timeout`` (from the fleet file: longer than the longest job);
* ``worker_prefetch_multiplier = 1``: a worker holds no message it is not running, so a lost worker takes no
  queued job down with it and a free worker is never kept waiting behind a busy one;
* the job's record (:mod:`monitor.fleet.records`, the message's task id is the job id) stops a copy of a job that
  already finished; the school lock (:mod:`monitor.fleet.locks`) sends a job whose school is busy back to the
  queue for ``busy_retry_seconds``.

The worker reads the fleet file of its own machine (:func:`run_worker`): a message names a school by its key,
so each machine may keep the school configs at its own path.
"""
from __future__ import annotations

import logging
import os
import socket
from typing import Any

from celery import Celery, Task

from monitor.config import ConfigError
from monitor.fleet.fleetfile import Fleet, load_fleet
from monitor.fleet.jobs import SchoolBusy, run_job
from monitor.fleet.records import Records

log = logging.getLogger("monitor.fleet")

TASK_NAME = "xxgk.fleet.job"


def broker_options(fleet: Fleet) -> dict[str, Any]:
    """Redis transport options: the visibility timeout, a sweep for lost messages a few times within it,
    and every key under the fleet's prefix (two fleets can share one Redis)."""
    vt = fleet.visibility_timeout
    interval = max(1.0, min(10.0, vt / 20))
    throttle = max(1, min(10, int(vt / (5 * interval))))
    return {"visibility_timeout": vt, "unacked_restore_interval": interval, "unacked_restore_throttle": throttle,
            "global_keyprefix": f"{fleet.redis_prefix()}:celery:"}


def make_app(fleet: Fleet) -> Celery:
    app = Celery(f"xxgk-{fleet.name}", broker=fleet.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=broker_options(fleet),
        broker_connection_retry_on_startup=True,
        task_default_queue=fleet.queue,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,        # what a job did is in its record, not in a result backend
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        enable_utc=True,
    )

    current = [fleet]

    @app.task(name=TASK_NAME, bind=True, max_retries=None)
    def fleet_job(self: Task, school: str, kind: str, job_id: str) -> str:
        worker = str(self.request.hostname or socket.gethostname())
        if school not in current[0].keys:
            current[0] = _reloaded(current[0])
        try:
            outcome = run_job(current[0], school, kind, job_id, worker, client(fleet))
        except SchoolBusy as exc:
            log.info("学校 %s 正忙（%s），%s 秒后重试", school, exc, fleet.busy_retry,
                     extra={"event": "fleet.busy", "job": job_id, "school": school})
            raise self.retry(countdown=fleet.busy_retry) from None
        return outcome.state

    return app


def _reloaded(fleet: Fleet) -> Fleet:
    """The fleet file read again: a school added since the worker started is found without a restart (a
    broken edit keeps the fleet the worker has)."""
    try:
        return load_fleet(fleet.path)
    except ConfigError as exc:
        log.error("集群文件有误，继续使用启动时的设置：%s", exc, extra={"event": "fleet.invalid"})
        return fleet


_CLIENTS: dict[tuple[int, str], Any] = {}


def client(fleet: Fleet) -> Any:
    """This process's Redis connection for locks and records (a forked pool process makes its own)."""
    import redis

    key = (os.getpid(), fleet.broker)
    if key not in _CLIENTS:
        _CLIENTS[key] = redis.Redis.from_url(fleet.broker, decode_responses=True, socket_timeout=30,
                                             health_check_interval=30)
    return _CLIENTS[key]


def enqueue(fleet: Fleet, app: Celery, school: str, kind: str, job_id: str, trigger: str) -> bool:
    """Record and send one job; False when a job with this id was already enqueued."""
    records = Records(client(fleet), fleet.redis_prefix())
    if not records.create(job_id, school, kind, trigger):
        return False
    try:
        app.send_task(TASK_NAME, args=[school, kind, job_id], task_id=job_id, queue=fleet.queue)
    except Exception:
        records.forget(job_id, school)
        raise
    return True


def run_worker(fleet: Fleet, *, concurrency: int, name: str | None, loglevel: str = "INFO") -> None:
    """Run a Celery worker for the fleet's queue in this process until it is stopped (SIGTERM: warm shutdown,
    running jobs finish first)."""
    app = make_app(fleet)
    node = name or f"xxgk{os.getpid()}@{socket.gethostname()}"
    app.worker_main(["worker", "--queues", fleet.queue, "--concurrency", str(concurrency), "--hostname", node,
                     "--pool", "prefork", "--loglevel", loglevel, "--without-gossip", "--without-mingle",
                     "--without-heartbeat"])
