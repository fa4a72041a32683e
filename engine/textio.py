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
import mmap
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
MAX_KEPT = 1 << 33  # 8 GiB of standard input at most: an endless stream of valid lines ends somewhere


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
    for n, _, raw in read_raw_lines(path, label):
        yield n, decode(raw, label, n)


def read_raw_lines(path: Path | str, label: str | None = None, start: int = 0, stop: int | None = None,
                   line: int = 1) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, bytes) of each line, not yet decoded, for a reader that comes back
    to a line by its offset (`decode` each, as `read_lines` does); lines longer than MAX_LINE are refused.
    A piece of a file: the lines from byte `start`, where line number `line` begins (`line_starts`
    finds such places), up to the byte `stop`."""
    label = label or name_of(path)
    with open_binary(path, label) as f:
        if start:
            f.seek(start)
        n, offset = line - 1, start
        while stop is None or offset < stop:
            raw = _readline(f, label, n + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                raise Unreadable(Finding(label, n, f"the line is longer than {MAX_LINE >> 20} MiB",
                                         "JSON Lines: one event object per line"))
            yield n, offset, raw
            offset += len(raw)


def line_starts(path: Path | str, label: str, offsets: list[int]) -> list[tuple[int, int]]:
    """For each byte offset of a file (in increasing order), the first place at or after it where a line
    begins, and that line's number: a file cut there is cut between lines, and each piece can be read by
    `read_raw_lines` apart from the others. The end of the file stands for an offset beyond it."""
    found = []
    with open_binary(path, label) as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        lines = counted = 0
        for target in offsets:
            at = 0 if target <= 0 else (data.find(b"\n", target - 1) + 1 or len(data))
            lines += data[counted:at].count(b"\n")
            counted = at
            found.append((at, lines + 1))
    return found


def decode(data: bytes, label: str, line: int | None = None) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else is refused with its encoding's fix."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if line in (None, 1) and _utf16ish(data):
        raise Unreadable(_utf16(label, line))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = line or data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Unreadable(_not_utf8(label, where, f"byte 0x{data[exc.start]:02x} at column {column}")) from None
    if "\x00" in text:
        raise Unreadable(_nul(label, line or text.count("\n", 0, text.index("\x00")) + 1))
    return text


def _utf16(label: str, line: int | None) -> Finding:
    return Finding(label, line, "the file is UTF-16 text; kiyaku reads UTF-8",
                   f"convert it: iconv -f UTF-16 -t UTF-8 {label} > converted.jsonl")


def _not_utf8(label: str, line: int | None, detail: str) -> Finding:
    return Finding(label, line, f"not UTF-8 text: {detail}",
                   f"kiyaku reads UTF-8; a Shift_JIS export converts with iconv -f SHIFT_JIS -t UTF-8 {label}")


def _nul(label: str, line: int | None) -> Finding:
    return Finding(label, line, "the file holds a NUL byte: it is not a text file",
                   "give the events as UTF-8 JSON Lines or YAML")


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
    if os.path.realpath(path) in _kept_sources:  # a pipe read before: opening it again would wait for a writer
        return _kept(os.path.realpath(path), None, label)
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


_kept_sources: dict[str, bytes | Path | Unreadable] = {}


def forget_kept() -> None:
    """Start a new run: one-time sources kept for the last one (and their temporary files) are dropped."""
    for kept in _kept_sources.values():
        if isinstance(kept, Path):
            shutil.rmtree(kept.parent, ignore_errors=True)
    _kept_sources.clear()


def kept_file(path: Path | str) -> str | None:
    """A file holding what was kept of a one-time source already read (standard input, a pipe), for
    another process to read the same bytes again; None for a source read where it lies (a file)."""
    key = STDIN if str(path) == STDIN else os.path.realpath(path)
    kept = _kept_sources.get(key)
    if kept is None or isinstance(kept, Unreadable):
        return None
    if isinstance(kept, bytes):
        folder = Path(tempfile.mkdtemp(prefix="kiyaku-input-"))
        atexit.register(shutil.rmtree, folder, True)
        (folder / "input").write_bytes(kept)
        kept = _kept_sources[key] = folder / "input"
    return str(kept)


def _kept(key: str, stream: BinaryIO | None, label: str) -> BinaryIO:
    if key not in _kept_sources:
        try:
            _kept_sources[key] = _keep(stream, label)
        except Unreadable as exc:
            _kept_sources[key] = exc  # a later pass must not read on from where this one stopped
    kept = _kept_sources[key]
    if isinstance(kept, Unreadable):
        raise Unreadable(kept.finding)
    return io.BytesIO(kept) if isinstance(kept, bytes) else open(kept, "rb")  # noqa: SIM115


def _keep(stream: BinaryIO, label: str) -> bytes | Path:
    """The whole of a one-time source: in memory when small, else in a private temporary file. It is
    checked as it comes (text, lines, size), so that an endless device is refused, not kept."""
    check = _Checker(label)
    head = check(_read(stream, _IN_MEMORY + 1, label))
    if len(head) <= _IN_MEMORY:
        return check(head, final=True)
    folder, kept = None, False
    try:
        folder = Path(tempfile.mkdtemp(prefix="kiyaku-input-"))
        atexit.register(shutil.rmtree, folder, True)
        with open(folder / "input", "wb") as out:
            out.write(head)
            for block in iter(lambda: _read(stream, 1 << 20, label), b""):
                out.write(check(block))
            check(b"", final=True)
        kept = True
        return folder / "input"
    except OSError as exc:
        raise Unreadable(Finding(label, None, f"cannot keep the input in the temporary folder {tempfile.gettempdir()}: "
                                 f"{exc.strerror or exc}", "free space there, or point TMPDIR at a folder with room")) from None
    finally:
        if folder is not None and not kept:
            shutil.rmtree(folder, ignore_errors=True)


class _Checker:
    """The checks of `decode` and `read_lines`, on a source that arrives in blocks: UTF-8 throughout,
    no NUL, no line beyond MAX_LINE, at most MAX_KEPT bytes in all."""

    def __init__(self, label: str) -> None:
        self.label, self.size, self.line, self.since_newline = label, 0, 1, 0
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def __call__(self, block: bytes, final: bool = False) -> bytes:
        if self.size == 0 and _utf16ish(block):
            raise Unreadable(_utf16(self.label, 1))
        self.size += len(block)
        if self.size > MAX_KEPT:
            raise Unreadable(Finding(self.label, None, f"more than {MAX_KEPT >> 30} GiB", "give the events as a file"))
        try:
            text = self.decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            line = self.line + exc.object.count(b"\n", 0, exc.start)
            raise Unreadable(_not_utf8(self.label, line, f"byte 0x{exc.object[exc.start]:02x}")) from None
        if "\x00" in text:
            raise Unreadable(_nul(self.label, self.line + text.count("\n", 0, text.index("\x00"))))
        newlines = text.count("\n")
        self.since_newline = len(text) - text.rfind("\n") - 1 if newlines else self.since_newline + len(text)
        self.line += newlines
        if self.since_newline > MAX_LINE:
            raise Unreadable(Finding(self.label, self.line, f"the line is longer than {MAX_LINE >> 20} MiB",
                                     "JSON Lines: one event object per line"))
        return block


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
    if exc.errno == errno.EISDIR:
        return "is a folder, not a file"
    if exc.errno == errno.ELOOP:
        return "a symbolic link that leads back to itself"
    if exc.errno == errno.ENOENT and path.is_symlink():
        return f"a link to {os.readlink(path)}, which does not exist"
    return "no such file" if exc.errno == errno.ENOENT else f"cannot open: {exc.strerror or exc}"


def _utf16ish(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with every other byte NUL."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = data[:64]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    return len(sample) >= 8 and max(odd, even) > len(sample) // 3 and min(odd, even) < len(sample) // 16
