"""`kiyaku ask`: a plain answer for support agents, checked against cases worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kiyaku.cli import main

ROOT = Path(__file__).resolve().parent.parent
SMACOM = str(ROOT / "examples" / "smacom" / "unpaid-and-suspended-without-notice.jsonl")


def ask(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["ask", *args])
    return result.exit_code, result.stdout, result.stderr


def ask_json(*args: str) -> dict:
    code, out, err = ask(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def write(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return str(path)


def test_yes_once_the_due_date_has_passed_with_the_notice_that_must_come_first() -> None:
    # Invoice due 2025-06-30, unpaid: 第17条第1項第1号 from 2025-07-01 00:00; 第17条第2項 requires
    # prior notice of reason, date and period.
    answer = ask_json("can-suspend", SMACOM, "--contract", "SC-2001", "--at", "2025-07-10")
    assert answer["answer"] == "yes"
    assert answer["citations"][:2] == ["smacom:17.1.1", "smacom:17.1"]
    assert any("smacom:17.2" in r and "reason, date, period" in r for r in answer["requires"])
    assert answer["missing"] == []


def test_not_yet_before_the_due_date_passes_and_says_from_when() -> None:
    answer = ask_json("can-suspend", SMACOM, "--contract", "SC-2001", "--at", "2025-06-10")
    assert answer["answer"] == "no"
    assert answer["not_yet"]["from"] == "2025-07-01T00:00:00+09:00"
    assert answer["citations"][0] == "smacom:17.1.1"


def test_no_when_no_ground_applies_lists_each_ground_considered(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "T", "agreement": "ts-cloudphone", "time": "2025-04-01", "type": "service_started"}')
    answer = ask_json("can-suspend", path, "--contract", "T", "--at", "2025-05-10")
    assert answer["answer"] == "no" and "not_yet" not in answer
    # Every power that stops the service: 利用中止 (第22条第1項) as well as 利用停止 (第23条).
    assert answer["citations"] == ["ts-cloudphone:22.1.1", "ts-cloudphone:22.1.2", "ts-cloudphone:23.1.1",
                                   "ts-cloudphone:23.1.2", "ts-cloudphone:23.2", "ts-cloudphone:23.4"]


def test_undetermined_names_the_missing_fact(tmp_path: Path) -> None:
    # 第17条第1項第4号 turns on whether the change was reported promptly (速やかに): not recorded.
    path = write(tmp_path,
                 '{"contract": "S", "agreement": "smacom", "time": "2025-05-01", "type": "service_started"}',
                 '{"contract": "S", "time": "2025-05-20", "type": "registered_details_changed", "id": "R1"}')
    answer = ask_json("can-suspend", path, "--contract", "S", "--at", "2025-06-01")
    assert answer["answer"] == "undetermined"
    assert answer["citations"][0] == "smacom:17.1.4"
    assert any("reported_promptly" in m for m in answer["missing"])


def test_plain_answer_puts_the_verdict_first_and_quotes_the_clause() -> None:
    code, out, _ = ask("can-suspend", SMACOM, "--contract", "SC-2001", "--at", "2025-07-10")
    assert code == 0
    lines = out.splitlines()
    assert lines[2].startswith("Answer: YES")
    assert "「料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき」" in out


def test_japanese_labels() -> None:
    code, out, _ = ask("can-suspend", SMACOM, "--contract", "SC-2001", "--at", "2025-06-10", "--lang", "ja")
    assert code == 0
    assert "回答: NO いいえ — not yet 未到来, from 2025-07-01T00:00:00+09:00" in out


def test_unknown_contract_is_bad_input() -> None:
    code, _, err = ask("can-suspend", SMACOM, "--contract", "NOPE", "--at", "2025-07-10")
    assert code == 2
    assert "no events for contract 'NOPE'" in err


TS_MONEY = str(ROOT / "examples" / "ts-cloudphone" / "money-outage-and-late-payment.jsonl")
SC_MONEY = str(ROOT / "examples" / "smacom" / "money-surcharge-and-outage.jsonl")


def test_liability_not_yet_while_the_outage_has_lasted_7_of_8_hours() -> None:
    # Learned of at 09:30; 8 hours (第33条第1項) are reached at 17:30.
    answer = ask_json("liability", TS_MONEY, "--contract", "TS-1201", "--at", "2025-07-08T16:30")
    assert answer["answer"] == "no" and answer["amount"] == 0
    assert answer["not_yet"]["from"] == "2025-07-08T17:30:00+09:00"


def test_liability_yes_with_the_cap() -> None:
    # 09:30 to 20:15 = 10 h 45 min: one started 24-hour period; 30,000 ÷ 31 = 967.74, cut to 967.
    answer = ask_json("liability", TS_MONEY, "--contract", "TS-1201", "--at", "2025-07-10")
    assert answer["answer"] == "yes" and answer["amount"] == 967
    assert answer["citations"][:3] == ["ts-cloudphone:33.2", "ts-cloudphone:33.1", "ts-cloudphone:33.3"]


def test_late_interest_no_when_paid_inside_the_grace_and_not_yet_before() -> None:
    # Due 2025-06-30, paid 2025-07-09: the 9th day counted from 7/1, inside the 10 days of 第30条.
    paid = ask_json("late-interest", TS_MONEY, "--contract", "TS-1201", "--at", "2025-07-20")
    assert paid["answer"] == "no" and paid["amount"] == 0 and "not_yet" not in paid
    waiting = ask_json("late-interest", TS_MONEY, "--contract", "TS-1201", "--at", "2025-07-05")
    assert waiting["not_yet"]["from"] == "2025-07-11T00:00:00+09:00"


def test_surcharge_amount_is_the_surcharge_alone() -> None:
    # 2 × 22,440 = 44,880, plus 10% tax (charge of 2025-05-01) = 49,368; the evaded 24,684 is owed besides.
    answer = ask_json("surcharge", SC_MONEY, "--contract", "SC-2201", "--at", "2025-07-10")
    assert answer["answer"] == "yes" and answer["amount"] == 49368
    assert answer["citations"][0] == "smacom:25.1"
