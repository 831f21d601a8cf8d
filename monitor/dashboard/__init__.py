"""The staleness dashboard: FastAPI + Jinja2, server-rendered, offline (see docs/dashboard.md)."""
