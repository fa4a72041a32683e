"""kiyaku check: validate terms/ and rules/."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import load_terms_at, repo_root, reported, root_option


@click.command("check")
@root_option
def command(root: Path | None) -> None:
    """Validate terms/ (and rules/): prints nothing and exits 0 when clean, lists findings and exits 1.

    \b
    Example:
      kiyaku check
    """
    from engine.rules.loader import load_rules

    with reported():
        terms = load_terms_at(root)
        rules = repo_root(root) / "rules"
        if rules.is_dir():
            load_rules(rules, terms)
