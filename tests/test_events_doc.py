"""docs/events.md is written from the schema the loader enforces; it must not drift from it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_events_page_matches_the_schema() -> None:
    spec = importlib.util.spec_from_file_location("events_doc", ROOT / "tools" / "events_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    schema = json.loads((ROOT / "engine" / "schemas" / "events.json").read_text("utf-8"))
    assert (ROOT / "docs" / "events.md").read_text("utf-8") == module.render(schema), \
        "docs/events.md is out of date: run python tools/events_doc.py"
