"""kiyaku as a tool people install: which terms it reads (and says so), the as-of time it answers at
(and says so), and a wheel that carries the agreements and runs from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.asof import TOKYO
from kiyaku.cli import main
from kiyaku.paths import bundled

ROOT = Path(__file__).resolve().parent.parent
SMACOM = ROOT / "examples/smacom/unpaid-and-suspended-without-notice.jsonl"
CLAUSE_17_1_1 = "料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき"


def shown(*args: str) -> dict:
    result = CliRunner().invoke(main, ["terms", "show", "smacom:17.1.1", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A provider's own terms repository: a copy of the agreements, nothing else."""
    for folder in ("terms", "rules"):
        shutil.copytree(ROOT / folder, tmp_path / "provider" / folder)
    return tmp_path / "provider"


def test_the_working_directory_or_a_parent_is_the_terms_repository(repo: Path, monkeypatch) -> None:
    monkeypatch.delenv("KIYAKU_ROOT", raising=False)
    (repo / "cases" / "2025").mkdir(parents=True)
    monkeypatch.chdir(repo / "cases" / "2025")
    assert shown()["root"] == {"path": str(repo), "origin": "working-directory"}


def test_kiyaku_root_names_it_and_root_overrides_that(repo: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIYAKU_ROOT", str(repo))
    assert shown()["root"] == {"path": str(repo), "origin": "KIYAKU_ROOT"}
    assert shown("--root", str(ROOT))["root"] == {"path": str(ROOT), "origin": "--root"}


def test_with_no_terms_repository_around_the_bundled_agreements_are_used_and_named(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    monkeypatch.delenv("KIYAKU_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    v = shown()
    assert v["root"] == {"path": str(bundled()), "origin": "bundled"}
    assert v["text_ja"] == CLAUSE_17_1_1
    text = CliRunner().invoke(main, ["terms", "show", "smacom:17.1.1"]).stdout
    assert f"terms and rules: bundled with kiyaku " in text and f"({bundled()})" in text


def test_a_root_without_terms_is_refused_rather_than_replaced(tmp_path: Path, monkeypatch) -> None:
    result = CliRunner().invoke(main, ["terms", "show", "smacom:17.1.1", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}: no terms/ folder in the --root given" in result.output
    monkeypatch.setenv("KIYAKU_ROOT", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2 and "no terms/ folder in the $KIYAKU_ROOT given" in result.output


def test_the_as_of_time_defaults_to_now_and_every_output_states_it(tmp_path: Path) -> None:
    before = datetime.now(TOKYO).replace(microsecond=0)
    v = shown()
    assert v["as_of_source"] == "now"
    assert before <= datetime.fromisoformat(v["as_of"]) <= before + timedelta(minutes=5)
    assert v["at"] == v["as_of"][:10]  # the version in force today
    given = shown("--at", "2025-06-01")
    assert (given["as_of"], given["as_of_source"], given["at"]) == ("2025-06-01T00:00:00+09:00", "--at", "2025-06-01")

    text = CliRunner().invoke(main, ["terms", "show", "smacom:17.1.1", "--at", "2025-06-01T12:00"]).stdout
    assert text.endswith("as of 2025-06-01T12:00:00+09:00 (--at)\n")
    memo = tmp_path / "SC-2001.md"
    result = CliRunner().invoke(main, ["report", str(SMACOM), "-o", str(memo)])
    assert result.exit_code == 0, result.output
    # Not the contract's last event (2025-07-03): today, which the memo and the command both state.
    today = datetime.now(TOKYO).date().isoformat()
    assert f"| As of (event time) | {today}" in memo.read_text("utf-8")
    assert f"as of {today}T" in result.stderr and "(now; give --at to fix it)" in result.stderr


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("kiyaku 0.")


# --- the wheel, installed outside the checkout ----------------------------------------------------

SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                              ".hypothesis", "out")


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_wheel_carries_the_agreements_and_runs_from_any_folder(tmp_path: Path) -> None:
    # Build as a user would (python -m build, in its own isolated environment), from a copy of the
    # working tree so that the checkout gets no build/ or egg-info.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(source)])
    wheel, = (tmp_path / "dist").glob("kiyaku-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("kiyaku/bundled/terms/smacom/provisions.yaml", "kiyaku/bundled/terms/law/consumption-tax.yaml",
                 "kiyaku/bundled/rules/shared/suspension.yaml", "kiyaku/bundled/reports/case.html.j2",
                 "kiyaku/bundled/reports/_style.css", "kiyaku/schemas/events.json", "kiyaku/coverage.yaml"):
        assert name in names, name
    assert not any(name.startswith(("engine/", "tests/", "kiyaku/bundled/tests")) for name in names)

    # A fresh virtual environment; the dependencies come from this one (a .pth line adds its
    # site-packages, whose own .pth files, the editable kiyaku among them, are not run), the wheel alone
    # is installed, without its dependencies, so that no index is needed.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", "utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-qq", "--no-deps", "--no-index", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SMACOM, elsewhere / "events.jsonl")
    env = {k: v for k, v in os.environ.items() if k not in ("KIYAKU_ROOT", "PYTHONPATH")}
    env["KIYAKU_CACHE"] = str(tmp_path / "cache")
    kiyaku = str(venv / "bin" / "kiyaku")

    def use(*args: str) -> subprocess.CompletedProcess:
        return run([kiyaku, *args], cwd=elsewhere, env=env)

    installed = site / "kiyaku" / "bundled"
    assert use("--version").stdout.startswith("kiyaku 0.")
    v = json.loads(use("terms", "show", "smacom:17.1.1", "--format", "json").stdout)
    assert v["root"] == {"path": str(installed), "origin": "bundled"} and v["text_ja"] == CLAUSE_17_1_1
    check = use("check", "--format", "json")
    assert json.loads(check.stdout)["errors"] == []
    rulings = json.loads(use("evaluate", "events.jsonl", "--at", "2025-07-10", "--format", "json").stdout)
    assert {(r["contract"], r["outcome"]) for r in rulings} >= {("SC-2001", "may_suspend")}
    answer = json.loads(use("ask", "can-suspend", "events.jsonl", "--contract", "SC-2001", "--at", "2025-07-10",
                            "--format", "json").stdout)
    assert answer["answer"] == "yes" and "smacom:17.1.1" in answer["citations"]
    made = use("report", "events.jsonl", "--at", "2025-07-10", "-o", "SC-2001.html")
    memo = (elsewhere / "SC-2001.html").read_text("utf-8")
    assert CLAUSE_17_1_1 in memo and f"bundled with kiyaku" in memo and str(installed) in made.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["SC-2001.html", "events.jsonl"]
