"""kiyaku serve: the REST API for a provider's systems (/v1, JSON, /openapi.json) and the page for
support agents (server-rendered, no JavaScript needed), over the case store and the decision log.

The only part of kiyaku that imports the web framework (FastAPI, Starlette, uvicorn). It decides
nothing: answers come from kiyaku.answers, memos from kiyaku.report, rulings from the one Judge this
process keeps, on the one thread that may touch the inference engine (engine.py).

    app = create_app(Settings(db="kiyaku.db"))      # an ASGI application
    serve(Settings(db="kiyaku.db", port=8080))      # the same, run by uvicorn
"""

from kiyaku.server.settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def create_app(settings: Settings):
    from kiyaku.server.app import create_app as create

    return create(settings)


def serve(settings: Settings, demo: bool = False) -> None:
    from kiyaku.server.run import serve as run

    run(settings, demo)
