"""Every command the README shows runs, in a copy of this repository, with the exit status and the kind
of output the README promises: the README cannot go stale.

A line of a ```sh block is a command. `kiyaku …` lines run as a user would type them (through bash,
so globs expand), and so do the kiyaku commands of `make demo`'s recipe; `make` targets must exist;
`python -m pip install .` is what tests/test_install.py does with the wheel. Any other line fails
here until this test learns how to run it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KIYAKU = Path(sys.executable).parent / "kiyaku"
INSTALLS = {"python -m pip install .": "tests/test_install.py builds the wheel and installs it"}
# Commands the README promises to be silent (its comment says so) print nothing at all.
SILENT = re.compile(r"#.*\bsilent\b")
# A README command that cannot yet keep its promise is listed here with the reason; strict, so that the
# day it does, this test fails until the entry is removed.
KNOWN: dict[str, str] = {}


def readme_lines() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, flags=re.S | re.M)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def command_of(line: str) -> str:
    """The command without its trailing comment."""
    return re.sub(r"\s+#\s.*$", "", line).strip()


def demo_commands() -> list[str]:
    """The kiyaku commands `make demo` runs, as a user would type them."""
    makefile = (ROOT / "Makefile").read_text("utf-8")
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    return [line.strip().replace("$(BIN)/kiyaku", "kiyaku") for line in recipe.splitlines() if "$(BIN)/kiyaku" in line]


def cases() -> list:
    out = []
    shown = {command_of(line) for line in readme_lines()}
    # make demo's commands that the README does not show itself (those it shows run once, above).
    for line in readme_lines() + [f"{c}  # (make demo)" for c in demo_commands() if c not in shown]:
        command = command_of(line)
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[command])] if command in KNOWN else []
        label = command + (" (make demo)" if line.endswith("# (make demo)") else "")
        out.append(pytest.param(line, marks=marks, id=label[:90]))
    return out


def test_the_readme_shows_commands() -> None:
    commands = [command_of(line) for line in readme_lines()]
    assert {"make demo", "make test", "kiyaku check", "kiyaku --version"} <= set(commands)
    assert any(c.startswith("kiyaku report") and c.endswith(".pdf") for c in commands)
    assert demo_commands()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, committed on `main` with `origin/main` beside it (for kiyaku diff)."""
    where = tmp_path_factory.mktemp("readme") / "kiyaku"
    shutil.copytree(ROOT, where, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "out"))
    git = ["git", "-c", "user.name=kiyaku tests", "-c", "user.email=tests@kiyaku.invalid",
           "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the README's repository"],
                 ["update-ref", "refs/remotes/origin/main", "HEAD"]):
        subprocess.run(git + args, cwd=where, check=True, capture_output=True)
    return where


@pytest.mark.parametrize("line", cases())
def test_a_readme_command_runs_as_promised(line: str, workspace: Path) -> None:
    command = command_of(line)
    if command in INSTALLS:
        assert (ROOT / INSTALLS[command].split()[0]).is_file()
        return
    if command.startswith("make "):
        target = command.split()[1]
        assert re.search(rf"^{re.escape(target)}:", (ROOT / "Makefile").read_text("utf-8"), flags=re.M), target
        return
    assert command.startswith("kiyaku "), f"the README shows a command this test cannot run: {line!r}"
    env = {k: v for k, v in os.environ.items() if k not in ("KIYAKU_ROOT", "PYTHONPATH")}
    env["PATH"] = f"{KIYAKU.parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", command], cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=600)
    said = f"{command}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    assert done.returncode == 0, said
    assert "Traceback" not in done.stderr, said
    if SILENT.search(line):
        assert done.stdout == done.stderr == "", said
        return
    assert done.stdout.strip() or done.stderr.strip(), said
    for option in ("-o", "--junit"):
        written = re.search(rf"(?:^|\s){option}\s+(\S+)", command)
        if written and written.group(1) == "-":  # standard output
            assert done.stdout.strip(), said
        elif written:
            target = workspace / written.group(1)
            assert target.exists() and (any(target.iterdir()) if target.is_dir() else target.stat().st_size), said
