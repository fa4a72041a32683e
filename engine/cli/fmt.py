"""kiyaku fmt: rewrite terms/ and rules/ YAML in one canonical layout, comments kept."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import repo_root, root_option


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", "check", is_flag=True,
              help="Change nothing: list the files that are not in the canonical layout and exit 1 if any.")
@click.option("--diff", "diff", is_flag=True,
              help="Change nothing: print the change to each file as a unified diff (exit 1 only with --check).")
@root_option
def command(paths: tuple[Path, ...], check: bool, diff: bool, root: Path | None) -> None:
    """Lay out YAML files canonically: keys as written, 2-space indent, unfolded lines, comments kept.

    PATHS are YAML files or folders (default: terms/ and rules/). The data never changes: each
    result is read back and compared before it is written. Prints the files changed (or, with
    --check, the files that would change; with --diff, the changes themselves).

    \b
    Example:
      kiyaku fmt --check
      kiyaku fmt --diff
      kiyaku fmt rules/shared/suspension.yaml
    """
    from kiyaku.change.fmt import default_paths, format_files
    from kiyaku.change.scenarios import display_path

    base = repo_root(root)
    targets = list(paths) or default_paths(base)
    outcome = format_files(targets, check=check, label=lambda p: display_path(p, base), diff=diff)
    for finding in outcome.errors:
        click.echo(str(finding), err=True)
    for text in outcome.diffs:
        click.echo(text, nl=False)
    for path in [] if diff else outcome.changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {display_path(path, base)}")
    if outcome.errors or (check and outcome.changed):
        sys.exit(1)
