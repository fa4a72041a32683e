"""kiyaku test: run the scenario files, print what failed and a one-line tally."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kiyaku.cli.common import Root, locate, reported, root_option


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JUnit XML to this file (written atomically).")
@click.option("-k", "match", default=None, help="Only the cases whose name contains this text.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the cases that pass.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one object on stdout with `ok`, `counts`, each case's result and `root`.")
@root_option
def command(paths: tuple[Path, ...], junit: Path | None, match: str | None, verbose: bool, fmt: str,
            root: Path | None) -> None:
    """Run scenario files (YAML cases with events and expected rulings) against terms/ and rules/.

    PATHS are scenario files or folders of them (default: tests/scenarios). Prints each failing case
    as path:line, its name, its as-of time and the difference (- expected, + actual), then
    `PASS: n/N  FAIL: f  ERROR: e`. FAIL is a wrong answer; ERROR a case that could not be evaluated or
    judged. Exits 1 unless all pass. The terms repository used is named on standard error. A case
    without `as_of` is evaluated as of each contract's last event (the scenario format's default).

    \b
    Example:
      kiyaku test
      kiyaku test tests/scenarios/suspension.yaml -k smacom --junit build/scenarios.xml
      kiyaku test --format json
    """
    from kiyaku.change.scenarios import junit_xml, run_cases
    from kiyaku.output import write_files

    found = locate(root)
    cases, broken = _load(found.path, paths, match)
    with reported():
        results = run_cases(found.path, cases) if cases else []
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        write_files({junit: junit_xml(results, broken)})
    failed = bool(broken) or any(r.status != "pass" for r in results) or not results
    if fmt == "json":
        _print_json(found, results, broken, failed)
    else:
        nothing = "no scenario cases found" + (f" matching {match!r}" if match else "")
        _print_text(found, results, broken, verbose, nothing if not cases and not broken else None)
    if failed:
        sys.exit(1)


def _load(base: Path, paths: tuple[Path, ...], match: str | None) -> tuple[list, list[tuple[str, list[str]]]]:
    """The cases to run (named by -k), and the files that do not load with their findings."""
    from kiyaku.change.scenarios import load_suite
    from kiyaku.errors import DefinitionError
    from kiyaku.paths import yaml_files

    if not paths:
        default = base / "tests" / "scenarios"
        if not default.is_dir():
            raise click.UsageError(f"no scenario folder {default}; name the scenario files to run")
        paths = (default,)
    cases = []
    broken: list[tuple[str, list[str]]] = []
    for path in yaml_files(paths):
        try:
            suite = load_suite(path)
        except DefinitionError as exc:
            broken.append((str(exc.findings[0].file), [str(f) for f in exc.findings]))
            continue
        cases += [c for c in suite.cases if match is None or match in c.name]
    return cases, broken


def _print_json(found: Root, results: list, broken: list[tuple[str, list[str]]], failed: bool) -> None:
    from kiyaku.change.scenarios import counts, result_json

    click.echo(json.dumps({"ok": not failed, "counts": counts(results, len(broken)), "root": found.to_json(),
                           "cases": [result_json(r) for r in results],
                           "broken_files": [{"file": f, "findings": m} for f, m in broken]},
                          ensure_ascii=False, indent=2))


def _print_text(found: Root, results: list, broken: list[tuple[str, list[str]]], verbose: bool,
                nothing: str | None) -> None:
    from kiyaku.change.scenarios import render, tally

    for file, messages in broken:
        click.echo(f"ERROR {file}: the file does not load\n" + "\n".join(f"  {m}" for m in messages) + "\n")
    for r in results:
        if r.status == "pass":
            if verbose:
                click.echo(f"PASS {r.case.where}: {r.case.name}")
            continue
        click.echo(render(r) + "\n")
    if nothing:
        click.echo(nothing)
    click.echo(found.describe(), err=True)
    click.echo(tally(results, len(broken)))
