"""Write docs/events.md from kiyaku/schemas/events.json, so that the page never drifts from what the
loader enforces (tests/test_events_doc.py fails when it has).

    python tools/events_doc.py            # rewrite docs/events.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAD = """# Events

A contract's history is a stream of events, one JSON object a line (`.jsonl`) or a YAML list.
Events record facts, never conclusions: the engine derives *overdue*, *unpaid after demand*, and so on.
The vocabulary is enforced from `engine/schemas/events.json`; this page is written from it by
`python tools/events_doc.py`.

Every event has `contract`, `time` (ISO 8601; without an offset it is Asia/Tokyo) and `type`; optional
`id` (needed when another event refers to it) and `note`. The first event of a contract (in time) names its
`agreement` (`smacom`, `ts-cloudphone`, `abphone`); no later event may name another.

What the loader refuses, each with its file and line (exit status 2), rather than guess:
- text that is not UTF-8 (a Shift_JIS or UTF-16 export: convert it with `iconv`), NUL bytes, lines over 1 MiB;
- a key given twice in one event, integers beyond 64 bits, decimals (amounts are whole yen), `NaN`;
  amounts above 10^15 yen (so that every sum computed from them is an exact integer any output holds);
- times and dates that are not real (`2025-02-30`, hour 25), or outside the years 1900-9000. Times are
  `2025-06-01`, `2025-06-01T09:00`, or with seconds and an offset (`Z`, `+09:00`); a time written with
  an offset is the same instant, and its calendar date is its date in Asia/Tokyo (spec decision 9):
  a payment at `2025-06-10T16:00Z` is paid on 2025-06-11;
- ids longer than 200 characters, other texts longer than 10,000, nesting deeper than an event needs;
- in a contract: two events with the same `id`, a reference (`invoice`, `breach`, `deposit`, `outage`)
  to no earlier event of that type, an event dated before the event it names (a payment before its
  invoice), an outage ended (or a breach remedied) twice, a `ground` or `obligation` that is not a
  provision of the contract's agreement;
- the same file given twice, and in YAML any alias (`*name`): each would repeat events unseen.

`-` reads the events from standard input: JSON Lines, or a YAML list when the first line does not
start with `{`.

| type | required | other fields | what it records |
|---|---|---|---|
"""

TAIL = """
Amounts are integer yen. Flags are `true`/`false`; a flag left out is *unknown*, and a ground that
turns on it is reported `undetermined`, naming the field to record.

## Fields

"""


def _field(name: str, spec: dict) -> str:
    kind = spec.get("$ref", "").rsplit("/", 1)[-1] or spec.get("type", "")
    if "enum" in spec:
        kind = " | ".join(f"`{v}`" for v in spec["enum"])
    note = spec.get("description", "")
    return f"- `{name}`" + (f" ({kind})" if kind else "") + (f": {note}" if note else "")


def render(schema: dict) -> str:
    types = schema["$defs"]["types"]
    rows, fields = [], []
    for name, spec in types.items():
        required = spec.get("required", [])
        other = [f for f in spec.get("properties", {}) if f not in required]
        rows.append(f"| `{name}` | {', '.join(required)} | {', '.join(other)} | {spec.get('description', '')} |")
        if spec.get("properties"):
            fields.append(f"### `{name}`\n")
            fields += [_field(f, s) for f, s in spec["properties"].items()]
            fields.append("")
    return HEAD + "\n".join(rows) + "\n" + TAIL + "\n".join(fields)


def main() -> None:
    schema = json.loads((ROOT / "engine" / "schemas" / "events.json").read_text("utf-8"))
    (ROOT / "docs" / "events.md").write_text(render(schema), "utf-8")


if __name__ == "__main__":
    main()
