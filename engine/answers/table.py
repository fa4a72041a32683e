"""Rulings as text: a table for people; JSON, JSON Lines and CSV for programs. Output is deterministic.

Rulings arrive one contract at a time and are written as they come, so that memory holds one
contract's rulings, not the whole input's. A part of the output is rendered to bytes on its own
(`render`, in a worker process or on a cluster) and the parts are joined in order (`Sink`): the
result is the same, byte for byte, however the contracts were shared out.

The table shows, for each contract, one summary line and the rulings that apply or are undetermined;
`all_grounds` adds the grounds that do not apply. JSON, JSON Lines and CSV hold every ground
considered (scripts read `not_grounds` rulings). A ground never met is printed from a template of
its ruling, which differs from contract to contract only in the contract id and the time.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Iterable

import orjson  # several times faster than json for the many rulings of a bulk run, same JSON

from kiyaku.errors import InputError
from kiyaku.output import CONTROLS, escape_controls
from kiyaku.replay import bulk
from kiyaku.replay.judge import Evaluated, notes
from kiyaku.replay.rulings import Unmet

CSV_COLUMNS = ("contract", "agreement", "version", "kind", "ground", "outcome", "modality", "at", "amount",
               "citations", "summary", "missing")
# The characters output.escape_controls shows escaped, as UTF-8: single bytes (C0 controls, DEL), and
# for each lead byte of the others (C1, U+061C, the bidirectional controls and separators) the bytes
# that may follow it. Most of what is written is ASCII and Japanese, where these lead bytes are rare:
# each is looked for on its own (a memchr), and only what follows one is looked at.
_ESCAPED = [chr(c).encode() for first, last in CONTROLS for c in range(first, last + 1)]
_NOT_SINGLE = bytes(b for b in range(256) if bytes((b,)) not in _ESCAPED)  # taken out, leaves the singles


def _leads() -> list[tuple[bytes, int, frozenset[bytes]]]:
    """(lead byte, how many bytes follow it, which may) for the escaped characters of several bytes:
    a lead byte says how long its character is."""
    following: dict[bytes, set[bytes]] = {}
    for e in _ESCAPED:
        if len(e) > 1:
            following.setdefault(e[:1], set()).add(e[1:])
    return [(lead, len(next(iter(tails))), frozenset(tails)) for lead, tails in following.items()]


_LEADS = _leads()


def _has_controls(text: bytes, json: bool) -> bool:
    """Whether UTF-8 `text` holds a character escape_controls shows escaped. JSON text holds no C0
    control as such (orjson writes them as escapes): DEL is the only single byte to look for in it."""
    if b"\x7f" in text if json else text.translate(None, _NOT_SINGLE):
        return True
    for lead, width, following in _LEADS:
        at = text.find(lead)
        while at >= 0:
            if text[at + 1:at + 1 + width] in following:
                return True
            at = text.find(lead, at + 1)
    return False


def render(contracts: Iterable[Evaluated], fmt: str, all_grounds: bool = False) -> bytes:
    """These contracts' rulings, in the given order, without the format's opening and closing. Event
    text cannot drive a terminal: controls are shown escaped, as everything kiyaku writes (output.py)."""
    parts: list[bytes] = []
    unchecked: list[bytes] = []  # what may hold a control: all but the templates, each checked once
    for c in contracts:
        if fmt == "table":
            parts.append(_table(c, all_grounds).encode())
        elif fmt == "csv":
            parts.append(_csv(c))
        else:
            parts.extend(_json(c, fmt, unchecked))
    text = (b",\n" if fmt == "json" else b"").join(parts)
    # a control lies within one part: every part is whole UTF-8 characters, the separators are plain
    json = fmt in ("json", "jsonl")
    controls = _has_controls(b"".join(unchecked) if json else text, json)
    return escape_controls(text.decode()).encode() if controls else text


class Sink:
    """Writes rendered parts to a binary stream as they come, within the format's frame: the JSON
    array's brackets and commas, the CSV header, the table's closing notes."""

    def __init__(self, out: BinaryIO, fmt: str) -> None:
        self.out, self.fmt, self.started = out, fmt, False

    def part(self, body: bytes) -> None:
        if not body:
            return
        if not self.started:
            self._open()
        elif self.fmt == "json":
            self.out.write(b",\n")
        self.out.write(body)

    def close(self, notes: Iterable[str] = ()) -> None:
        if self.fmt == "json":
            self.out.write(b"\n]\n" if self.started else b"[]\n")
            return
        if not self.started:
            self._open()
        if self.fmt == "table":
            self.out.write("".join(f"note: {n}\n" for n in notes).encode())

    def _open(self) -> None:
        self.started = True
        if self.fmt == "json":
            self.out.write(b"[\n")
        elif self.fmt == "csv":
            self.out.write(_csv_line(CSV_COLUMNS))


def write(out: BinaryIO, contracts: Iterable[Evaluated], fmt: str, all_grounds: bool = False,
          notes=lambda: ()) -> None:
    """Every contract's rulings as they come; `notes` is read once all are written."""
    sink = Sink(out, fmt)
    for c in contracts:
        sink.part(render([c], fmt, all_grounds))
    sink.close(notes())


@dataclass(frozen=True)
class Rendering:
    """The task `kiyaku evaluate` gives each part of its input (replay/bulk.py): read its contracts,
    judge them with the terms and rules sent (`definitions`), render their rulings. Returns the
    bytes, the notes on the contracts, and the problems a source found on reading them."""

    fmt: str
    all_grounds: bool = False
    as_of: datetime | None = None
    keep_going: bool = False

    def __call__(self, part: bulk.Part, definitions: Any) -> tuple[bytes, list[str], list[Any]]:
        judge = bulk.judge(definitions)
        done, said, errors = [], [], []
        for stream in part.streams(errors, self.keep_going):
            try:
                done.append(judge.evaluated(stream, self.as_of))
            except InputError as exc:  # what only the terms can tell (a cited provision), for a store's stream
                if not self.keep_going:
                    raise
                errors.extend(exc.findings)
                continue
            said.extend(f"contract {stream.contract}: {note}" for note in notes(stream))
        return render(done, self.fmt, self.all_grounds), said, errors


# --- JSON ----------------------------------------------------------------------------------------

def _json(c: Evaluated, fmt: str, unchecked: list[bytes]) -> list[bytes]:
    """The contract's rulings; what of them is not a checked template goes to `unchecked` too."""
    contract = orjson.dumps(c.contract)
    unchecked.append(contract)
    out = []
    at = at_text = None  # the time of the rulings from templates, which is the contract's as-of time
    for r in c.rulings:
        if isinstance(r, Unmet):
            if r.at != at_text:
                at_text, at = r.at, orjson.dumps(r.at)
            text, checked = _from_template(r, fmt, contract, at)
        else:
            text, checked = _dump(r, fmt), False
        out.append(text)
        if not checked:
            unchecked.append(text)
    return out


def _dump(ruling: dict[str, Any], fmt: str) -> bytes:
    if fmt == "jsonl":
        return orjson.dumps(ruling, option=orjson.OPT_APPEND_NEWLINE)
    return b"  " + orjson.dumps(ruling, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n  ")


_CONTRACT, _AT = "\x00contract\x00", "\x00at\x00"  # stand-ins no definition can contain
_TEMPLATES: dict[tuple[Any, ...], tuple[Any, tuple[bytes, bytes, bytes] | None, bool]] = {}


def _from_template(r: Unmet, fmt: str, contract: bytes, at: bytes) -> tuple[bytes, bool]:
    """The ruling's text, and whether it is known to hold no control but in `contract` (the
    template's own text is checked once; the time is an ISO 8601 instant, which holds none)."""
    key = (fmt, *r.shape())
    found = _TEMPLATES.get(key)
    if found is None or found[0] is not r.ground:  # keyed by id: a template is never another ground's
        text = _dump(r.as_dict(_CONTRACT, _AT), fmt)
        c, a = orjson.dumps(_CONTRACT), orjson.dumps(_AT)
        parts = None
        if text.count(c) == 1 and text.count(a) == 1 and text.index(c) < text.index(a):
            head, rest = text.split(c)
            middle, tail = rest.split(a)
            parts = (head, middle, tail)
        found = _TEMPLATES[key] = (r.ground, parts, parts is not None and not _has_controls(b"".join(parts), json=True))
    parts = found[1]
    if parts is None:
        return _dump(r.as_dict(), fmt), False
    return b"".join((parts[0], contract, parts[1], at, parts[2])), found[2]


# --- the table -----------------------------------------------------------------------------------

def _outcome(r: dict[str, Any] | Unmet) -> str:
    return r.outcome if isinstance(r, Unmet) else r["outcome"]


def _summary(c: Evaluated) -> str:
    counts = {"apply": 0, "undetermined": 0, "not_grounds": 0}
    for r in c.rulings:
        outcome = _outcome(r)
        counts[outcome if outcome in counts else "apply"] += 1
    applies = f"{counts['apply']} appl{'ies' if counts['apply'] == 1 else 'y'}"
    version = f"version {c.version_label}" if c.version_label else "no version yet in force"
    return (f"{c.contract} — {c.agreement} ({version}): {applies}, "
            f"{counts['undetermined']} undetermined, {counts['not_grounds']} do not apply")


def _table(c: Evaluated, all_grounds: bool) -> str:
    """One contract for people: a summary line, then grounds met marked *, undetermined ?, with the
    summary and what is missing; the grounds that do not apply only when asked for."""
    lines = ["", _summary(c)]
    shown = [r.as_dict() if isinstance(r, Unmet) else r for r in c.rulings
             if all_grounds or _outcome(r) != "not_grounds"]
    # The columns as wide as this contract's longest kind and outcome, so that the rows line up.
    widths = (max((len(r["kind"]) for r in shown), default=0), max((len(r["outcome"]) for r in shown), default=0))
    for r in shown:
        lines.extend(_rows(r, widths))
    return "\n".join(lines) + "\n"


def _rows(r: dict[str, Any], widths: tuple[int, int]) -> list[str]:
    mark = {"not_grounds": " ", "undetermined": "?"}.get(r["outcome"], "*")
    amount = f"¥{r['amount']:,}" if r.get("amount") is not None else ""
    rows = [f" {mark} {r['kind']:<{widths[0]}} {r['outcome']:<{widths[1]}} {amount:>9} {r['modality']:<9} "
            f"{r['at'][:16]:<16} {', '.join(r['citations'])}"]
    if r["outcome"] != "not_grounds":
        rows.append(f"     {r['summary']}")
        rows.extend(f"     missing: {m}" for m in r["missing"])
    return rows


# --- CSV: one row per ruling -------------------------------------------------------------------------

def _csv(c: Evaluated) -> bytes:
    rows = []
    for r in c.rulings:
        r = r.as_dict() if isinstance(r, Unmet) else r
        rows.append(_csv_line((r["contract"], r["agreement"], r["version"], r["kind"], r["ground"], r["outcome"],
                               r["modality"], r["at"], "" if r.get("amount") is None else r["amount"],
                               " ".join(r["citations"]), r["summary"], "; ".join(r["missing"]))))
    return b"".join(rows)


def _csv_line(values: Iterable[Any]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(values)
    return text.getvalue().encode()
