"""The kiyaku command line: a thin click layer over the library, one module per command.

A command's module is imported only when that command runs (or help lists it), so that a short
command such as `kiyaku ask` does not pay for the imports of all the others.
"""

from __future__ import annotations

from importlib import import_module

import click

from kiyaku.cli.common import Kiyaku

# Command name -> the module of kiyaku.cli that defines it (as `command`).
COMMANDS = {"ask": "ask", "check": "check", "diff": "diff", "evaluate": "evaluate", "fmt": "fmt",
            "ingest": "ingest", "log": "log", "report": "report", "serve": "serve", "terms": "terms", "test": "test",
            "token": "token"}


class _Lazy(Kiyaku):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return import_module(f"kiyaku.cli.{COMMANDS[name]}").command


@click.group(cls=_Lazy, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kiyaku", message="kiyaku %(version)s")
def main() -> None:
    """kiyaku (規約): what your terms of service say about a case, with the clause that says so."""
