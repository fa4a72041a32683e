"""kiyaku token: the API tokens of `kiyaku serve` — create, list, revoke."""

from __future__ import annotations

import json

import click

from kiyaku.cli.common import TOKYO, db_option, login_name, reported, store_name
from kiyaku.store.tokens import ROLES


@click.group("token")
def command() -> None:
    """The tokens that `kiyaku serve` accepts (for its API, and to sign in to its page). Each has a
    user, recorded in every decision it asks for, and a role: agent (asks and reads contracts, rulings,
    reports, terms), legal (what an agent may, and reads and replays decisions), ingest (writes events,
    nothing else)."""


@command.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the token may do.")
@click.option("--user", required=True, help="Who uses it: recorded as asked_by in every decision it asks for.")
@db_option
def create(role: str, user: str, db: str | None) -> None:
    """Make a token and print it, once: the store keeps only its digest. The store is made if it
    does not exist yet.

    \b
    Example:
      kiyaku token create --role agent --user alice
      kiyaku token create --role ingest --user crm-feed --db postgresql://kiyaku@db.example/kiyaku
    """
    from kiyaku.store import open_store, tokens

    with reported(), open_store(store_name(db), create=True) as store:
        token, secret = tokens.create(store, user, role, login_name())
    click.echo(secret)
    click.echo(f"token {token.id} for {user} ({role}) stored in {store.name}; it is shown only this once", err=True)


@command.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
def list_(fmt: str, db: str | None) -> None:
    """List every token, revoked ones too (never their secrets).

    \b
    Example:
      kiyaku token list
    """
    from kiyaku.store import open_store, tokens

    with reported(), open_store(store_name(db)) as store:
        found = tokens.listing(store)
    if fmt == "json":
        click.echo(json.dumps([t.as_json() for t in found], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'token':<12}  {'user':<16}  {'role':<6}  {'created':<19}  {'by':<10}  revoked")
    for t in found:
        revoked = t.revoked_at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S") if t.revoked_at else ""
        click.echo(f"{t.id:<12}  {t.user:<16}  {t.role:<6}  {t.created_at.astimezone(TOKYO):%Y-%m-%d %H:%M:%S}  "
                   f"{t.created_by:<10}  {revoked}")


@command.command("revoke")
@click.argument("token_id")
@db_option
def revoke(token_id: str, db: str | None) -> None:
    """Revoke token TOKEN_ID (as `kiyaku token list` shows it): refused from now on, by the API and
    the page alike (a page signed in with it is signed out).

    \b
    Example:
      kiyaku token revoke 3f9c2a71b0d4
    """
    from kiyaku.store import open_store, tokens

    with reported(), open_store(store_name(db)) as store:
        token = tokens.revoke(store, token_id, login_name())
    click.echo(f"token {token.id} of {token.user} ({token.role}) revoked", err=True)
