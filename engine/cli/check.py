"""kiyaku check: validate terms/ and rules/."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from kiyaku.cli.common import locate, reported, root_option


@click.command("check")
@click.option("--strict", is_flag=True, help="Exit 1 on lint warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one object on stdout with `ok`, `errors`, `warnings` (file, line, message, hint) and `root`.")
@root_option
def command(strict: bool, fmt: str, root: Path | None) -> None:
    """Validate terms/ (and rules/): prints nothing and exits 0 when clean, lists findings and exits 1.

    Then lints them (engine/change/lint.py): rules that can never fire, field tests the event vocabulary
    rules out, covered provisions no rule cites (engine/coverage.yaml), parameters nothing uses.
    Lint findings are warnings (`file:line: warning: …`); they fail the check only with --strict.
    When there are findings, a last line names the terms repository checked.

    \b
    Example:
      kiyaku check
      kiyaku check --strict
      kiyaku check --format json
    """
    from kiyaku.change.lint import lint
    from kiyaku.definitions import rules_folder
    from kiyaku.errors import DefinitionError
    from kiyaku.rules.loader import load_rules
    from kiyaku.terms import load_terms

    found = locate(root)
    errors, warnings = [], []
    with reported():  # a DefinitionError is the check's own finding; any other error is reported as usual
        try:
            rules = rules_folder(found.path)
            terms = load_terms(found.path / "terms")
            warnings = lint(found.path, terms, load_rules(rules, terms))
        except DefinitionError as exc:
            errors = exc.findings
    failed = bool(errors) or (strict and bool(warnings))
    if fmt == "json":
        click.echo(json.dumps({"ok": not failed, "root": found.to_json(), "errors": [asdict(f) for f in errors],
                               "warnings": [asdict(w) for w in warnings]}, ensure_ascii=False, indent=2))
    elif errors or warnings:
        for finding in [*errors, *warnings]:
            click.echo(str(finding), err=True)
        click.echo(found.describe(), err=True)
    if failed:
        sys.exit(1)
