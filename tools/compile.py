"""Compiles the replay's hottest modules (kiyaku.replay.COMPILED) with mypyc, in place, and stamps them
with their sources' digests, so that an edited source runs as it is, not its old compiled form
(engine/replay/__init__.py). `make` runs it before every job; it needs mypy (the `compile` extra)
and a C compiler, as durable_rules does. Without them, or if compiling fails, the sources run: the
same results, more slowly.

    python tools/compile.py          compile, unless what is compiled is current
    python tools/compile.py --clean  remove what it built: the sources run
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "engine" / "replay"
GROUP = "kiyaku.replay.native"  # the compiled modules' shared library lives in the package too


def clean() -> None:
    from kiyaku import replay

    for path in [p for p in PACKAGE.iterdir() if p.suffix in (".so", ".pyd")] + [PACKAGE / replay.STAMP]:
        path.unlink(missing_ok=True)


def compile_modules() -> None:
    from mypyc.build import mypycify
    from setuptools import setup

    from kiyaku import replay

    clean()
    with tempfile.TemporaryDirectory() as work, contextlib.chdir(work):
        # mypyc names a module by its path: the package is kiyaku, its source folder engine/
        os.symlink(ROOT / "engine", Path(work) / "kiyaku")
        sources = [f"kiyaku/replay/{name}.py" for name in replay.COMPILED]
        # the compiled modules must type-check; the modules they import are read for their types only
        checking = ["--follow-imports=silent", "--ignore-missing-imports"]
        modules = mypycify(checking + sources, only_compile_paths=sources, group_name=GROUP, opt_level="3")
        setup(name="kiyaku-compiled", ext_modules=modules, script_args=["--quiet", "build_ext", "--inplace"])
    (PACKAGE / replay.STAMP).write_text(json.dumps(replay.source_digests(), indent=1) + "\n", "utf-8")


def main() -> None:
    if sys.argv[1:] == ["--clean"]:
        clean()
        return
    from kiyaku import replay

    if replay.is_compiled():
        return
    names = ", ".join(replay.COMPILED)
    log = io.StringIO()
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            compile_modules()
    except (Exception, SystemExit) as exc:  # setup() reports a failed build by SystemExit
        clean()
        print(log.getvalue(), file=sys.stderr)
        print(f"could not compile kiyaku.replay's {names} ({type(exc).__name__}: {exc}); "
              "the sources run, with the same results, about 1.25 times as slowly", file=sys.stderr)
        return
    print(f"compiled kiyaku.replay's {names} with mypyc")


if __name__ == "__main__":
    main()
