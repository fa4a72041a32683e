"""Rule-language features the termination rules brought: a ground serving some of its file's
agreements, clocks counted back from a date (「N日前までに」) and tests on a fact's time. The rulings
they give are in tests/scenarios/termination.yaml; these tests cover the language itself."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kiyaku.errors import DefinitionError
from kiyaku.replay.events import TOKYO
from kiyaku.replay.evaluator import Fact, due_time
from kiyaku.rules.compiler import compile_rules
from kiyaku.rules.loader import load_rules
from kiyaku.rules.model import Clock, RuleBook
from kiyaku.terms import Terms

SHARED_HEAD = """description: test
agreements: [ts-cloudphone, abphone]
grounds:
"""

NARROWED = """  written_notice:
    agreements: [ts-cloudphone]
    kind: termination
    outcome: ends_by_notice
    modality: shall
    summary: s
    requires: r
    summary_ja: 要約
    requires_ja: 要件
    cites: {ts-cloudphone: [ts-cloudphone:16.1]}
    when:
      - fact: cancellation
        where: {written: true}
    unknown:
      cancellation.written: whether the notice was written
    unknown_ja:
      cancellation.written: 書面か
"""


def load(tmp_path: Path, terms: Terms, text: str) -> RuleBook:
    folder = tmp_path / "rules" / "shared"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(text, "utf-8")
    return load_rules(tmp_path / "rules", terms)


def messages(tmp_path: Path, terms: Terms, text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, terms, text)
    return [f.message for f in caught.value.findings]


def test_a_ground_may_serve_only_some_of_its_files_agreements(tmp_path: Path, terms: Terms) -> None:
    book = load(tmp_path, terms, SHARED_HEAD + NARROWED)
    assert [g.agreements for g in book.grounds] == [("ts-cloudphone",)]
    assert book.for_agreement("abphone").grounds == []
    assert "start|shared.t.written_notice" in compile_rules(book, "ts-cloudphone")[0]


def test_a_ground_cannot_serve_an_agreement_its_file_does_not(tmp_path: Path, terms: Terms) -> None:
    text = SHARED_HEAD + NARROWED.replace("agreements: [ts-cloudphone]", "agreements: [smacom]") \
        .replace("{ts-cloudphone: [ts-cloudphone:16.1]}", "{smacom: [smacom:12.1]}")
    assert "ground written_notice serves smacom, which the file does not" in messages(tmp_path, terms, text)


def test_a_ground_cannot_cite_an_agreement_it_does_not_serve(tmp_path: Path, terms: Terms) -> None:
    text = SHARED_HEAD + NARROWED.replace("{ts-cloudphone: [ts-cloudphone:16.1]}",
                                          "{ts-cloudphone: [ts-cloudphone:16.1], abphone: [abphone:16.1]}")
    assert "ground written_notice cites abphone, which it does not serve" in messages(tmp_path, terms, text)


def test_a_clock_counted_back_needs_its_number_of_days(tmp_path: Path, terms: Terms) -> None:
    text = """description: test
agreements: [smacom]
clocks:
  deadline:
    description: d
    on: discontinuation_announced
    at: {days_before: effective_date}
"""
    assert "clock deadline: days_before needs days" in messages(tmp_path, terms, text)


def test_a_derivation_keeps_at_most_sixteen_fields(tmp_path: Path, terms: Terms) -> None:
    # what a derivation keeps travels with its fact through durable_rules, whose messages have few
    # property slots in kiyaku's build (vendor/durable_rules): rules.json caps it
    kept = ", ".join(f"f{k}: $invoice.eid" for k in range(17))
    text = f"""description: test
agreements: [smacom]
derive:
  wide:
    description: d
    when:
    - fact: invoice
    keep: {{{kept}}}
"""
    found = messages(tmp_path, terms, text)
    assert "derive/wide/keep: 17 fields, more than the 16 allowed" in found
    assert load(tmp_path / "ok", terms, text.replace(", f16: $invoice.eid", "")).derivations[0].keep["f15"] == "$invoice.eid"


def deadline(terms: Terms, notified: str, effective: str) -> datetime | None:
    clock = Clock("smacom.t.deadline", "d", "discontinuation_announced",
                  {"days_before": "effective_date", "days": "discontinuation.notice_days"}, ("smacom",), "t", 1)
    fact = Fact(0, "discontinuation_announced", datetime.fromisoformat(notified).replace(tzinfo=TOKYO),
                {"effective_date": effective, "eid": "D"})
    return due_time(clock, fact, terms.agreements["smacom"])


def test_days_before_comes_due_at_the_start_of_the_whole_days_before_the_date(terms: Terms) -> None:
    # 90 whole days before 2025-10-01 are 2025-07-03 .. 2025-09-30 (29 + 31 + 30).
    assert deadline(terms, "2025-06-01T09:00", "2025-10-01") == datetime(2025, 7, 3, tzinfo=TOKYO)


def test_days_before_needs_the_parameter_in_force_when_the_clock_starts(terms: Terms) -> None:
    # smacom's parameters start with its 2025-04-01 version; an earlier notice has no number of days.
    assert deadline(terms, "2025-03-01T09:00", "2025-10-01") is None


def test_time_names_every_facts_time() -> None:
    from kiyaku.rules.compiler import _value

    assert _value("time", {"lte": "$notice.time"}, {}) == {"$lte": {"t": {"notice": "t"}}}
    assert _value("of", "$notice.eid", {}) == {"of": {"notice": "eid"}}


# --- three values: a test of an optional field must say what an unrecorded value means -------------

UNSAID = SHARED_HEAD + """  emergency_suspension:
    kind: notice
    outcome: notice_missing
    modality: shall
    summary: s
    requires: r
    summary_ja: 要約
    requires_ja: 要件
    cites: {ts-cloudphone: [ts-cloudphone:23.3], abphone: [abphone:23.3]}
    when:
      - fact: suspension_started
        where: {ground: {matches: "ts-cloudphone:23.*"}, emergency: {ne: true}}
    absent:
      - fact: notice_sent
        where: {about: suspension, states_reason: true}
"""


def test_an_optional_field_tested_without_saying_what_unrecorded_means_is_refused(tmp_path: Path, terms: Terms) -> None:
    found = messages(tmp_path, terms, UNSAID)
    assert ("ground emergency_suspension: when suspension_started tests emergency, which events may leave "
            "unrecorded, without saying what an unrecorded value means") in found
    assert ("ground emergency_suspension: absent notice_sent tests states_reason, which events may leave "
            "unrecorded, without saying what an unrecorded value means") in found
    # Required fields (ground, about) need nothing said.
    assert len(found) == 2


def test_unknown_or_unrecorded_says_it(tmp_path: Path, terms: Terms) -> None:
    said = UNSAID + """    unknown:
      suspension_started.emergency: whether it was an emergency
    unknown_ja:
      suspension_started.emergency: 緊急か
    unrecorded:
      notice_sent.states_reason: a reason not recorded is not taken as stated
"""
    book = load(tmp_path, terms, said)
    assert book.grounds[0].unrecorded == {"notice_sent.states_reason": "a reason not recorded is not taken as stated"}


# --- parameters in where-tests ------------------------------------------------------------------------

OVER = SHARED_HEAD + """  too_long:
    kind: suspension_period
    outcome: period_exceeds_maximum
    modality: shall_not
    summary: s
    requires: r
    summary_ja: 要約
    requires_ja: 要件
    cites: {ts-cloudphone: [ts-cloudphone:23.1], abphone: [abphone:23.1]}
    when:
      - fact: suspension_started
        where: {period_months: {gt: {param: suspension.max_months}}}
    unknown:
      suspension_started.period_months: the period
    unknown_ja:
      suspension_started.period_months: 期間
"""


def test_a_where_test_compares_with_the_parameter_in_force_at_the_facts_time(tmp_path: Path, terms: Terms) -> None:
    book = load(tmp_path, terms, OVER)
    rules, _ = compile_rules(book, "abphone")
    # abphone's 6 months hold from Rev. 1.0, 2015-01-01 00:00 Asia/Tokyo; before it nothing holds.
    start = int(datetime(2015, 1, 1, tzinfo=TOKYO).timestamp())
    condition = rules["start|shared.t.too_long"]["all"][0]["suspension_started"]
    assert condition == {"$and": [{"type": "suspension_started"}, {"$or": [
        {"$lt": {"t": start}},  # no text held then: let through, to be judged undetermined
        {"$and": [{"$gte": {"t": start}}, {"$gt": {"period_months": 6}}]}]}]}


def test_a_where_test_cannot_name_a_parameter_the_agreement_lacks(tmp_path: Path, terms: Terms) -> None:
    found = messages(tmp_path, terms, OVER.replace("suspension.max_months", "suspension.min_months"))
    assert "unknown parameter suspension.min_months for ts-cloudphone" in found


def test_windows_of_a_parameter_with_several_values() -> None:
    from kiyaku.rules.compiler import _value

    windows = {"p": ((100, 6), (200, 3))}
    assert _value("n", {"gt": {"param": "p"}}, windows) == {"$or": [
        {"$lt": {"t": 100}},
        {"$and": [{"$gte": {"t": 100}}, {"$lt": {"t": 200}}, {"$gt": {"n": 6}}]},
        {"$and": [{"$gte": {"t": 200}}, {"$gt": {"n": 3}}]}]}


# --- a fact not recorded at all -----------------------------------------------------------------------

def test_an_unknown_fact_may_not_be_compared_with(tmp_path: Path, terms: Terms) -> None:
    text = """description: test
agreements: [smacom]
grounds:
  deposit:
    kind: suspension
    outcome: may_suspend
    modality: may
    summary: s
    requires: r
    summary_ja: 要約
    requires_ja: 要件
    cites: {smacom: [smacom:17.1.3]}
    when:
      - fact: contractor
        where: {kind: other}
      - fact: deposit_requested
        where: {id: $contractor.eid}
    unknown:
      contractor: the kind of contractor
    unknown_ja:
      contractor: 契約者の種別
"""
    assert "ground deposit: unknown contractor is compared with by deposit_requested" in messages(tmp_path, terms, text)


# --- a clock counting months the event gives ----------------------------------------------------------

def test_a_clock_of_months_the_event_gives(terms: Terms) -> None:
    clock = Clock("shared.t.ran_out", "d", "suspension_started", {"months_of": "period_months"}, ("abphone",), "t", 1)
    started = datetime(2025, 8, 31, 9, tzinfo=TOKYO)
    fact = Fact(0, "suspension_started", started, {"period_months": 6, "eid": "S"})
    # Six months on from 2025-08-31: February has no 31st, so its last day.
    assert due_time(clock, fact, terms.agreements["abphone"]) == datetime(2026, 2, 28, 9, tzinfo=TOKYO)
    without = Fact(0, "suspension_started", started, {"eid": "S"})
    assert due_time(clock, without, terms.agreements["abphone"]) is None


def test_cites_from_names_a_citation_field_of_a_when_event(tmp_path: Path, terms: Terms) -> None:
    text = SHARED_HEAD + NARROWED + "    cites_from: [cancellation.written]\n"
    assert ("ground written_notice: cites_from cancellation.written is not a citation field of a `when` event"
            in messages(tmp_path, terms, text))
