"""The answer model and its renderings, over every question on every bundled example: the verdict is
unmistakable, nothing false or repeated is said, the default answer fits 80×24, `--lang ja` is
Japanese throughout, and the JSON holds to engine/schemas/answer.json. Figures are worked by hand."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.answers.ask import QUESTIONS, ask
from kiyaku.answers.fit import columns, wrap
from kiyaku.answers.model import Answer
from kiyaku.answers.phrases import CONSEQUENCES
from kiyaku.answers.text import render
from kiyaku.cli import main
from kiyaku.definitions import load
from kiyaku.replay.events import parse_time
from kiyaku.schema import output_validator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*/*.jsonl"))
CITATION = re.compile(r"(?:smacom|ts-cloudphone|abphone):\S*")
# Three or more English words in a row: a sentence left untranslated. (Field names such as
# against_public_order, units such as "10 h 45 min" and ids are not sentences.)
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")


def _contracts() -> list[tuple[Path, str, str]]:
    """Each example contract, asked one day after its last event (every deadline there has run)."""
    out = []
    for path in EXAMPLES:
        last: dict[str, str] = {}
        for line in path.read_text("utf-8").splitlines():
            event = json.loads(line)
            last[event["contract"]] = event["time"]
        out += [(path, contract, (parse_time(t) + timedelta(days=1)).isoformat()) for contract, t in last.items()]
    return out


@pytest.fixture(scope="module")
def answers() -> list[Answer]:
    return [ask(ROOT, q, contract, [path], parse_time(at)) for path, contract, at in _contracts() for q in QUESTIONS]


def _ask(question: str, path: str, contract: str, at: str) -> Answer:
    return ask(ROOT, question, contract, [ROOT / path], parse_time(at))


def test_every_answer_validates_against_the_shipped_schemas(answers: list[Answer]) -> None:
    answer_schema, ruling_schema = output_validator("answer"), output_validator("ruling")
    for a in answers:
        doc = json.loads(json.dumps(a.as_json()))
        assert not list(answer_schema.iter_errors(doc)), (a.question, a.contract)
        for ruling in doc["rulings"]:
            assert not list(ruling_schema.iter_errors(ruling)), ruling["ground"]


def test_the_schemas_refuse_what_breaks_the_contract(answers: list[Answer]) -> None:
    doc = answers[0].as_json()
    schema = output_validator("answer")
    assert list(schema.iter_errors(doc | {"answer": "maybe"}))
    assert list(schema.iter_errors({k: v for k, v in doc.items() if k != "citations"}))
    assert list(schema.iter_errors(doc | {"citations": ["smacom 17.1.1"]}))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_default_answer_fits_80_by_24_and_repeats_nothing(answers: list[Answer], lang: str) -> None:
    for a in answers:
        lines = render(a, lang).splitlines()
        where = f"{a.question} {a.contract} {lang}"
        assert len(lines) <= 24, (where, len(lines))
        assert all(columns(line) <= 80 for line in lines), (where, max(lines, key=columns))
        said = [line.strip() for line in lines if line.strip()]
        assert len(said) == len(set(said)), where
        text = "\n".join(lines)
        for m in a.missing:
            assert text.replace("\n", " ").count(m.text.get(lang)[:40]) <= 1, where


def test_citation_ids_are_never_broken(answers: list[Answer]) -> None:
    terms, _ = load(ROOT)
    for a in answers:
        for lang in ("en", "ja"):
            for line in render(a, lang, width=40).splitlines():
                for found in CITATION.findall(line):
                    cited = found.rstrip("],;:)）」…")
                    assert terms.provision(cited) is not None, (a.question, a.contract, line)


def test_japanese_is_japanese_throughout(answers: list[Answer]) -> None:
    for a in answers:
        for full in (False, True):
            text = render(a, "ja", full=full)
            assert not ENGLISH.findall(text), (a.question, a.contract, ENGLISH.findall(text))


def test_an_undetermined_or_not_yet_answer_never_states_its_ground_as_holding(answers: list[Answer]) -> None:
    _, book = load(ROOT)
    summaries = {g.id: g.summary for g in book.grounds}
    for a in answers:
        text = render(a, "en", width=10_000, full=True)
        for c in a.conditions:
            assert summaries[c.ground] not in text, (a.question, a.contract)
        if a.not_yet:
            assert summaries[a.not_yet.ground] not in text
            assert "NOT YET" in text and "if nothing else happens" in text


def test_every_outcome_the_rules_can_give_has_words() -> None:
    _, book = load(ROOT)
    for g in book.grounds:
        assert (g.kind, g.outcome) in CONSEQUENCES or g.outcome in CONSEQUENCES, g.id


def test_already_suspended_without_notice_says_so_before_advising() -> None:
    # SC-2001: invoice due 2025-06-30 unpaid; suspended 2025-07-03 09:00 with no notice (第17条第2項).
    a = _ask("can-suspend", "examples/smacom/unpaid-and-suspended-without-notice.jsonl", "SC-2001", "2025-07-10")
    assert a.verdict == "yes" and a.why[0].since == "2025-07-01T00:00:00+09:00"
    assert [(s.state, s.since, s.citations) for s in a.state] == [
        ("suspended", "2025-07-03T09:00:00+09:00", ("smacom:17.1.1",)),
        ("notice_duty_not_met", "2025-07-03T09:00:00+09:00", ("smacom:17.2",))]
    notice = a.first[0]
    assert notice.citations == ("smacom:17.2",) and notice.missed_since == "2025-07-03T09:00:00+09:00"
    lines = render(a).splitlines()
    now = next(i for i, line in enumerate(lines) if line.startswith("Now:"))
    assert now < next(i for i, line in enumerate(lines) if line.startswith("Answer: YES"))
    assert "suspended" in lines[now] and "owed and not given" in render(a)


def test_a_new_example_already_suspended_for_a_breach() -> None:
    # TS-1601: breach of 第35条 on 06-02, not remedied; suspended 06-05 under 第23条第1項(1), not in an
    # emergency, with no notice: 第23条第3項 was owed. The breach still holds, so 第17条第1項(2) too.
    path = "examples/ts-cloudphone/suspended-for-breach-without-notice.jsonl"
    a = _ask("can-suspend", path, "TS-1601", "2025-06-10")
    assert a.verdict == "yes" and a.citations[:2] == ("ts-cloudphone:23.1.1", "ts-cloudphone:23.1")
    assert {s.state for s in a.state} == {"suspended", "notice_duty_not_met"}
    assert a.first[0].missed_since == "2025-06-05T09:00:00+09:00"
    t = _ask("can-terminate", path, "TS-1601", "2025-06-10")
    assert t.verdict == "yes" and t.citations[0] == "ts-cloudphone:17.1.2"
    assert t.first[0].citations == ("ts-cloudphone:17.3",) and t.first[0].missed_since is None


def test_undetermined_is_worded_as_a_condition() -> None:
    # AB-3101: against_public_order not recorded; true would allow refusal (第11条第2項G)), false
    # leaves the duty to accept in the order received (第11条第1項).
    a = _ask("can-refuse", "examples/abphone/acceptance-public-order-unrecorded.jsonl", "AB-3101", "2025-07-10")
    assert a.verdict == "undetermined" and len(a.missing) == 1
    assert [(c.outcome, c.missing[0].field, c.missing[0].holds_if) for c in a.conditions] == [
        ("may_refuse", "against_public_order", True), ("must_accept", "against_public_order", False)]
    text = render(a)
    assert "if against_public_order recorded true on the application event: the provider may refuse" in \
        " ".join(text.split())
    assert "The provider judges" not in text
    ja = render(a, "ja")
    assert "against_public_orderをtrueと記録すると、当社は申込みを承諾しないことがあります" in "".join(ja.split())


def test_a_new_example_undetermined_on_a_change_of_details() -> None:
    a = _ask("can-suspend", "examples/smacom/change-of-details-unreported.jsonl", "SC-2601", "2025-07-01")
    assert a.verdict == "undetermined" and a.citations[0] == "smacom:17.1.4"
    assert a.conditions[0].missing[0].holds_if is False
    assert a.missing[0].text.ja.startswith("届け出た情報の変更を速やかに当社に届け出たかどうか")


def test_not_yet_is_honest_about_now() -> None:
    # TS-1201: learned of at 09:30; at 16:30 it has lasted 7 h of the 8 (第33条第1項): nothing is owed
    # yet; from 17:30, if it goes on, the provider is liable up to the cap.
    a = _ask("liability", "examples/ts-cloudphone/money-outage-and-late-payment.jsonl", "TS-1201", "2025-07-08T16:30")
    assert a.verdict == "no" and a.amount == 0 and a.not_yet.at == "2025-07-08T17:30:00+09:00"
    text = render(a)
    assert "7 < 8" in text and "= 8" not in text and "nothing owed yet" in text
    assert "lasted the threshold" not in text
    assert a.as_json()["not_yet"]["from"] == "2025-07-08T17:30:00+09:00"


def test_a_new_example_with_an_outage_still_going() -> None:
    # AB-3601: abphone's threshold is 12 hours (第33条第1項). At 20:00, 11 h: not yet, from 21:00.
    path = "examples/abphone/outage-still-going.jsonl"
    a = _ask("liability", path, "AB-3601", "2025-07-01T20:00")
    assert a.not_yet.at == "2025-07-01T21:00:00+09:00" and a.amount == 0
    assert a.state[0].state == "outage" and a.state[0].since == "2025-07-01T09:00:00+09:00"
    # At 10:00 the next day, still unusable: 25 h, two 24-hour periods begun (decision 1);
    # 10,000 ÷ 31 × 2 = 645.16…, rounded up by abphone's rule: 646 yen.
    b = _ask("liability", path, "AB-3601", "2025-07-02T10:00")
    assert b.verdict == "yes" and b.amount == 646


def test_a_bare_no_says_what_each_ground_lacks() -> None:
    a = _ask("can-terminate", "examples/smacom/acceptance-option-without-identity-documents.jsonl", "SC-2101",
             "2025-07-10")
    assert a.verdict == "no" and not a.not_yet
    assert [n.citations[0] for n in a.why_not][:3] == ["smacom:10.1", "smacom:12.1", "smacom:13.1"]
    text = render(a)
    # The grounds of 第36条第2項 are looked at only for a contract with an antisocial finding.
    assert "smacom:10.1: the voice contract ended" in text and "smacom:13-2.1" in text and "smacom:36.2" not in text
    assert "音声契約の終了" in render(a, "ja")
    # No outage recorded: no ground of liability was looked at, and the answer says what they look for.
    none = _ask("liability", "examples/smacom/termination-suspended-then-terminated-without-notice.jsonl", "SC-2401",
                "2025-07-09")
    assert none.verdict == "no" and none.amount == 0 and none.rulings == () and none.none_recorded == ("outage",)
    assert "(outage)" in render(none)


def test_full_prints_every_clause_in_full() -> None:
    a = _ask("can-suspend", "examples/smacom/unpaid-and-suspended-without-notice.jsonl", "SC-2001", "2025-07-10")
    full = "".join(render(a, full=True).split())
    assert "(5)前各号のほか、本規約及び料金表の規定に反する行為であって" in full
    assert "(5)前各号のほか" not in "".join(render(a).split())


def test_wrap_counts_wide_characters_as_two_columns_and_keeps_ids_whole() -> None:
    lines = wrap("利用停止 " * 10 + "see ts-cloudphone:23.1.1 now", 30, "  ")
    assert all(columns(line) <= 30 for line in lines)
    assert any("ts-cloudphone:23.1.1" in line for line in lines)
    assert not any(line.rstrip().endswith(("「", "（")) or line.lstrip().startswith(("。", "、", "」")) for line in
                   wrap("「" + "あ" * 40 + "」。、", 20))
    assert wrap("bell\x07 and escape\x1b[2J", 80) == ["bell\\u0007 and escape\\u001b[2J"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["ask", *args])
    return result.exit_code, result.stdout


@pytest.mark.parametrize("args, status", [
    (["can-suspend", "examples/smacom/unpaid-and-suspended-without-notice.jsonl", "--contract", "SC-2001",
      "--at", "2025-07-10"], 0),
    (["can-suspend", "examples/smacom/unpaid-and-suspended-without-notice.jsonl", "--contract", "SC-2001",
      "--at", "2025-06-10"], 1),
    (["can-refuse", "examples/abphone/acceptance-public-order-unrecorded.jsonl", "--contract", "AB-3101",
      "--at", "2025-07-10"], 3),
    (["can-refuse", "examples/abphone/acceptance-public-order-unrecorded.jsonl", "--contract", "NOPE"], 2),
])
def test_exit_status_is_opt_in(args: list[str], status: int) -> None:
    paths = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    assert run(*paths, "--exit-status")[0] == status
    assert run(*paths)[0] == (2 if status == 2 else 0)


def test_json_keeps_the_spec_fields_and_the_text_follows_width() -> None:
    path = str(ROOT / "examples/ts-cloudphone/money-outage-and-late-payment.jsonl")
    code, out = run("liability", path, "--contract", "TS-1201", "--at", "2025-07-10", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["answer"] == "yes" and doc["amount"] == 967
    assert {"answer", "amount", "citations", "rulings", "missing", "requires"} <= set(doc)
    code, out = run("liability", path, "--contract", "TS-1201", "--at", "2025-07-10", "--width", "60")
    assert max(columns(line) for line in out.splitlines()) <= 60


def test_not_yet_late_interest_does_not_say_the_debt_was_paid() -> None:
    # TS-1201: ¥33,000 due 2025-06-30, unpaid on 07-05: day 5 of the 10 of 第30条; interest would run
    # from 07-11 if it stays unpaid. Nothing has been paid, so nothing may say it was.
    a = _ask("late-interest", "examples/ts-cloudphone/money-outage-and-late-payment.jsonl", "TS-1201", "2025-07-05")
    assert a.not_yet.at == "2025-07-11T00:00:00+09:00" and a.amount == 0
    text = " ".join(render(a).split())
    assert "still within 10 days counted from the day after the due date (unpaid so far): 5 ≤ 10" in text
    assert "paid within" not in text
