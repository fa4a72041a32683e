"""Case reports for the legal team: one contract's rulings as a memo, in HTML or Markdown.

    cases = build(root, [Path("examples/smacom/x.jsonl")], contract="SC-2001")
    write_all({Path("SC-2001.html"): render_case(root, cases[0], "html")})
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Callable

from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import Stream
from kiyaku.report.case import Case, build_case
from kiyaku.report.files import write_all
from kiyaku.report.provenance import InputFile, Provenance, file_sha256, kiyaku_version, tree_sha256
from kiyaku.report.render import FORMATS, render

__all__ = ["FORMATS", "Case", "build", "build_case", "build_from", "file_inputs", "file_names", "provenance",
           "render_case",
           "render_index", "write_all"]


def build(root: Path, paths: list[Path], as_of: datetime | None = None, contract: str | None = None,
          produced_at: datetime | None = None) -> list[Case]:
    """The case of `contract`, or of every contract in `paths` (sorted by id), as of `as_of`.

    `as_of` defaults to each contract's last event, as `kiyaku evaluate` does. `produced_at` is only
    printed; leaving it out keeps the report a function of its inputs.
    """
    from kiyaku.replay.events import load

    streams = load(paths).streams
    if contract is not None and contract not in streams:
        raise InputError(Finding("--contract", None, f"no events for contract {contract!r} in the files given",
                                 f"contracts in the input: {', '.join(streams) or 'none'}"))
    return build_from(root, streams, lambda stream: file_inputs(paths, stream), as_of, contract, produced_at)


def build_from(root: Path, streams: dict[str, Stream], inputs: Callable[[Stream], tuple[InputFile, ...]],
               as_of: datetime | None = None, contract: str | None = None,
               produced_at: datetime | None = None) -> list[Case]:
    """The cases of `streams` (from files or a store), each with the inputs `inputs` names for it."""
    from kiyaku.replay.judge import Result, each_contract
    from kiyaku.terms import load_terms

    result = Result([])
    chosen = {cid: s for cid, s in streams.items() if contract is None or cid == contract}
    for found in each_contract(root, [], result, as_of, contract, source=lambda errors, _: iter(chosen.values())):
        result.rulings.extend(found)
    terms = load_terms(root / "terms")
    digests = (tree_sha256(root, "terms"), tree_sha256(root, "rules"))
    cases = []
    for cid, stream in chosen.items():
        when = as_of or stream.events[-1].time
        notes = [n.split(": ", 1)[1] for n in result.notes if n.startswith(f"contract {cid}: ")]
        proof = Provenance(when, kiyaku_version(), inputs(stream), digests[0], digests[1], produced_at, tuple(notes))
        rulings = [r for r in result.rulings if r["contract"] == cid]
        cases.append(build_case(terms, stream, rulings, when, proof, notes))
    return cases


def provenance(paths: list[Path], stream: Stream, as_of: datetime, digests: tuple[str, str],
               produced_at: datetime | None = None, notes: list[str] = ()) -> Provenance:
    return Provenance(as_of, kiyaku_version(), file_inputs(paths, stream), digests[0], digests[1], produced_at,
                      tuple(notes))


def file_inputs(paths: list[Path], stream: Stream) -> tuple[InputFile, ...]:
    """Each events file given, with its digest and how many of the contract's events it holds."""
    per_file = Counter(e.file for e in stream.events)
    return tuple(InputFile(str(p), file_sha256(p), per_file[str(p)]) for p in paths)


def render_case(root: Path, case: Case, fmt: str) -> str:
    return render(root, "case", fmt, case=case)


def render_index(root: Path, cases: list[Case], names: dict[str, str], fmt: str) -> str:
    """The index page of a `--all` run: one row per contract, linking to its report file."""
    return render(root, "index", fmt, cases=cases, names=names)


def file_names(contracts: list[str], fmt: str) -> dict[str, str]:
    """A report file name per contract id: safe on every file system, distinct, never the index's."""
    names: dict[str, str] = {}
    taken = {f"index.{fmt}"}
    for cid in contracts:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", cid).strip(".") or "contract"
        name, n = f"{stem}.{fmt}", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.{fmt}"
        taken.add(name.lower())
        names[cid] = name
    return names
