"""The kiyaku command line: a thin click layer over the library, one module per command."""

from __future__ import annotations

import click

from kiyaku.cli import ask, check, diff, evaluate, fmt, report, terms, test


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kiyaku", message="kiyaku %(version)s")
def main() -> None:
    """kiyaku (規約): what your terms of service say about a case, with the clause that says so."""


for _module in (ask, check, diff, evaluate, fmt, report, terms, test):
    main.add_command(_module.command)
