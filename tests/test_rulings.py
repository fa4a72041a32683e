"""Rulings drawn from what happened: every unrecorded deciding fact is named, not just the first."""

from __future__ import annotations

from pathlib import Path

from kiyaku.replay.judge import evaluate
from kiyaku.replay.events import parse_time

ROOT = Path(__file__).resolve().parent.parent


def test_an_undetermined_ruling_names_every_missing_fact(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-06-01", "type": "fee_set", "monthly_fee": 30000}\n'
        '{"contract": "C", "time": "2025-07-10T09:00", "type": "outage", "id": "O1"}\n'
        '{"contract": "C", "time": "2025-07-11T09:00", "type": "outage_ended", "outage": "O1"}\n', "utf-8")
    result = evaluate(ROOT, [events], parse_time("2025-07-20"))
    capped = next(r for r in result.rulings if r["ground"] == "shared.liability.capped")
    assert capped["outcome"] == "undetermined"
    assert len(capped["missing"]) == 2
    assert "record cause" in capped["missing"][0] and "intent_or_gross_negligence" in capped["missing"][1]


def test_a_fact_recorded_against_the_ground_is_not_undetermined(tmp_path: Path) -> None:
    # The cause is the customer's line: whatever the flag, 第33条's cap is not the ground.
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-06-01", "type": "fee_set", "monthly_fee": 30000}\n'
        '{"contract": "C", "time": "2025-07-10T09:00", "type": "outage", "id": "O1", "cause": "customer_line"}\n'
        '{"contract": "C", "time": "2025-07-11T09:00", "type": "outage_ended", "outage": "O1"}\n', "utf-8")
    result = evaluate(ROOT, [events], parse_time("2025-07-20"))
    capped = next(r for r in result.rulings if r["ground"] == "shared.liability.capped")
    assert capped["outcome"] == "not_grounds" and capped["missing"] == []
