"""`kiyaku fmt`: one canonical layout, comments kept, data never changed, --check for CI.

Run on copies in temporary folders only: the repository's own files are formatted once, by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.errors import DefinitionError
from kiyaku.change.fmt import format_text
from kiyaku.yamlio import load_text

ROOT = Path(__file__).resolve().parent.parent

BADLY_LAID_OUT = """\
# A rule file laid out badly: 4-space indent, indented sequences, a flow mapping over two lines.
description:    >
    Money facts every agreement relies on: a due date passing unpaid. Payments are summed per
    invoice by the engine's ledger.
agreements:   [smacom,   ts-cloudphone, abphone]

clocks:
    due_date_passed:   # the day after the due date
        description: "The due date of an invoice has passed (from 00:00 the next day, Asia/Tokyo)."
        on: invoice
        at: {day_after: due_date}

derive:
    invoice_overdue:
        description: 支払期日を経過してもなお支払わない — the due date passed and the invoice was not paid by then, a long line that stays one line however long it gets.
        when:
                # the invoice itself
            -   fact: invoice
            - fact: due_date_passed
              where: {of: $invoice.eid,
                      }
        absent:
              - fact: invoice_paid
                where: {invoice: $invoice.eid}
        keep: {invoice: $invoice.eid}   
        note: |
            # a line of the text, not a comment
            kept as written
# the end
"""

CANONICAL = """\
# A rule file laid out badly: 4-space indent, indented sequences, a flow mapping over two lines.
description: >
  Money facts every agreement relies on: a due date passing unpaid. Payments are summed per
  invoice by the engine's ledger.
agreements: [smacom, ts-cloudphone, abphone]

clocks:
  due_date_passed:     # the day after the due date
    description: "The due date of an invoice has passed (from 00:00 the next day, Asia/Tokyo)."
    on: invoice
    at: {day_after: due_date}

derive:
  invoice_overdue:
    description: 支払期日を経過してもなお支払わない — the due date passed and the invoice was not paid by then, a long line that stays one line however long it gets.
    when:
    # the invoice itself
    - fact: invoice
    - fact: due_date_passed
      where: {of: $invoice.eid}
    absent:
    - fact: invoice_paid
      where: {invoice: $invoice.eid}
    keep: {invoice: $invoice.eid}
    note: |
      # a line of the text, not a comment
      kept as written
# the end
"""


def fmt(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["fmt", "--root", str(repo), *args])
    return result.exit_code, result.output


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "terms").mkdir()
    (tmp_path / "rules" / "shared").mkdir(parents=True)
    shutil.copy(ROOT / "terms" / "law" / "consumption-tax.yaml", tmp_path / "terms" / "tax.yaml")
    (tmp_path / "rules" / "shared" / "payment.yaml").write_text(BADLY_LAID_OUT, "utf-8")
    return tmp_path


def test_check_flags_a_badly_laid_out_file_and_fmt_fixes_it_idempotently(repo: Path) -> None:
    (repo / "terms" / "tax.yaml").write_text(format_text((repo / "terms" / "tax.yaml").read_text("utf-8")), "utf-8")
    rule = repo / "rules" / "shared" / "payment.yaml"
    assert fmt(repo, "--check") == (1, "would reformat rules/shared/payment.yaml\n")
    assert rule.read_text("utf-8") == BADLY_LAID_OUT  # --check changes nothing

    assert fmt(repo) == (0, "reformatted rules/shared/payment.yaml\n")
    assert rule.read_text("utf-8") == CANONICAL
    assert fmt(repo, "--check") == (0, "")
    assert fmt(repo) == (0, "")
    assert format_text(CANONICAL) == CANONICAL
    assert load_text(CANONICAL, "after") == load_text(BADLY_LAID_OUT, "before")


def test_diff_shows_the_change_and_writes_nothing(repo: Path) -> None:
    other = repo / "elsewhere.yaml"
    other.write_text("a:    1\nb: 2\n", "utf-8")
    expected = "--- a/elsewhere.yaml\n+++ b/elsewhere.yaml\n@@ -1,2 +1,2 @@\n-a:    1\n+a: 1\n b: 2\n"
    assert fmt(repo, "--diff", str(other)) == (0, expected)
    assert fmt(repo, "--diff", "--check", str(other)) == (1, expected)
    assert other.read_text("utf-8") == "a:    1\nb: 2\n"
    other.write_text("a: 1\n", "utf-8")
    assert fmt(repo, "--diff", "--check", str(other)) == (0, "")


def test_named_files_only(repo: Path) -> None:
    other = repo / "elsewhere.yaml"
    other.write_text("a:    1\n", "utf-8")
    assert fmt(repo, "--check", str(other)) == (1, "would reformat elsewhere.yaml\n")
    assert fmt(repo, str(other)) == (0, "reformatted elsewhere.yaml\n")
    assert other.read_text("utf-8") == "a: 1\n"


def test_a_file_that_does_not_parse_is_reported_and_left_alone(repo: Path) -> None:
    rule = repo / "rules" / "shared" / "payment.yaml"
    rule.write_text("a: [unclosed\nb: 1\n", "utf-8")
    result = CliRunner().invoke(main, ["fmt", "--root", str(repo), str(rule)])
    assert result.exit_code == 1
    assert result.stderr.startswith("rules/shared/payment.yaml:")
    assert "invalid YAML" in result.stderr
    assert rule.read_text("utf-8") == "a: [unclosed\nb: 1\n"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(DefinitionError, match="duplicate key 'a'"):
        format_text("a: 1\na: 2\n", "dup.yaml")


def test_quotes_dates_and_yes_no_keep_their_meaning() -> None:
    text = 'effective: "2015-01-01"\nrate: "14.6"\nflag: no\nwhen: 2025-06-05T10:00\nn: 755\nlist:\n  - a\n'
    out = format_text(text)
    assert out == 'effective: "2015-01-01"\nrate: "14.6"\nflag: no\nwhen: 2025-06-05T10:00\nn: 755\nlist:\n- a\n'
    assert load_text(out, "out") == load_text(text, "in")


@pytest.mark.parametrize("folder", ["terms", "rules"])
def test_every_repository_file_can_be_laid_out_without_changing_its_data(folder: str) -> None:
    # format_text refuses (DefinitionError) any layout whose data differs from the original's.
    for path in sorted((ROOT / folder).rglob("*.yaml")):
        text = path.read_text("utf-8")
        result = format_text(text, str(path))
        if result != text:
            assert format_text(result, str(path)) == result, f"{path}: not idempotent"
