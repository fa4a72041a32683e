"""Input files as text: the one place where bytes a user handed us become text, or a located refusal.

Every reader of input (events, scenario files, terms/ and rules/) comes through here, so that a file
that is a folder, a dangling link, unreadable, not UTF-8, UTF-16, a Shift_JIS export or endless is
refused in one sentence naming the file (and line), never a traceback. Standard input (`-`) and
other sources that can be read only once (pipes, devices) are kept on first reading, so that every
pass over the input sees the same bytes.
"""

from __future__ import annotations

import atexit
import codecs
import errno
import hashlib
import io
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from kiyaku.errors import Finding

STDIN = "-"
MAX_LINE = 1 << 20  # a JSON Lines event: far more than any event needs, little enough to hold
MAX_DOCUMENT = 1 << 25  # a YAML file is parsed whole: 32 MiB, beyond which JSON Lines is the format
_IN_MEMORY = 1 << 23  # a kept standard input beyond this goes to a private temporary file


class Unreadable(Exception):
    """A file that cannot be read as text; `finding` says which and why."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(str(finding))


def name_of(path: Path | str) -> str:
    """How a source is named in messages and provenance: standard input is `<stdin>`."""
    return "<stdin>" if str(path) == STDIN else str(path)


def read_text(path: Path | str, label: str | None = None, limit: int = MAX_DOCUMENT) -> str:
    """A whole file as text (at most `limit` bytes)."""
    label = label or name_of(path)
    with open_binary(path, label) as f:
        data = _read(f, limit + 1, label)
    if len(data) > limit:
        raise Unreadable(Finding(label, None, f"the file is larger than {limit >> 20} MiB",
                                 "split it, or give events as JSON Lines (.jsonl), which are read a line at a time"))
    return decode(data, label)


def read_lines(path: Path | str, label: str | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line, read lazily; lines longer than MAX_LINE are refused."""
    label = label or name_of(path)
    with open_binary(path, label) as f:
        n = 0
        while True:
            raw = _readline(f, label, n + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                raise Unreadable(Finding(label, n, f"the line is longer than {MAX_LINE >> 20} MiB",
                                         "JSON Lines: one event object per line"))
            yield n, decode(raw, label, n)


def decode(data: bytes, label: str, line: int | None = None) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is refused with its encoding's fix."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (line in (None, 1) and _utf16ish(data)):
        raise Unreadable(Finding(label, line, "the file is UTF-16 text; kiyaku reads UTF-8",
                                 f"convert it: iconv -f UTF-16 -t UTF-8 {label} > converted.jsonl"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = line or data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Unreadable(Finding(label, where, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column}",
                                 "kiyaku reads UTF-8; a Shift_JIS export converts with "
                                 f"iconv -f SHIFT_JIS -t UTF-8 {label}")) from None
    if "\x00" in text:
        where = line or text.count("\n", 0, text.index("\x00")) + 1
        raise Unreadable(Finding(label, where, "the file holds a NUL byte: it is not a text file",
                                 "give the events as UTF-8 JSON Lines or YAML"))
    return text


def digest(path: Path | str) -> str:
    """The SHA-256 of a source's bytes (of what was read, for standard input)."""
    sha = hashlib.sha256()
    with open_binary(path, name_of(path)) as f:
        for block in iter(lambda: _read(f, 1 << 16, name_of(path)), b""):
            sha.update(block)
    return sha.hexdigest()


def open_binary(path: Path | str, label: str) -> BinaryIO:
    """A source opened for reading; folders, missing files and the like are refused with a reason."""
    if str(path) == STDIN:
        return _kept(STDIN, sys.stdin.buffer, label)
    try:
        f = open(path, "rb")  # noqa: SIM115 - handed to the caller
        mode = os.fstat(f.fileno()).st_mode
    except OSError as exc:
        raise Unreadable(Finding(label, None, _why(Path(path), exc), "give an existing, readable file")) from None
    if stat.S_ISDIR(mode):
        f.close()
        raise Unreadable(Finding(label, None, "is a folder, not a file", f"name the files in it: {label}/*.jsonl"))
    if stat.S_ISREG(mode):
        return f
    with f:  # a pipe or a device: read once, kept for every later pass
        return _kept(os.path.realpath(path), f, label)


_kept_sources: dict[str, bytes | Path] = {}


def _kept(key: str, stream: BinaryIO, label: str) -> BinaryIO:
    if key not in _kept_sources:
        _kept_sources[key] = _keep(stream, label)
    kept = _kept_sources[key]
    return io.BytesIO(kept) if isinstance(kept, bytes) else open(kept, "rb")  # noqa: SIM115


def _keep(stream: BinaryIO, label: str) -> bytes | Path:
    head = _read(stream, _IN_MEMORY + 1, label)
    if len(head) <= _IN_MEMORY:
        return head
    folder = Path(tempfile.mkdtemp(prefix="kiyaku-input-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "input"
    try:
        with open(path, "wb") as out:
            out.write(head)
            for block in iter(lambda: _read(stream, 1 << 20, label), b""):
                out.write(block)
    except OSError as exc:
        raise Unreadable(Finding(label, None, f"cannot keep the input in the temporary folder {folder.parent}: "
                                 f"{exc.strerror or exc}", "free space there, or point TMPDIR at a folder with room")) from None
    return path


def _read(f: BinaryIO, size: int, label: str) -> bytes:
    try:
        return f.read(size)
    except OSError as exc:
        raise Unreadable(Finding(label, None, f"cannot read: {exc.strerror or exc}")) from None


def _readline(f: BinaryIO, label: str, line: int) -> bytes:
    try:
        return f.readline(MAX_LINE + 1)
    except OSError as exc:
        raise Unreadable(Finding(label, line, f"cannot read: {exc.strerror or exc}")) from None


def _why(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that leads back to itself"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"a link to {os.readlink(path)}, which does not exist"
    return "no such file" if exc.errno == errno.ENOENT else f"cannot open: {exc.strerror or exc}"


def _utf16ish(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with every other byte NUL."""
    sample = data[:64]
    return len(sample) >= 8 and (sample[1::2].count(0) > len(sample) // 3 or sample[0::2].count(0) > len(sample) // 3)
