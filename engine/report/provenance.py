"""When and from what a report was produced: digests anyone can recompute with sha256sum."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiyaku.paths import Root


@dataclass(frozen=True)
class InputFile:
    path: str  # as given on the command line: the same string the events' file:line sources use
    sha256: str
    events: int  # events of the reported contract in this file (files without any are not listed)


@dataclass(frozen=True)
class Provenance:
    as_of: datetime
    kiyaku_version: str
    inputs: tuple[InputFile, ...]
    terms_sha256: str
    rules_sha256: str
    # None by default: a wall-clock stamp would make two runs on the same inputs differ.
    produced_at: datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    root: Root | None = None  # where terms/ and rules/ were read from, and how they were found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(root: Path, folder: str) -> str:
    """The digest `cd ROOT && find FOLDER -type f | LC_ALL=C sort | xargs sha256sum | sha256sum` prints.

    A listing of per-file digests rather than one stream of bytes, so that a renamed file changes it too.
    UTF-8 byte order and code-point order agree, so Python's sort matches `LC_ALL=C sort`.
    """
    base = root / folder
    names = sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
    listing = "".join(f"{file_sha256(root / name)}  {name}\n" for name in names)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()
