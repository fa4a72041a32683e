"""Where terms/ and rules/ live: --root, then $KIYAKU_ROOT, then the nearest folder holding terms/."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable


def find_root(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    if os.environ.get("KIYAKU_ROOT"):
        return Path(os.environ["KIYAKU_ROOT"])
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "terms").is_dir() and (folder / "rules").is_dir():
            return folder
    # An editable install run from elsewhere still finds the repository it came from.
    return Path(__file__).resolve().parent.parent


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """Each file given, and every *.yaml / *.yml below each folder given, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            out.append(path)
    return out
