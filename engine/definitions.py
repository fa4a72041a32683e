"""terms/ and rules/ loaded and checked once, then kept in a cache until their content changes.

Parsing the agreements' YAML takes most of a short run's time; a support agent asks dozens of
questions a day, so the checked result is kept under $KIYAKU_CACHE (default ~/.cache/kiyaku).

The cache can be trusted no further than the folder it lives in, so:
- it holds data only: JSON, turned back into the model's own classes from a fixed list, so that a
  crafted entry can at worst be refused, never run;
- it is read only from a folder, and a file, that the user owns and no one else can write (checked
  on the open file, not on its name); anything else is passed over and the definitions are rebuilt;
- an entry is keyed by the SHA-256 of the content of every file under terms/ and rules/ and of the
  code that builds them: an edit that keeps sizes and times (`cp -p`, `tar`, `rsync -t`) is seen;
- an entry that is missing, truncated, corrupted or of the wrong shape is rebuilt;
- entries are written to a private temporary file and renamed into place, so processes filling a
  cold cache at once each write a whole entry and one of them wins;
- entries unused for PRUNE_DAYS days, and all but the KEEP most recently used, are removed.
A cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiyaku.errors import DefinitionError, Finding
from kiyaku.rules import model as rules_model
from kiyaku.rules.model import RuleBook
from kiyaku.terms import model as terms_model
from kiyaku.terms.model import Terms

ENGINE = Path(__file__).resolve().parent
SOURCES = ("terms", "rules")
FORMAT = 2  # of the entries; bump when the encoding below changes
KEEP, PRUNE_DAYS = 16, 30
# The only classes an entry can make: the dataclasses of the two models (a new one is covered at once).
CLASSES = {c.__name__: c for m in (terms_model, rules_model) for c in vars(m).values()
           if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == m.__name__}


def load(root: Path) -> tuple[Terms, RuleBook]:
    """The terms and rules of the repository at `root`, checked (DefinitionError when they are not)."""
    key = _key(root)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = _cached(key, root)
    return _loaded[key]


_loaded: dict[str, tuple[Terms, RuleBook]] = {}


def _cached(key: str, root: Path) -> tuple[Terms, RuleBook]:
    folder = cache_dir()
    name = f"definitions-{key}.json"
    found = _read(folder, name)
    if found is None:
        found = _build(root)
        _store(folder, name, found)
    return found


def _build(root: Path) -> tuple[Terms, RuleBook]:
    from kiyaku.rules.loader import load_rules
    from kiyaku.terms import load_terms

    rules = rules_folder(root)
    terms = load_terms(root / "terms")
    return terms, load_rules(rules, terms)


def rules_folder(root: Path) -> Path:
    """root/rules, which must exist: without rules every answer would be an empty one."""
    rules = root / "rules"
    if not rules.is_dir():
        raise DefinitionError(Finding(str(rules), None, "rules folder not found: without it nothing can be decided",
                                      "give --root the repository that holds terms/ and rules/"))
    return rules


def cache_dir() -> Path:
    """Where kiyaku keeps what it can rebuild: $KIYAKU_CACHE, else ~/.cache/kiyaku."""
    base = os.environ.get("KIYAKU_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kiyaku"
    return Path(base)


def private_cache_dir() -> Path | None:
    """The cache folder, made (private) when missing; None unless the user alone can write it, so that
    what is kept there (these entries, the store's unpacked snapshots) cannot have been put there by another."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder if not hasattr(os, "getuid") or _mine(folder.stat()) else None
    except OSError:
        return None


def _key(root: Path) -> str:
    """SHA-256 of the definitions' files and of the code that reads them, names and bytes."""
    digest = hashlib.sha256(f"{FORMAT}\n".encode())
    tops = [(root / name, root) for name in SOURCES] + [(ENGINE, ENGINE)]
    for top, base in tops:
        files = sorted(p for p in top.rglob("*") if p.suffix != ".pyc" and p.is_file()) if top.is_dir() else []
        for path in files:
            digest.update(f"{path.relative_to(base).as_posix()}\0".encode())
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")  # the build will report it
    return digest.hexdigest()[:40]


# --- reading and writing entries -----------------------------------------------------------------

def _read(folder: Path, name: str) -> tuple[Terms, RuleBook] | None:
    try:
        text = _private_bytes(folder, name)
        found = json.loads(text, object_hook=_decode) if text is not None else None
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None
    ok = isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Terms) and isinstance(found[1], RuleBook)
    if ok:
        _touch(folder / name)
    return found if ok else None


def _private_bytes(folder: Path, name: str) -> bytes | None:
    """The entry's bytes, or None unless the folder and the file are the user's alone to write."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    if not hasattr(os, "getuid") or os.open not in os.supports_dir_fd:
        # No owners to check (Windows): the entry is data, so the worst it can do is be refused.
        return (folder / name).read_bytes()
    dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))  # the folder may be a link: its target is checked
    try:
        if not _mine(os.fstat(dir_fd)):
            return None
        fd = os.open(name, flags, dir_fd=dir_fd)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            return f.read() if stat.S_ISREG(st.st_mode) and _mine(st) else None
    finally:
        os.close(dir_fd)


def _mine(st: os.stat_result) -> bool:
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _store(folder: Path, name: str, found: tuple[Terms, RuleBook]) -> None:
    if private_cache_dir() == folder and write_private(name, json.dumps(_encode(found), ensure_ascii=False,
                                                                        separators=(",", ":")).encode()):
        _prune(folder, "definitions-*.json", keep=name)
        _prune(folder, "validator-*.bin", keep="", latest=None)  # validators: by age alone


def read_private(name: str) -> bytes | None:
    """A cache entry's bytes, or None when it is missing, unreadable, or not the user's alone to write."""
    folder = private_cache_dir()
    try:
        return None if folder is None else _private_bytes(folder, name)
    except OSError:
        return None


def write_private(name: str, data: bytes) -> bool:
    """Keep `data` as a cache entry, whole (an atomic rename) or not at all; False when it could not be."""
    folder = private_cache_dir()
    if folder is None:
        return False
    tmp = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=folder, prefix=f".{name}-", delete=False) as f:
            tmp = f.name
            f.write(data)
        os.replace(tmp, folder / name)
        tmp = None
        return True
    except OSError:
        return False
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(folder: Path, pattern: str, keep: str, latest: int | None = KEEP) -> None:
    """Entries unused for PRUNE_DAYS, all but the `latest` ones, and entries of the old pickle format."""
    entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = time.time() - PRUNE_DAYS * 86400
    stale = [p for i, p in enumerate(entries)
             if p.name != keep and ((latest is not None and i >= latest) or p.stat().st_mtime < cutoff)]
    for path in stale + list(folder.glob("definitions-*.pickle")):
        path.unlink(missing_ok=True)


# --- the data-only encoding ----------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {"$": type(value).__name__} | {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {"$dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the definitions cache")


def _decode(obj: dict[str, Any]) -> Any:
    """Each JSON object back into what it encoded; anything unexpected raises, and the entry is rebuilt."""
    if "$" in obj:
        cls = CLASSES[obj.pop("$")]
        return cls(**obj)
    ((tag, value),) = obj.items()
    if tag == "$dict":
        return {k: v for k, v in value}
    if tag == "$tuple":
        return tuple(value)
    if tag == "$date":
        return date.fromisoformat(value)
    if tag == "$decimal":
        return Decimal(value)
    raise ValueError(f"unknown tag {tag}")
