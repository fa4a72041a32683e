"""Case reports for the legal team: one contract's rulings as a memo, in HTML or Markdown.

    cases = build(root, [Path("examples/smacom/x.jsonl")], contract="SC-2001")
    write_files({Path("SC-2001.html"): render_case(root, cases[0], "html")})   # kiyaku.output
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

from kiyaku.errors import Finding, InputError, quoted
from kiyaku.report.case import Case, build_case
from kiyaku.report.provenance import InputFile, Provenance, kiyaku_version, tree_sha256
from kiyaku.textio import digest, name_of
from kiyaku.report.render import FORMATS, render

__all__ = ["FORMATS", "Case", "build", "build_case", "file_names", "provenance", "render_case", "render_index"]


def build(root: Path, paths: list[Path], as_of: datetime | None = None, contract: str | None = None,
          produced_at: datetime | None = None) -> list[Case]:
    """The case of `contract`, or of every contract in `paths` (sorted by id), as of `as_of`.

    `as_of` defaults to each contract's last event, as `kiyaku evaluate` does. `produced_at` is only
    printed; leaving it out keeps the report a function of its inputs.
    """
    from kiyaku import definitions
    from kiyaku.replay.judge import evaluate
    from kiyaku.replay.events import load

    terms = definitions.load(root)[0]
    streams = load(paths, terms=terms).streams
    if contract is not None and contract not in streams:
        raise InputError(Finding("--contract", None, f"no events for contract {quoted(contract)} in the files given",
                                 f"contracts in the input: {', '.join(streams) or 'none'}"))
    result = evaluate(root, paths, as_of, contract)
    digests = (tree_sha256(root, "terms"), tree_sha256(root, "rules"))
    cases = []
    for cid, stream in streams.items():
        if contract is not None and cid != contract:
            continue
        when = as_of or stream.events[-1].time
        notes = [n.split(": ", 1)[1] for n in result.notes if n.startswith(f"contract {cid}: ")]
        proof = provenance(paths, stream, when, digests, produced_at, notes)
        rulings = [r for r in result.rulings if r["contract"] == cid]
        cases.append(build_case(terms, stream, rulings, when, proof, notes))
    return cases


def provenance(paths: list[Path], stream, as_of: datetime, digests: tuple[str, str],
               produced_at: datetime | None = None, notes: list[str] = ()) -> Provenance:
    per_file = Counter(e.file for e in stream.events)
    inputs = tuple(InputFile(name_of(p), digest(p), per_file[name_of(p)]) for p in paths)
    return Provenance(as_of, kiyaku_version(), inputs, digests[0], digests[1], produced_at, tuple(notes))


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
