"""Structured logs for long-running commands (`xxgk run`).

One line per event, either ``key=value`` pairs (default, easy to grep) or JSON lines. Extra
fields passed with ``logger.info(msg, extra={...})`` or :func:`log_event` become keys, so a
scan id, a job name or a pid can be searched for. Output goes to stdout, or to a rotating
file so an unattended service never fills the disk.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor.core.private_files import private_file

# Attributes every LogRecord has; anything else on a record came from `extra=` and is a field.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}
_HANDLER_MARK = "_xxgk_handler"


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _ts(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, timezone.utc).astimezone().isoformat(timespec="milliseconds")


def _kv_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text == "" or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=INFO logger=monitor.service event=scan.finished scan_id=3 msg="…"``."""

    def format(self, record: logging.LogRecord) -> str:
        parts = {"ts": _ts(record), "level": record.levelname, "logger": record.name}
        parts.update(_fields(record))
        parts["msg"] = record.getMessage()
        line = " ".join(f"{k}={_kv_value(v)}" for k, v in parts.items())
        if record.exc_info:
            line += " exc=" + _kv_value(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the same keys as :class:`KeyValueFormatter`."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": _ts(record), "level": record.levelname, "logger": record.name}
        data.update(_fields(record))
        data["msg"] = record.getMessage()
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(log_file: str | Path | None = None, *, fmt: str = "kv", level: str | int = "INFO",
                  max_bytes: int = 10 * 1024 * 1024, backups: int = 5) -> logging.Logger:
    """Route the ``monitor`` (and scheduler/apprise) loggers to stdout or a rotating file.

    APScheduler's own warnings (overlap, missed run) are left out: the service logs those as
    events with its own fields.

    Calling it again replaces the handler it installed before (tests start several services
    in one process), leaving handlers installed by others alone.
    """
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else KeyValueFormatter()
    if log_file:
        private_file(log_file)  # logs name pages and people: 0600 (rotated files keep the mode)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    for name, lvl in (("monitor", level), ("apscheduler", "ERROR"), ("apprise", "WARNING")):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(lvl)
        logger.propagate = False
    return logging.getLogger("monitor")


def log_event(logger: logging.Logger, event: str, msg: str = "", *, level: int = logging.INFO,
              **fields: Any) -> None:
    """Log one event with fields: ``log_event(log, "scan.finished", "扫描完成", scan_id=3)``."""
    logger.log(level, msg or event, extra={"event": event, **fields})
