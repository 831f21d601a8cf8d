"""A fleet of schools: one fleet file, jobs (scan with assessment, publish, digest) on Celery workers with a Redis
broker, a Redis lock per school so a school's jobs never overlap, and the schedule (docs/fleet.md).

``fleetfile`` reads the fleet file; ``locks`` the school locks; ``records`` what happened to every job;
``jobs`` runs one job (the same subprocesses a single school runs); ``tasks`` the Celery app and its task;
``schedule`` the `xxgk fleet run` scheduler; ``state`` what `xxgk fleet status` shows.
"""
