"""terms/ and rules/ kept whole in the store, so that a decision can later be replayed against the
definitions it was given under: a gzip'd tar, the same bytes for the same files (sorted names, no
times or owners), and unpacked again into a temporary folder."""

from __future__ import annotations

import gzip
import io
import os
import shutil
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
def unpacked(archive: bytes, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder holding the archive's terms/ and rules/, and whether it is kept: under the cache as
    snapshots/NAME (so that the decisions given under the same terms have them parsed once, by
    the definitions cache), or when the cache cannot be written a temporary folder, removed afterwards."""
    from kiyaku.definitions import private_cache_dir

    # Kept only where no one else could have put other terms under this name.
    cache = private_cache_dir()
    kept = _kept(archive, cache / "snapshots" / name) if cache is not None else None
    if kept is not None:
        yield kept, True
        return
    with tempfile.TemporaryDirectory(prefix="kiyaku-decision-") as tmp:
        _extract(archive, Path(tmp))
        yield Path(tmp), False


def _kept(archive: bytes, kept: Path) -> Path | None:
    try:
        if not kept.is_dir():
            kept.parent.mkdir(parents=True, exist_ok=True)
            fresh = Path(tempfile.mkdtemp(dir=kept.parent, prefix=f".{kept.name}-"))
            _extract(archive, fresh)
            try:
                os.rename(fresh, kept)
            except OSError:  # another kiyaku kept it meanwhile
                shutil.rmtree(fresh, ignore_errors=True)
        return kept
    except OSError:
        return None


def _extract(archive: bytes, into: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(into, filter="data")
