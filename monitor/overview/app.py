"""The overview application (`create_app`) and serving it (`xxgk overview serve`: monitor/commands/overview.py)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from monitor.dashboard.app import install_common
from monitor.overview import accounts, routes
from monitor.overview.web import HERE, Connections, ReadCache, Settings, error_response

log = logging.getLogger("monitor.overview")


def create_app(settings: Settings) -> FastAPI:
    """The overview over a fleet's summary store (created if needed)."""
    connections = Connections(settings.fleet_database)
    app = FastAPI(title=f"{settings.title} 信息公开监测总览", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.connections = connections
    app.state.read_cache = ReadCache()
    app.state.secret_key = accounts.secret_key(connections.get())
    # The school dashboard's look (its stylesheet and icon at /static: install_common), the overview's additions.
    install_common(app, error_response)
    app.mount("/assets", StaticFiles(directory=str(HERE / "static")), name="assets")
    app.include_router(routes.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> Response:
        try:
            connections.get().execute("SELECT 1 FROM schools LIMIT 1").fetchall()
            ok = True
        except Exception:
            log.exception("summary store does not answer")
            ok = False
        return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)

    return app
