"""Run the application with uvicorn: one process (the engine is one thread of it, engine.py), listening
where it is told, on localhost by default; and the demonstration, a store made with the bundled
examples and a token of each role."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from kiyaku.server.settings import Settings

LOCAL = ("127.0.0.1", "::1", "localhost")


def serve(settings: Settings, demo: bool = False, say: Callable[[str], None] = lambda s: print(s, file=sys.stderr)) -> None:
    """Serve until interrupted. With `demo`, on a store holding the bundled examples (a temporary one,
    removed afterwards, unless `settings.db` names one)."""
    import uvicorn

    from kiyaku.server.app import create_app

    _log_to_stderr()
    with ExitStack() as stack:
        roles: dict[str, str] = {}
        if demo:
            settings, roles = stack.enter_context(demo_store(settings))
        listener = bind(settings.host, settings.port)
        stack.callback(listener.close)
        app = create_app(settings)
        url = address(settings.host, listener.getsockname()[1])
        say(f"kiyaku serve: {url} (store: {app.state.service.store.name}; API: {url}v1/, {url}openapi.json)")
        if settings.host not in LOCAL:
            say(f"kiyaku serve: listening beyond this machine ({settings.host}): put it behind a proxy that speaks TLS")
        for role, token in roles.items():
            say(f"kiyaku serve: token of demo-{role} (role {role}): {token}")
        if roles:
            say(f"kiyaku serve: open {url} in a browser and sign in with the agent token; "
                f"try: curl -H 'Authorization: Bearer {roles['agent']}' {url}v1/contracts/SC-2001")
        config = uvicorn.Config(app, lifespan="on", server_header=False, timeout_keep_alive=5,
                                proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="info")
        # SIGTERM stops it as Ctrl-C does: uvicorn shuts down, raises the signal again, and this
        # handler turns it into the KeyboardInterrupt below, so that the demonstration store is removed.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            uvicorn.Server(config).run(sockets=[listener])
        except KeyboardInterrupt:  # uvicorn has shut down cleanly, then raises the signal it caught again
            pass
        say("kiyaku serve: stopped")


def _log_to_stderr() -> None:
    """kiyaku's own messages (errors met serving) beside uvicorn's, in its manner."""
    log = logging.getLogger("kiyaku")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one), so the address is known before serving."""
    from kiyaku.errors import Finding, InputError

    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(where)
    except OSError as exc:
        raise InputError(Finding("--host/--port", None, f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                                 "choose another --port (0: any free one)")) from None
    listener.listen(128)
    listener.setblocking(False)
    return listener


def address(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


@contextmanager
def demo_store(settings: Settings) -> Iterator[tuple[Settings, dict[str, str]]]:
    """The bundled examples ingested into `settings.db` as given (`--db`), else into a temporary
    store; and a token of each role for a user `demo-<role>`."""
    from kiyaku.paths import bundled
    from kiyaku.replay.events import file_records
    from kiyaku.store import open_store, tokens
    from kiyaku.store.events import ingest

    with ExitStack() as stack:
        if settings.db is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="kiyaku-demo-"))
            settings = replace(settings, db=str(Path(folder) / "kiyaku.db"))
        files = sorted((bundled() / "examples").glob("*/*.jsonl"))
        with open_store(settings.db, create=True) as store:
            ingest(store, file_records(files))
            roles = {role: tokens.create(store, f"demo-{role}", role, "kiyaku serve --demo")[1] for role in tokens.ROLES}
        yield settings, roles
