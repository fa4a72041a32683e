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
