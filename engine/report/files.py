"""Reports are written whole or not at all: staged beside their target, then moved into place."""

from __future__ import annotations

import os
from pathlib import Path

from kiyaku.errors import Finding, InputError


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write every file, or (on any failure while staging) none of them.

    Each text goes to a temporary file in its target's folder, so the final os.replace is an atomic
    rename on the same file system; a reader never sees half a report, and a failure leaves the old
    file (if any) untouched and no temporary file behind.
    """
    staged: list[tuple[Path, Path]] = []
    target = None
    try:
        for target, text in files.items():
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            staged.append((temporary, target))
            _write(temporary, text)
        for temporary, target in staged:
            os.replace(temporary, target)
    except OSError as exc:
        _discard(staged)
        # Name the report the reader asked for, not the temporary file that stood in for it.
        raise InputError(Finding(str(target), None, f"cannot write the report: {exc.strerror or exc}",
                                 "check that the folder exists and can be written")) from None
    except BaseException:
        _discard(staged)
        raise


def _write(path: Path, content: str | bytes) -> None:
    # "x": never write through an existing file (or a link someone placed there).
    opened = path.open("xb") if isinstance(content, bytes) else path.open("x", encoding="utf-8", newline="\n")
    with opened as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())


def _discard(staged: list[tuple[Path, Path]]) -> None:
    for temporary, _ in staged:
        temporary.unlink(missing_ok=True)
