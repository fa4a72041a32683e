"""terms/ and rules/ loaded and checked once, then kept in a cache until a file changes.

Parsing the agreements' YAML takes most of a short run's time; a support agent asks dozens of
questions a day, so the checked result is pickled under $KIYAKU_CACHE (default ~/.cache/kiyaku),
keyed by the path, size and modification time of every file it was built from, and of the code
that builds it. A cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from kiyaku.rules.model import RuleBook
from kiyaku.terms import Terms

ENGINE = Path(__file__).resolve().parent
SOURCES = ("terms", "rules")
CODE = ("terms", "rules", "schemas", "yamlio.py")


def load(root: Path) -> tuple[Terms, RuleBook]:
    """The terms and rules of the repository at `root`, checked (DefinitionError when they are not)."""
    key = _key(root)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = _cached(key, root)
    return _loaded[key]


_loaded: dict[str, tuple[Terms, RuleBook]] = {}


def _cached(key: str, root: Path) -> tuple[Terms, RuleBook]:
    path = cache_dir() / f"definitions-{key}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
        pass
    found = _build(root)
    _store(path, found)
    return found


def _build(root: Path) -> tuple[Terms, RuleBook]:
    from kiyaku.rules.loader import load_rules
    from kiyaku.terms import load_terms

    terms = load_terms(root / "terms")
    rules = root / "rules"
    return terms, load_rules(rules, terms) if rules.is_dir() else RuleBook()


def cache_dir() -> Path:
    """Where kiyaku keeps what it can rebuild: $KIYAKU_CACHE, else ~/.cache/kiyaku."""
    base = os.environ.get("KIYAKU_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kiyaku"
    return Path(base)


def _key(root: Path) -> str:
    digest = hashlib.sha256(str(root.resolve()).encode())
    folders = [root / name for name in SOURCES] + [ENGINE / name for name in CODE]
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else [folder] if folder.is_file() else ():
            if "__pycache__" in path.parts:  # Python's own bytecode cache comes and goes
                continue
            st = path.stat()
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _store(path: Path, found: tuple[Terms, RuleBook]) -> None:
    import tempfile  # only when the cache is written

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as f:
            pickle.dump(found, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)
    except OSError:
        pass
