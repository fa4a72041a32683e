"""kiyaku diff: the rulings a change of terms/ or rules/ moves, grouped by the provision that moved them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import repo_root, reported, root_option
from kiyaku.cli.progress import progress


@click.command("diff")
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option("--events", "events", multiple=True, type=click.Path(exists=True, allow_dash=True, path_type=Path),
              help="Also evaluate these event files (repeatable; - reads standard input).")
@click.option("--scenarios", "scenarios", multiple=True, type=click.Path(path_type=Path),
              help="Scenario files or folders to evaluate (default: tests/scenarios of HEAD).")
@click.option("--examples", "examples", multiple=True, type=click.Path(path_type=Path),
              help="Event files or folders to evaluate (default: examples/ of HEAD).")
@click.option("--format", "fmt", type=click.Choice(["table", "md", "json"]), default="table", show_default=True,
              help="md is meant for a pull-request comment.")
@click.option("--fail-on", "fail_on", type=click.Choice(["changed", "removed", "any"]), default=None,
              help="Exit 1 when a ruling changed, when one disappeared, or on any move or input that "
                   "could not be evaluated (default: never).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for large event files and the case store (default: every core).")
@click.option("--scheduler", envvar="KIYAKU_SCHEDULER", default=None, metavar="tcp://HOST:8786",
              help="Evaluate large event files and the case store on this Dask cluster (default: $KIYAKU_SCHEDULER).")
@click.option("--db", default=None, metavar="PATH|URL",
              help="Also evaluate every contract in this case store (a SQLite file or a postgresql:// URL).")
@root_option
def command(base: str | None, head: str | None, events: tuple[Path, ...], scenarios: tuple[Path, ...],
            examples: tuple[Path, ...], fmt: str, fail_on: str | None, jobs: int | None, scheduler: str | None,
            db: str | None, root: Path | None) -> None:
    """Show which rulings move between two versions of terms/ and rules/, and why.

    BASE and HEAD are git revisions of the repository, or folders holding terms/ and rules/
    (default BASE: the merge base with the main branch; default HEAD: the working tree, as it is).
    Revisions are exported with `git archive` into a temporary folder; the working tree is only
    read. Every scenario case and every event file under examples/ (both taken from HEAD) is
    evaluated with each side's terms and rules; each ruling that appears, disappears or changes
    (outcome, modality, amount, at, citations, period, notice, version, missing) is listed under
    the provisions whose change moved it, then the changes that moved nothing and those in text only.

    \b
    Example:
      kiyaku diff
      kiyaku diff origin/main HEAD --format md > diff.md
      kiyaku diff v1.2 --events cases/*.jsonl --fail-on removed
      kiyaku diff origin/main HEAD --db postgresql://kiyaku@db.example/kiyaku --jobs 8
    """
    from kiyaku.change.diff import render, run

    with reported():
        report = run(repo_root(root), base, head, list(events),
                     list(scenarios) if scenarios else None, list(examples) if examples else None, jobs, scheduler,
                     shown=lambda files: progress(files, desc="diff", unit="file"), db=db)
    click.echo(render(report, fmt), nl=False)
    if report.fails(fail_on):
        sys.exit(1)
