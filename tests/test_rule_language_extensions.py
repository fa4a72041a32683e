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

    assert _value("time", {"lte": "$notice.time"}) == {"$lte": {"t": {"notice": "t"}}}
    assert _value("of", "$notice.eid") == {"of": {"notice": "eid"}}
