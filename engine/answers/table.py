"""Rulings as text: a table for people, JSON and JSON Lines for programs. Output is deterministic.

Rulings arrive one contract at a time and are written as they come, so that memory holds one
contract's rulings, not the whole input's."""

from __future__ import annotations

from typing import Any, Iterable, TextIO

import orjson  # several times faster than json for the many rulings of a bulk run, same JSON


def write(out: TextIO, chunks: Iterable[list[dict[str, Any]]], fmt: str, notes=lambda: ()) -> None:
    """Write each chunk of rulings (a contract's) as it comes; `notes` is read once all are written."""
    first = True
    for chunk in chunks:
        for r in chunk:
            if fmt == "json":
                out.write(("[\n" if first else ",\n") + _indented(orjson.dumps(r, option=orjson.OPT_INDENT_2).decode()))
            elif fmt == "jsonl":
                out.write(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE).decode())
            first = False
        if fmt == "table" and chunk:
            out.write(table(chunk))
    if fmt == "json":
        out.write("[]\n" if first else "\n]\n")
    elif fmt == "table":
        out.write("".join(f"note: {n}\n" for n in notes()))


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.split("\n"))


def table(rulings: list[dict[str, Any]]) -> str:
    """One contract's rulings (or several contracts', in turn) for people: grounds met marked *,
    undetermined ?, with the summary and what is missing."""
    lines = []
    contract = None
    for r in rulings:
        if r["contract"] != contract:
            contract = r["contract"]
            lines.append(f"\n{contract} — {r['agreement']} (version {r['version_label']})")
        mark = {"not_grounds": " ", "undetermined": "?"}.get(r["outcome"], "*")
        amount = f"¥{r['amount']:,}" if r.get("amount") is not None else ""
        lines.append(f" {mark} {r['kind']:<13} {r['outcome']:<16} {amount:>9} {r['modality']:<9} {r['at'][:16]:<16} "
                     f"{', '.join(r['citations'])}")
        if r["outcome"] == "not_grounds":
            continue
        lines.append(f"     {r['summary']}")
        for m in r["missing"]:
            lines.append(f"     missing: {m}")
    return "\n".join(lines) + "\n"
