"""The library call behind `kiyaku evaluate`: event files in, rulings out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.errors import Finding
from engine.events import load
from engine.evaluator import Evaluator
from engine.rules.loader import load_rules
from engine.rulings import rulings
from engine.terms import load_terms


@dataclass
class Result:
    rulings: list[dict[str, Any]]
    errors: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate(root: Path, paths: list[Path], as_of: datetime | None = None, contract: str | None = None,
             keep_going: bool = False) -> Result:
    """Rulings for every contract in `paths` (or one), as of `as_of` (default: the last event)."""
    terms = load_terms(root / "terms")
    book = load_rules(root / "rules", terms)
    loaded = load(paths, keep_going=keep_going)
    result = Result([], loaded.errors)
    evaluator = Evaluator(terms, book)
    try:
        for cid, stream in loaded.streams.items():
            if contract is not None and cid != contract:
                continue
            if stream.reordered:
                result.notes.append(f"contract {cid}: events were not in time order in the input; "
                                    "they were ordered by time (ties keep input order)")
            when = as_of or stream.events[-1].time
            outcome = evaluator.evaluate(stream, when)
            result.rulings.extend(rulings(outcome, terms, book.grounds))
    finally:
        evaluator.close()
    return result
