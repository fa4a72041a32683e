"""kiyaku test: run the scenario files, print what failed and a one-line tally."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiyaku.cli.common import repo_root, reported, root_option


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the results as JUnit XML to this file (written atomically).")
@click.option("-k", "match", default=None, help="Only the cases whose name contains this text.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the cases that pass.")
@root_option
def command(paths: tuple[Path, ...], junit: Path | None, match: str | None, verbose: bool,
            root: Path | None) -> None:
    """Run scenario files (YAML cases with events and expected rulings) against terms/ and rules/.

    PATHS are scenario files or folders of them (default: tests/scenarios). Prints each failing case
    as path:line, its name and the difference (- expected, + actual), then `PASS: n/N  FAIL: f  ERROR: e`.
    FAIL is a wrong answer; ERROR a case that could not be evaluated or judged. Exits 1 unless all pass.

    \b
    Example:
      kiyaku test
      kiyaku test tests/scenarios/suspension.yaml -k smacom --junit build/scenarios.xml
    """
    from kiyaku.errors import DefinitionError
    from kiyaku.paths import yaml_files
    from kiyaku.change.scenarios import junit_xml, load_suite, render, run_cases, tally
    from kiyaku.output import write_files

    base = repo_root(root)
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
    with reported():
        results = run_cases(base, cases) if cases else []
    for file, messages in broken:
        click.echo(f"ERROR {file}: the file does not load\n" + "\n".join(f"  {m}" for m in messages) + "\n")
    for r in results:
        if r.status == "pass":
            if verbose:
                click.echo(f"PASS {r.case.where}: {r.case.name}")
            continue
        click.echo(render(r) + "\n")
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        write_files({junit: junit_xml(results, broken)})
    if not cases and not broken:
        click.echo("no scenario cases found" + (f" matching {match!r}" if match else ""))
    click.echo(tally(results, len(broken)))
    if broken or any(r.status != "pass" for r in results) or not results:
        sys.exit(1)
