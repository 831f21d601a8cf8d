# xxgk-monitor in a container: `xxgk run` (nightly scans, digests, the dashboard) with its data on /data.
#   docker build -t xxgk-monitor .          (docs/service.md; Docker is not part of CI)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what `pip install .` needs (.dockerignore keeps the venv, data and tests out of the context).
COPY pyproject.toml README.md /src/
COPY config /src/config
COPY crawler /src/crawler
COPY spiders /src/spiders
COPY monitor /src/monitor
RUN pip install /src && rm -rf /src

# A non-root account owns the data volume: the database, its lock, logs and reports (all created 0600).
RUN useradd --system --user-group --uid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin xxgk \
    && mkdir /data && chown xxgk:xxgk /data && chmod 0700 /data
VOLUME ["/data"]
WORKDIR /data
USER xxgk

# The school config; its `database: data/xxgk.db` (the default) is relative to it: /data/data/xxgk.db.
ENV XXGK_CONFIG=/data/xxgk.yaml

EXPOSE 8000
# No curl in the slim image: Python's urllib. A 503 (database unreadable) or no answer is unhealthy.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5)"]

# `docker run IMAGE` runs the service; `docker run IMAGE check` (or `user add …`) any other xxgk command.
ENTRYPOINT ["xxgk"]
CMD ["run", "--host", "0.0.0.0", "--port", "8000"]
