"""The ASGI application: the API, the page, their errors, and the guard around them all."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from kiyaku.errors import KiyakuError
from kiyaku.server import api, page
from kiyaku.server.auth import Sessions
from kiyaku.server.guard import Buckets, Guard
from kiyaku.server.models import schemas
from kiyaku.server.problems import Problem, of_error
from kiyaku.server.service import Service
from kiyaku.server.settings import Settings

log = logging.getLogger("kiyaku.server")
STATIC = Path(__file__).resolve().parent / "static"
MACHINE = ("/v1/", "/healthz", "/openapi.json")  # paths answered in JSON; the rest is the page's

DESCRIPTION = """What a provider's terms of service say about a contract, with the clauses that say so.

Every call but `/healthz` takes `Authorization: Bearer kiyaku_…` (a token made by `kiyaku token create`),
and the token's role limits what it may do: `agent` asks and reads; `legal` also reads and replays
decisions; `ingest` only adds events. Every answer and ruling set given is recorded in the decision log
under the token's user. Every response carries `Kiyaku-Version`, `Kiyaku-Terms-SHA256` and
`Kiyaku-Rules-SHA256`; errors are `application/problem+json` naming what is wrong.
"""


class _App(FastAPI):
    """FastAPI, with the guard outside everything else (even the handler of unexpected errors)."""

    guard: dict[str, Any]

    def build_middleware_stack(self):
        return Guard(super().build_middleware_stack(), **self.guard)


def create_app(settings: Settings) -> FastAPI:
    """The application over `settings.db`. It holds the store and the engine until the server stops
    (the application's lifespan) and closes them then."""
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        service.close()

    app = _App(title="kiyaku", version=service.version, description=DESCRIPTION, lifespan=lifespan,
               docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.guard = {"headers": {"Kiyaku-Version": service.version, "Kiyaku-Terms-SHA256": service.digests[0],
                             "Kiyaku-Rules-SHA256": service.digests[1]},
                 "max_body": settings.max_body, "buckets": Buckets(settings.rate, settings.burst),
                 "proxy_user": settings.trust_proxy_user}
    app.state.service = service
    app.state.settings = settings
    app.state.sessions = Sessions(settings.secret, settings.session_hours)
    app.include_router(api.router)
    app.include_router(api.health)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _handle_errors(app)
    app.openapi = lambda: _openapi(app)
    return app


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> Response:
        return _respond(request, exc)

    @app.exception_handler(KiyakuError)
    async def kiyaku_error(request: Request, exc: KiyakuError) -> Response:
        found = of_error(exc)
        if found.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return _respond(request, found)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return _respond(request, Problem(422, "The input is not valid",
                                         "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors))

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> Response:
        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if exc.detail != title else None
        return _respond(request, Problem(exc.status_code, title, detail, headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # The traceback goes to the server's log (uvicorn logs it again as the exception goes on); the
        # client learns only that the fault is the server's.
        log.exception("%s %s failed", request.method, request.url.path)
        return _respond(request, Problem(500, "Internal server error", "the server's log has the details"))


def _respond(request: Request, problem: Problem) -> Response:
    if request.url.path.startswith(MACHINE):
        return Response(orjson.dumps(problem.as_json()), status_code=problem.status,
                        media_type="application/problem+json", headers=problem.headers)
    response = page.problem_page(request, problem)
    response.headers.update(problem.headers)
    return response


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {}).update(schemas())
        doc["components"]["securitySchemes"] = {"token": {"type": "http", "scheme": "bearer",
                                                          "description": "a token made by `kiyaku token create`"}}
        doc["security"] = [{"token": []}]
        app.openapi_schema = doc
    return app.openapi_schema
