"""xxgk-monitor: storage, matching, rules, scheduling, notifications, dashboard, reports and CLI."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xxgk-monitor")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
