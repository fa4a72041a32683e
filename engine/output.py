"""Rulings as text: a table for people, JSON and JSON Lines for programs. Output is deterministic."""

from __future__ import annotations

import json
from typing import Any


def render(rulings: list[dict[str, Any]], fmt: str, notes: list[str] = ()) -> str:
    if fmt == "json":
        return json.dumps(rulings, ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rulings)
    return table(rulings, notes)


def table(rulings: list[dict[str, Any]], notes: list[str] = ()) -> str:
    lines = []
    contract = None
    for r in rulings:
        if r["contract"] != contract:
            contract = r["contract"]
            lines.append(f"\n{contract} — {r['agreement']} (version {r['version_label']})")
        mark = {"not_grounds": " ", "undetermined": "?"}.get(r["outcome"], "*")
        lines.append(f" {mark} {r['kind']:<12} {r['outcome']:<16} {r['modality']:<9} {r['at'][:16]:<16} "
                     f"{', '.join(r['citations'])}")
        if r["outcome"] == "not_grounds":
            continue
        lines.append(f"     {r['summary']}")
        for m in r["missing"]:
            lines.append(f"     missing: {m}")
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines).lstrip("\n") + "\n"
