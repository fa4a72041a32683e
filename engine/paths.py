"""Where terms/ and rules/ live: --root, then $KIYAKU_ROOT, then the nearest folder holding terms/."""

from __future__ import annotations

import os
from pathlib import Path


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
