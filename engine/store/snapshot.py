"""terms/ and rules/ kept whole in the store, so that a decision can later be replayed against the
definitions it was given under: a gzip'd tar, the same bytes for the same files (sorted names, no
times or owners), and unpacked again into a temporary folder."""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

FOLDERS = ("terms", "rules")


def pack(root: Path) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 in the gzip header too: the archive depends on the files alone.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for folder in FOLDERS:
            base = root / folder
            files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
            for path in files:
                data = path.read_bytes()
                info = tarfile.TarInfo(path.relative_to(root).as_posix())
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@contextmanager
def unpacked(archive: bytes) -> Iterator[Path]:
    """A temporary folder holding the archive's terms/ and rules/, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kiyaku-decision-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)
