"""Where terms/ and rules/ live, and how kiyaku found them.

A provider's own terms repository is named by --root, else by $KIYAKU_ROOT, else found as the working
directory or its nearest parent holding terms/ and rules/. Failing all three, kiyaku uses the agreements
bundled with it: the wheel carries terms/, rules/ and reports/ under kiyaku/bundled/ (pyproject maps the
repository's top-level folders there); a checkout is its own bundle. Every command states which it used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable

from kiyaku.errors import Finding, InputError

PACKAGE = Path(__file__).resolve().parent
ORIGINS = {"--root": "--root", "KIYAKU_ROOT": "$KIYAKU_ROOT", "working-directory": "found from the working directory",
           "bundled": "bundled"}


@dataclass(frozen=True)
class Root:
    """A folder holding terms/ and rules/ (and perhaps reports/), and which of the four ways found it."""

    path: Path
    origin: str  # a key of ORIGINS

    @property
    def where(self) -> str:
        """`PATH (how it was found)`, or `bundled with kiyaku 0.1.0 (PATH)`."""
        if self.origin == "bundled":
            return f"bundled with kiyaku {version()} ({self.path})"
        return f"{self.path} ({ORIGINS[self.origin]})"

    def describe(self) -> str:
        """The line a text output prints."""
        return f"terms and rules: {self.where}"

    def to_json(self) -> dict[str, str]:
        """The field a JSON output carries: {"path": …, "origin": "--root" | "KIYAKU_ROOT" | …}."""
        return {"path": str(self.path), "origin": self.origin}


def find_root(explicit: Path | None = None) -> Root:
    """--root, then $KIYAKU_ROOT, then the working directory and its parents, then the bundled agreements."""
    if explicit is not None:
        return _checked(Root(explicit.resolve(), "--root"))
    if os.environ.get("KIYAKU_ROOT"):
        return _checked(Root(Path(os.environ["KIYAKU_ROOT"]).resolve(), "KIYAKU_ROOT"))
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "terms").is_dir() and (folder / "rules").is_dir():
            return Root(folder, "working-directory")
    return Root(bundled(), "bundled")


def bundled() -> Path:
    """The agreements shipped with kiyaku: kiyaku/bundled/ in a wheel; in a checkout, the checkout."""
    inside = PACKAGE / "bundled"
    return inside if (inside / "terms").is_dir() else PACKAGE.parent


def _checked(root: Root) -> Root:
    # A root named explicitly must hold the agreements: falling back silently would answer from other terms.
    if not (root.path / "terms").is_dir():
        option = "--root" if root.origin == "--root" else "$KIYAKU_ROOT"
        raise InputError(Finding(str(root.path), None, f"no terms/ folder in the {option} given",
                                 f"{option} names a terms repository: a folder holding terms/ and rules/"))
    return root


@cache
def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("kiyaku")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """Each file given, and every *.yaml / *.yml below each folder given, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            out.append(path)
    return out
