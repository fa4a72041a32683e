"""Everything kiyaku writes goes out here: whole or not at all, and never able to drive a terminal.

- `write_files`: files are staged beside their targets and renamed into place, so a reader never sees
  half a file and a failure (a full disk, a read-only folder, a name too long) leaves the old files
  and no temporary ones; a new folder of files (`report --all`) is built beside its target and renamed
  into place whole, so a failure leaves no folder.
- `escape_controls`: event text is data. Control characters (ANSI escapes, carriage returns, NUL),
  and the bidirectional controls that reorder what a reader sees (U+202E…), are shown as `\\u001b`;
  within JSON that is the same string, within text it is visible.
- `guarded`: standard output and standard error pass through `escape_controls`, and a failure to
  write them (a closed pipe, a full disk) becomes `OutputFailed`, which the command line turns into
  one line and an exit status.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

from kiyaku.errors import Finding, InputError

# C0 and C1 controls but tab and newline; the Unicode bidirectional controls; line and paragraph separators.
CONTROLS = ((0x00, 0x08), (0x0b, 0x1f), (0x7f, 0x9f), (0x61c, 0x61c), (0x200e, 0x200f), (0x202a, 0x202e),
            (0x2066, 0x2069), (0x2028, 0x2029))  # ranges of code points, both ends included
_CONTROLS = re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in CONTROLS) + "]")


def escape_controls(text: str) -> str:
    """`text` with every character that could recolour, move, rewrite or reorder a display shown as
    `\\uXXXX` (tab and newline kept)."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


# --- files ---------------------------------------------------------------------------------------

def write_files(files: dict[Path, str | bytes], folder: Path | None = None) -> None:
    """Write every file, or none of them. With `folder` (which must not exist, or be a folder), the
    files all lie in it; a folder that does not exist yet appears only once every file is written."""
    if folder is not None and not folder.exists():
        _write_new_folder(folder, files)
        return
    staged: list[tuple[Path, Path]] = []
    target = None
    try:
        for n, (target, text) in enumerate(files.items()):
            # A short name, so that a target whose name is as long as the file system allows still stages.
            temporary = target.with_name(f".kiyaku-{os.getpid()}-{n}.tmp")
            staged.append((temporary, target))
            _write(temporary, text)
        for temporary, target in staged:
            os.replace(temporary, target)
    except OSError as exc:
        _discard(staged)
        raise _failed(target, exc) from None
    except BaseException:
        _discard(staged)
        raise


def _write_new_folder(folder: Path, files: dict[Path, str | bytes]) -> None:
    stage = folder.with_name(f".kiyaku-{os.getpid()}.tmp")
    target = folder
    try:
        stage.mkdir()
        for target, text in files.items():
            _write(stage / target.relative_to(folder), text)
        target = folder
        os.rename(stage, folder)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise _failed(target, exc) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
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


def _failed(target: Path | None, exc: OSError) -> InputError:
    # Name the file the reader asked for, not the temporary file that stood in for it.
    return InputError(Finding(str(target), None, f"cannot write: {exc.strerror or exc}",
                              "check that the folder exists, can be written and has room, and that the name is not too long"))


# --- standard output and error -------------------------------------------------------------------

class OutputFailed(Exception):
    """Standard output or error could not be written: `stream` names which, `error` says why."""

    def __init__(self, stream: str, error: OSError) -> None:
        self.stream, self.error = stream, error
        super().__init__(f"{stream}: {error.strerror or error}")


class _Guard(io.TextIOBase):
    """A stream that escapes controls in text (never in bytes: a PDF is written as it is) and reports
    a failed write as OutputFailed."""

    def __init__(self, stream: TextIO | BinaryIO, name: str, text: bool = True) -> None:
        self.stream, self.name, self.text = stream, name, text

    def write(self, data: str | bytes) -> int:
        try:
            self.stream.write(escape_controls(data) if self.text else data)
        except OSError as exc:
            raise OutputFailed(self.name, exc) from None
        return len(data)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as exc:
            raise OutputFailed(self.name, exc) from None

    @property
    def buffer(self) -> _Guard:
        return _Guard(self.stream.buffer, self.name, text=False)

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", "utf-8")

    def writable(self) -> bool:
        return True


@contextmanager
def guarded() -> Iterator[None]:
    """Standard output and error through `escape_controls`, flushed before leaving, for one command.
    The raw standard error stays reachable as `sys.stderr.stream` (a progress bar draws with controls)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Guard(sys.stdout, "standard output"), _Guard(sys.stderr, "standard error")
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout, sys.stderr = saved
