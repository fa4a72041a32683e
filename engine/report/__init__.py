"""Case reports for the legal team: one contract's rulings as a memo, in HTML, PDF or Markdown.

    cases = build(root, [Path("examples/smacom/x.jsonl")], contract="SC-2001")
    kiyaku.output.write_files({Path("SC-2001.html"): render_case(root, cases[0], "html")})
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from kiyaku.errors import Finding, InputError, quoted
from kiyaku.paths import Root, version
from kiyaku.replay.events import Stream
from kiyaku.report.case import Case, build_case
from kiyaku.report.pdf import print_pdf
from kiyaku.report.provenance import InputFile, Provenance, tree_sha256
from kiyaku.report.render import FORMATS, render
from kiyaku.textio import digest, name_of

if TYPE_CHECKING:
    from kiyaku.replay.judge import Judge

__all__ = ["FORMATS", "Case", "build", "build_case", "contracts", "each_case", "file_inputs", "file_names",
           "index_name", "render_case", "render_index"]

Inputs = Callable[[Stream], tuple[InputFile, ...]]  # the inputs a contract's events came from


def build(root: Path, paths: list[Path], as_of: datetime | None = None, contract: str | None = None,
          produced_at: datetime | None = None, origin: Root | None = None) -> list[Case]:
    """The case of `contract`, or of every contract in `paths` (sorted by id), as of `as_of`."""
    return list(each_case(root, contracts(paths), lambda s: file_inputs(paths, s), as_of, contract, produced_at,
                          origin))


def contracts(paths: list[Path]) -> dict[str, Stream]:
    """Every contract's stream in `paths`, by id (checked: a bad event is an InputError)."""
    from kiyaku.replay.streams import load

    return load(paths).streams


def each_case(root: Path, streams: dict[str, Stream], inputs: Inputs, as_of: datetime | None = None,
              contract: str | None = None, produced_at: datetime | None = None,
              origin: Root | None = None, judge: Judge | None = None,
              digests: tuple[str, str] | None = None) -> Iterator[Case]:
    """The cases of `streams` (from files or a store) one at a time, so that a caller can show progress;
    `inputs` names where each contract's events came from (files: `file_inputs`).

    `as_of` defaults to each contract's last event (the commands pass their own default, now).
    `produced_at` is only printed; leaving it out keeps the report a function of its inputs.
    `origin` says how the terms at `root` were found, for the provenance (default: named explicitly).
    A long-lived caller (a server) passes its own `judge` of `root`, and the `digests` of its terms/
    and rules/ (computed once).
    """
    from kiyaku.replay.judge import Judge, notes

    if contract is not None and contract not in streams:
        raise InputError(Finding("--contract", None, f"no events for contract {quoted(contract)} in the input given",
                                 f"contracts in the input: {', '.join(streams) or 'none'}"))
    digests = digests or (tree_sha256(root, "terms"), tree_sha256(root, "rules"))
    origin = origin or Root(root, "--root")
    with nullcontext(judge) if judge is not None else Judge(root) as judge:
        for cid, stream in streams.items():
            if contract is not None and cid != contract:
                continue
            when = as_of or stream.events[-1].time
            said = notes(stream)
            proof = Provenance(when, version(), inputs(stream), digests[0], digests[1], produced_at, tuple(said),
                               origin)
            yield build_case(judge.terms, stream, judge.rulings(stream, when), when, proof, said)


def file_inputs(paths: list[Path], stream: Stream) -> tuple[InputFile, ...]:
    """Of the events files given, those holding the contract's events, with digests and counts."""
    per_file = Counter(e.file for e in stream.events)
    return tuple(InputFile(name_of(p), digest(p), per_file[name_of(p)]) for p in paths if per_file[name_of(p)])


def render_case(root: Path, case: Case, fmt: str) -> str | bytes:
    """The memo as HTML or Markdown text, or as PDF bytes (the HTML memo printed by headless Chromium)."""
    if fmt == "pdf":
        return print_pdf(render(root, "case", "html", case=case))
    return render(root, "case", fmt, case=case)


def render_index(root: Path, cases: list[Case], names: dict[str, str], fmt: str) -> str:
    """The index page of a `--all` run: one row per contract, linking to its report file. PDF reports get
    an HTML index: a browser opens the PDFs it links to, where links between PDF files would break."""
    held = {(f.path, f.sha256): f for c in cases for f in c.provenance.inputs}
    inputs = sorted(held.values(), key=lambda f: f.path)
    return render(root, "index", "html" if fmt == "pdf" else fmt, cases=cases, names=names, inputs=inputs)


def index_name(fmt: str) -> str:
    return f"index.{'html' if fmt == 'pdf' else fmt}"


def file_names(contracts: list[str], fmt: str) -> dict[str, str]:
    """A report file name per contract id: safe on every file system, distinct, never the index's."""
    names: dict[str, str] = {}
    taken = {index_name(fmt)}
    for cid in contracts:
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", cid).strip(".") or "contract"
        name, n = f"{stem}.{fmt}", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.{fmt}"
        taken.add(name.lower())
        names[cid] = name
    return names
