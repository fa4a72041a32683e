"""`kiyaku evaluate` through the command line: bad events are located; output is deterministic."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kiyaku.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*/*.jsonl"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def test_same_input_gives_byte_identical_output() -> None:
    first = run(*EXAMPLES, "--at", "2025-07-10", "--format", "json")
    second = run(*EXAMPLES, "--at", "2025-07-10", "--format", "json")
    assert first[0] == 0 and first[1] == second[1]
    assert {"AB-3001", "SC-2001", "TS-1001"} <= {r["contract"] for r in json.loads(first[1])}


def test_events_out_of_order_are_ordered_by_time_and_the_output_says_so(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '{"contract": "C", "time": "2025-05-01", "type": "invoice", "id": "I", "amount": 100, "due_date": "2025-05-31"}',
                 '{"contract": "C", "time": "2025-06-05", "type": "payment_demand", "invoice": "I"}',
                 '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-04-01", "type": "service_started"}')
    code, out, err = run(path, "--at", "2025-06-10", "--format", "json")
    assert code == 0
    assert "not in time order" in err
    rulings = json.loads(out)
    assert all(r["input_reordered"] for r in rulings)
    assert any(r["outcome"] == "may_suspend" and r["citations"] == ["ts-cloudphone:23.2"] for r in rulings)


def test_unknown_type_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "C", "agreement": "smacom", "time": "2025-05-01", "type": "invoise"}')
    code, out, err = run(path)
    assert code == 2
    assert err.startswith(f"{path}:1: field type: unknown event type 'invoise' (known types: ")


def test_non_integer_amount(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "C", "agreement": "smacom", "time": "2025-05-01", "type": "invoice", "id": "I", "amount": 100.5, "due_date": "2025-05-31"}')
    code, out, err = run(path)
    assert code == 2
    assert err.startswith(f"{path}:1: field amount: 100.5 is not an integer (amounts are whole yen)")


def test_unparseable_time_and_missing_field(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "C", "agreement": "smacom", "time": "yesterday", "type": "payment_demand"}')
    code, out, err = run(path)
    assert code == 2
    assert f"{path}:1: field invoice: missing; payment_demand events require it" in err
    assert f"{path}:1: field time: 'yesterday' is not an ISO 8601 time" in err


def test_contract_switching_agreement(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '{"contract": "C", "agreement": "smacom", "time": "2025-05-01", "type": "service_started"}',
                 '{"contract": "C", "agreement": "abphone", "time": "2025-05-02", "type": "service_started"}')
    code, out, err = run(path)
    assert code == 2
    assert err.startswith(f"{path}:2: field agreement: contract C is under smacom")


def test_payment_for_unknown_invoice_and_keep_going(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-05-01", "type": "service_started"}',
                 '{"contract": "C", "time": "2025-05-02", "type": "payment", "invoice": "NOPE", "amount": 1}',
                 '{"contract": "C", "time": "2025-05-03", "type": "bogus"}')
    code, out, err = run(path)
    assert code == 2 and "unknown event type 'bogus'" in err
    code, out, err = run(path, "--keep-going", "--format", "json")
    assert code == 1
    assert f"{path}:2: field invoice: payment for unknown invoice 'NOPE' of contract C" in err
    assert f"{path}:3: field type: unknown event type 'bogus'" in err
    assert json.loads(out)  # the rest was evaluated


def test_an_outage_that_ends_before_it_starts_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-06-01", "type": "service_started"}',
                 '{"contract": "C", "time": "2025-07-10T09:00", "type": "outage", "id": "O1", "cause": "provider"}',
                 '{"contract": "C", "time": "2025-07-10T08:00", "type": "outage_ended", "outage": "O1"}')
    code, out, err = run(path)
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:3: field time: outage_ended at 2025-07-10T08:00:00+09:00 is before the outage it ends")


def test_a_negative_or_fractional_amount_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path,
                 '{"contract": "C", "agreement": "ts-cloudphone", "time": "2025-06-01", "type": "fee_set", "monthly_fee": -3000}',
                 '{"contract": "C", "time": "2025-07-10", "type": "charge_evaded", "amount_excluding_tax": 10.5, "charge_date": "2025-07-01"}')
    code, out, err = run(path, "--keep-going")
    assert code == 1
    assert f"{path}:1: field monthly_fee: -3000 is less than the minimum of 0" in err
    assert f"{path}:2: field amount_excluding_tax: 10.5 is not an integer (amounts are whole yen)" in err


def test_without_at_it_evaluates_as_of_now_and_says_so(tmp_path: Path) -> None:
    # smacom 第17条第1項第1号: a debt unpaid after its due date (2025-05-31) opens suspension. The last
    # event is the invoice (2025-05-01): as of it nothing is due; as of now (a later day) the debt is.
    path = write(tmp_path,
                 '{"contract": "C", "agreement": "smacom", "time": "2025-04-01", "type": "service_started"}',
                 '{"contract": "C", "time": "2025-05-01", "type": "invoice", "id": "I", "amount": 1000, "due_date": "2025-05-31"}')
    code, out, err = run(path)
    assert code == 0
    assert re.search(r"^ \* suspension +may_suspend .* smacom:17\.1\.1", out, re.M)
    assert out.rstrip().splitlines()[-1].startswith("as of ") and out.rstrip().endswith("(now; give --at to fix it)")
    code, out, err = run(path, "--at", "2025-05-15")
    assert code == 0 and "may_suspend" not in out
    assert out.rstrip().endswith("as of 2025-05-15T00:00:00+09:00 (--at)")
    code, out, err = run(path, "--at", "2025-05-15", "--format", "json")
    assert json.loads(out) and err.rstrip().endswith("as of 2025-05-15T00:00:00+09:00 (--at)")
