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
    verdict = next(line for line in out.splitlines() if line.startswith("Answer:"))
    assert verdict.startswith("Answer: YES")
    assert "「料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき」" in \
        out.replace("\n    ", "")


def test_japanese_labels() -> None:
    code, out, _ = ask("can-suspend", SMACOM, "--contract", "SC-2001", "--at", "2025-06-10", "--lang", "ja")
    assert code == 0
    assert "回答: まだです — ほかに何も起きなければ、2025-07-01 00:00+09:00 から、当社は利用を停止することがあります" in \
        "".join(out.replace("\n      ", "").split("\n"))


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


def test_can_suspend_hears_of_every_power_that_stops_the_service(tmp_path: Path) -> None:
    # smacom 第36条第2項: stop (中止) at once for an antisocial finding, item 3; not 第17条 at all.
    path = write(tmp_path, '{"contract": "S", "agreement": "smacom", "time": "2025-06-02T10:00", '
                           '"type": "antisocial_finding", "item": 3}')
    answer = ask_json("can-suspend", path, "--contract", "S", "--at", "2025-06-03")
    assert answer["answer"] == "yes"
    assert answer["citations"] == ["smacom:36.2.3", "smacom:36.2"]
    (ruling,) = answer["rulings"]
    assert (ruling["kind"], ruling["term"], ruling["outcome"], ruling["modality"]) == \
        ("interruption", "提供の中止", "may_interrupt", "may")


def test_an_agreement_without_the_text_of_its_antisocial_clause_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "A", "agreement": "abphone", "time": "2025-06-02", "type": "antisocial_finding"}')
    for question in ("can-suspend", "can-terminate"):
        answer = ask_json(question, path, "--contract", "A", "--at", "2025-06-03")
        assert answer["answer"] == "undetermined"
        assert answer["citations"] == ["abphone:unnumbered-1"]
        assert answer["missing"] == ["the wording of abphone:unnumbered-1 in Rev. 1.1 is not in the corpus (abphone's "
                                     "heading 「(反社会的勢力)」 (antisocial forces), after 第11条第2項G) and before 第12条, "
                                     "has no number and no text of its own): whether this ground applies cannot be "
                                     "decided from the terms we hold"]


def test_an_agreement_with_no_antisocial_clause_has_no_ground_for_it(tmp_path: Path) -> None:
    path = write(tmp_path, '{"contract": "T", "agreement": "ts-cloudphone", "time": "2025-06-02", "type": "antisocial_finding"}')
    assert ask_json("can-suspend", path, "--contract", "T", "--at", "2025-06-03")["answer"] == "no"
    assert ask_json("can-terminate", path, "--contract", "T", "--at", "2025-06-03")["answer"] == "no"


def test_surcharges_of_evasions_recorded_apart_add_up_as_rounded_each(tmp_path: Path) -> None:
    # ts-cloudphone: 2 × 3,334 × 1.08 = 7,201.44 → 7,201; 2 × 3,334 × 1.10 = 7,334.8 → 7,334; 14,535.
    # One evasion of both charges would be 14,536.24 → 14,536.
    apart = write(tmp_path,
                  '{"contract": "T", "agreement": "ts-cloudphone", "time": "2020-02-10", "type": "charge_evaded", '
                  '"amount_excluding_tax": 3334, "charge_date": "2019-09-30"}',
                  '{"contract": "T", "time": "2020-02-11", "type": "charge_evaded", "amount_excluding_tax": 3334, '
                  '"charge_date": "2019-10-01"}')
    answer = ask_json("surcharge", apart, "--contract", "T", "--at", "2020-03-01")
    assert (answer["answer"], answer["amount"]) == ("yes", 14535)
    one = tmp_path / "one.jsonl"
    one.write_text('{"contract": "T", "agreement": "ts-cloudphone", "time": "2020-02-10", "type": "charge_evaded", '
                   '"charges": [{"amount_excluding_tax": 3334, "charge_date": "2019-09-30"}, '
                   '{"amount_excluding_tax": 3334, "charge_date": "2019-10-01"}]}\n', "utf-8")
    answer = ask_json("surcharge", str(one), "--contract", "T", "--at", "2020-03-01")
    assert (answer["answer"], answer["amount"]) == ("yes", 14536)


def test_late_interest_on_a_debt_paid_in_parts(tmp_path: Path) -> None:
    # smacom, 6,578 due 2025-06-30; 3,000 paid 06-20 (before the due date: none); 3,578 unpaid as of
    # 2025-08-14: 44 days, 3,578 × 14.5% × 44 ÷ 365 = 62.54… → 62.
    path = write(tmp_path,
                 '{"contract": "S", "agreement": "smacom", "time": "2025-05-31", "type": "invoice", "id": "I1", '
                 '"amount": 6578, "due_date": "2025-06-30"}',
                 '{"contract": "S", "time": "2025-06-20", "type": "payment", "invoice": "I1", "amount": 3000}')
    answer = ask_json("late-interest", path, "--contract", "S", "--at", "2025-08-14T12:00")
    assert (answer["answer"], answer["amount"]) == ("yes", 62)
    assert answer["citations"] == ["smacom:26.1", "smacom:tariff-general.7"]
