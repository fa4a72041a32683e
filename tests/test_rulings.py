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


def _rulings(tmp_path: Path, at: str, *lines: str) -> list[dict]:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(line + "\n" for line in lines), "utf-8")
    return evaluate(ROOT, [events], parse_time(at)).rulings


def test_before_any_version_was_in_force_no_version_is_named(tmp_path: Path) -> None:
    # ts-cloudphone's only version takes effect 2015-11-01: in 2014 no version applies, and no ruling
    # may carry the label of a later one.
    rulings = _rulings(tmp_path, "2014-07-01",
                       '{"contract": "C", "agreement": "ts-cloudphone", "time": "2014-05-01", "type": "invoice", '
                       '"id": "I1", "amount": 11000, "due_date": "2014-05-31"}',
                       '{"contract": "C", "time": "2014-06-05", "type": "payment_demand", "invoice": "I1"}')
    assert {(r["version"], r["version_label"]) for r in rulings} == {(None, None)}
    demand = next(r for r in rulings if r["ground"] == "shared.suspension.unpaid_after_demand")
    assert demand["outcome"] == "undetermined"
    assert demand["missing"] == ["no version of ts-cloudphone was in force on 2014-06-05; the first takes effect 2015-11-01"]


def test_the_readings_are_stated_in_the_rulings_that_rely_on_them(tmp_path: Path) -> None:
    rulings = _rulings(tmp_path, "2025-07-20",
                       '{"contract": "C", "agreement": "abphone", "time": "2025-06-01", "type": "fee_set", "monthly_fee": 30000}',
                       '{"contract": "C", "time": "2025-06-27", "type": "payment_agent_deadline_missed"}',
                       '{"contract": "C", "time": "2025-07-10T09:00", "type": "outage", "id": "O1", "cause": "force_majeure", '
                       '"intent_or_gross_negligence": false}',
                       '{"contract": "C", "time": "2025-07-11T09:00", "type": "outage_ended", "outage": "O1"}')
    by = {r["ground"]: r for r in rulings}
    # 第33条第4項 システムダウン: only beyond the provider's reasonable foresight and control.
    assert any("システムダウン" in d and "cause force_majeure" in d
               for d in by["shared.liability.excluded_force_majeure"]["decisions"])
    # 通則11: a power of its own, needing no 催告.
    for ground in ("abphone.interruption.payment_agent_deadline_missed", "abphone.termination.payment_agent_deadline_missed"):
        assert any("need no payment demand" in d for d in by[ground]["decisions"])
    # Fee exemptions carry no consumption tax (decision 4), citing the clause that adds it to what is payable.
    exempt = by["shared.fee_exemption.outage_not_of_customers_making"]
    assert any(d.startswith("4:") for d in exempt["decisions"]) and "abphone:tariff-general.7" in exempt["citations"]
    tax_step = next(s for s in exempt["arithmetic"] if s["label"].startswith("consumption tax: none"))
    assert tax_step["cites"] == ["abphone:tariff-general.7"]


def test_late_interest_shows_every_part_as_its_own_lines(tmp_path: Path) -> None:
    # ts-cloudphone, 11,000 due 2025-05-31: 5,000 on 06-05 (inside the grace: none), 6,000 on 06-20
    # (19 days: 6,000 × 14.6% × 19 ÷ 365 = 45.6 → 45).
    rulings = _rulings(tmp_path, "2025-06-30",
                       '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-05-01", "type": "invoice", '
                       '"id": "I1", "amount": 11000, "due_date": "2025-05-31"}',
                       '{"contract": "C", "time": "2025-06-05", "type": "payment", "invoice": "I1", "amount": 5000}',
                       '{"contract": "C", "time": "2025-06-20", "type": "payment", "invoice": "I1", "amount": 6000}')
    interest = next(r for r in rulings if r["ground"] == "shared.late_interest.unpaid_after_grace")
    labels = [s["label"] for s in interest["arithmetic"]]
    assert "part 1: 5,000 yen, paid on 2025-06-05" in labels and "part 2: 6,000 yen, paid on 2025-06-20" in labels
    assert "part 1: no interest: paid within 10 days counted from the day after the due date" in labels
    assert next(s for s in interest["arithmetic"] if s["label"] == "part 2: interest")["expression"] == \
        "6,000 × 14.6% × 19 ÷ 365"
    assert interest["amount"] == 45
    assert any(d.startswith("7:") for d in interest["decisions"])


def test_a_charge_evaded_needs_one_form_of_its_charges(tmp_path: Path) -> None:
    import pytest

    from kiyaku.errors import InputError

    with pytest.raises(InputError) as caught:
        _rulings(tmp_path, "2025-07-20",
                 '{"contract": "C", "agreement": "abphone", "time": "2025-06-01", "type": "charge_evaded", '
                 '"amount_excluding_tax": 1000, "charge_date": "2025-05-01", '
                 '"charges": [{"amount_excluding_tax": 1000, "charge_date": "2025-05-01"}]}')
    finding = caught.value.findings[0]
    assert finding.line == 1 and finding.file.endswith("events.jsonl")
    assert "not both and not neither" in finding.message
