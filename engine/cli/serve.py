"""kiyaku serve: the REST API and the support agent's page, over the case store."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiyaku.cli.common import db_option, reported, root_option


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen. Only this machine by default; anything else belongs behind a TLS proxy.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: any free port.")
@click.option("--demo", is_flag=True,
              help="Serve the bundled examples: ingested into --db, or into a temporary store removed at exit; "
                   "prints a token of each role to sign in with.")
@click.option("--trust-proxy-user", metavar="HEADER", default=None,
              help="The page takes the user named in this request header (set by the provider's proxy, which "
                   "must be the only way in) as a signed-in agent. The API still needs tokens.")
@click.option("--rate-limit", type=click.FloatRange(0), default=20.0, show_default=True,
              help="Requests a second one client (a token, else an address) may make on average; 0: no limit.")
@click.option("--burst", type=click.IntRange(1), default=40, show_default=True, help="Requests one client may make at once.")
@click.option("--max-body", type=click.IntRange(1024), default=1 << 20, show_default=True,
              help="Bytes a request body may hold.")
@root_option
def command(db: str | None, host: str, port: int, demo: bool, trust_proxy_user: str | None, rate_limit: float,
            burst: int, max_body: int, root: Path | None) -> None:
    """Serve kiyaku over HTTP: the REST API under /v1 (JSON; /openapi.json describes it) for the
    provider's systems, and the page for support agents (sign in, find a contract, ask, read the
    answer, open the case report) at /. Every answer is recorded in the store's decision log under
    the signed-in user. Terms and rules are loaded once, at start.

    Sign in and call the API with tokens made by `kiyaku token create`. The page's session cookie is
    signed with $KIYAKU_SECRET when it is set (sessions then outlive a restart), else with a new
    secret each start.

    \b
    Example:
      kiyaku serve --demo
      kiyaku serve --db kiyaku.db --port 8080
      kiyaku serve --db postgresql://kiyaku@db.example/kiyaku --trust-proxy-user X-Remote-User
    """
    from kiyaku.server import Settings, serve
    from kiyaku.store import configured

    secret = os.environ.get("KIYAKU_SECRET")
    settings = Settings(db=configured(db), host=host, port=port, root=root, trust_proxy_user=trust_proxy_user,
                        rate=rate_limit, burst=burst, max_body=max_body, secret=secret.encode() if secret else None)
    with reported():
        serve(settings, demo=demo)
