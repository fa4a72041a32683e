"""kiyaku check: validate terms/ and rules/."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import load_terms_at, repo_root, reported, root_option


@click.command("check")
@click.option("--strict", is_flag=True, help="Exit 1 on lint warnings too.")
@root_option
def command(strict: bool, root: Path | None) -> None:
    """Validate terms/ (and rules/): prints nothing and exits 0 when clean, lists findings and exits 1.

    Then lints them (engine/change/lint.py): rules that can never fire, field tests the event vocabulary
    rules out, covered provisions no rule cites (engine/coverage.yaml), parameters nothing uses.
    Lint findings are warnings (`file:line: warning: …`); they fail the check only with --strict.

    \b
    Example:
      kiyaku check
      kiyaku check --strict
    """
    from kiyaku.change.lint import lint
    from kiyaku.definitions import rules_folder
    from kiyaku.rules.loader import load_rules

    with reported():
        rules = rules_folder(repo_root(root))
        terms = load_terms_at(root)
        book = load_rules(rules, terms)
        warnings = lint(repo_root(root), terms, book)
        for warning in warnings:
            click.echo(str(warning), err=True)
        if strict and warnings:
            sys.exit(1)
