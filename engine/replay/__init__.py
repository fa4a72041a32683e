"""Decide: a contract's events in, rulings out. Uses rules/ and terms/; nothing here presents.

The replay's hottest modules (COMPILED) run compiled by mypyc once `make` has built them
(tools/compile.py): the same source, a whole evaluation about 1.25 times as fast. They are used
only while every one of them is the text it was compiled from (compiled.json, written with them);
after an edit, or where nothing was compiled (`pip install .`), the sources run, with the same
results.
"""

import hashlib
import json
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from typing import Any, Sequence

COMPILED = ("inference", "evaluator", "rulings", "streams", "events", "checks", "amounts")
STAMP = "compiled.json"
_HERE = Path(__file__).parent


def source_digests() -> dict[str, str]:
    """The sha256 of each compiled module's source as it is now."""
    return {name: hashlib.sha256((_HERE / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}


def compiled_is_current() -> bool:
    try:
        return json.loads((_HERE / STAMP).read_text("utf-8")) == source_digests()
    except (OSError, ValueError):
        return False


def is_compiled() -> bool:
    """Whether the compiled modules run here: compiled from the sources as they are, for this Python."""
    suffix = EXTENSION_SUFFIXES[0]
    return compiled_is_current() and all((_HERE / f"{name}{suffix}").exists() for name in COMPILED)


class _Sources:
    """Finds the sources of the compiled modules ahead of the compiled ones (a meta path finder)."""

    @staticmethod
    def find_spec(fullname: str, path: Sequence[str] | None = None, target: Any = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package == __name__ and name in COMPILED:
            return spec_from_file_location(fullname, _HERE / f"{name}.py")
        return None


def run_sources() -> None:
    """Run the sources of the compiled modules from now on, as a tool that patches them must (mypyc
    binds calls between them at compile time): call it before they are first imported."""
    if _Sources not in sys.meta_path:
        sys.meta_path.insert(0, _Sources)  # type: ignore[arg-type]


if not compiled_is_current():
    run_sources()
