"""The lint step of `kiyaku check`: warnings with file:line, exit 0 unless --strict.

Each test builds its own small rules/ beside a copy of the repository's terms/, so that the rules
other people are writing do not move what these tests see."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.cli import main

ROOT = Path(__file__).resolve().parent.parent

RULES = """\
description: Rules written for the lint tests.
agreements: [smacom]

clocks:
  deadline_passed:
    description: A deadline counted in days has passed.
    on: invoice
    at: {day_after: due_date, days: lint_test.used_days}

derive:
  overdue_for_lint:
    description: An invoice unpaid at the deadline.
    when:
      - fact: invoice
      - fact: deadline_passed
        where: {of: $invoice.eid}
    keep: {invoice: $invoice.eid}

grounds:
  unpaid:
    kind: suspension
    outcome: may_suspend
    modality: may
    summary: Unpaid.
    requires: an invoice unpaid
    summary_ja: 要約
    requires_ja: 要件
    cites: {smacom: [smacom:17.1.1, smacom:17.1]}
    when:
      - fact: overdue_for_lint
"""

BROKEN = """\
description: Rules that cannot be what their author meant.
agreements: [ts-cloudphone]

grounds:
  uses_a_smacom_fact:
    kind: suspension
    outcome: may_suspend
    modality: may
    summary: Relies on a derivation written for smacom only.
    requires: an overdue invoice
    summary_ja: 要約
    requires_ja: 要件
    cites: {ts-cloudphone: [ts-cloudphone:23.2]}
    when:
      - fact: overdue_for_lint

  impossible_tests:
    kind: notice
    outcome: notice_missing
    modality: shall
    summary: Tests the vocabulary rules out.
    requires: nothing possible
    summary_ja: 要約
    requires_ja: 要件
    cites: {ts-cloudphone: [ts-cloudphone:23.3]}
    when:
      - fact: notice_sent
        where: {about: {in: [suspension, holidays]}, colour: red, states_reason: {gt: 1}}
      - fact: insolvency
        where: {kind: {matches: "liquidation.*"}, known_to_provider: $notice_sent.shade}
    absent:
      - fact: breach
        where: {significant_hindrance: "yes"}
    unknown:
      notice_sent.colour: what colour
      notice_sent.states_reason: whether the reason was stated
      insolvency.known_to_provider: whether the provider knew
    unknown_ja:
      notice_sent.colour: 色
      notice_sent.states_reason: 理由
      insolvency.known_to_provider: 知ったか
    unrecorded:
      breach.significant_hindrance: not known to hinder
"""

PARAMETERS = """
  lint_test.used_days:
    description: Named by a clock of the lint tests.
    unit: days
    reference: smacom:26.1
    values:
      "2025-04-01": 10

  lint_test.unused_days:
    description: Named by nothing.
    unit: days
    reference: smacom:26.1
    values:
      "2025-04-01": 10
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "terms", tmp_path / "terms")
    with (tmp_path / "terms" / "smacom" / "parameters.yaml").open("a", encoding="utf-8") as f:
        f.write(PARAMETERS)
    (tmp_path / "rules" / "smacom").mkdir(parents=True)
    (tmp_path / "rules" / "smacom" / "lint.yaml").write_text(RULES, "utf-8")
    return tmp_path


def check(repo: Path, *args: str) -> tuple[int, list[str]]:
    """Exit code and findings; the closing line naming the repository checked is asserted and left out."""
    result = CliRunner().invoke(main, ["check", "--root", str(repo), *args])
    lines = [line for line in result.output.splitlines() if line]
    if lines:
        assert lines.pop() == f"terms and rules: {repo.resolve()} (--root)"
    return result.exit_code, lines


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def test_warnings_are_located_and_fail_only_with_strict(repo: Path) -> None:
    broken = repo / "rules" / "ts-cloudphone" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text(BROKEN, "utf-8")
    code, out = check(repo)
    assert code == 0
    assert all(": warning: " in line for line in out)
    ground = line_of(broken, "uses_a_smacom_fact:")
    assert (f"rules/ts-cloudphone/broken.yaml:{ground}: warning: ground ts-cloudphone.broken.uses_a_smacom_fact "
            "can never fire for ts-cloudphone: its `when` needs overdue_for_lint, which nothing produces for it "
            "(overdue_for_lint is produced for smacom only) [never-fires]") in out
    impossible = line_of(broken, "impossible_tests:")
    mine = [line.split(": warning: ", 1)[1] for line in out
            if line.startswith(f"rules/ts-cloudphone/broken.yaml:{impossible}:")]
    prefix = "ground ts-cloudphone.broken.impossible_tests, "
    assert sorted(m.split(" (see docs")[0] for m in mine) == sorted([
        prefix + "absent breach: significant_hindrance is never 'yes' (breach.significant_hindrance is true or "
        "false), so the fact always counts as absent",
        prefix + "when insolvency: $notice_sent.shade names a field notice_sent does not have (its fields: about, "
        "eid, ground, period_months, states_date, states_period, states_reason, time), so the rule can never fire",
        prefix + "when insolvency: kind never matches 'liquidation.*' (it is one of bankruptcy, civil_rehabilitation, "
        "corporate_reorganisation, suspension_of_payments, suspension_of_bank_transactions, similar), so the rule "
        "can never fire",
        prefix + "when notice_sent: about is never 'holidays' (notice_sent.about is one of suspension, termination, "
        "interruption, discontinuation), so the rule can never fire",
        prefix + "when notice_sent: notice_sent has no field 'colour' (its fields: about, eid, ground, period_months, "
        "states_date, states_period, states_reason, time), so the rule can never fire",
        prefix + "when notice_sent: states_reason is compared with gt but is not a number (true or false), so the "
        "rule can never fire",
    ])
    assert check(repo, "--strict")[0] == 1


def test_uncited_provisions_of_covered_kinds(repo: Path) -> None:
    _, out = check(repo)
    provisions = repo / "terms" / "smacom" / "provisions.yaml"
    uncited = {line.split(": warning: ", 1)[1].split(" ", 1)[0]: line for line in out if line.endswith("[uncited]")}
    # smacom 第17条 is cited only at 第1項第1号: its other paragraphs and items are reported, each once
    assert {"smacom:17.1.2", "smacom:17.2", "smacom:17.3"} <= set(uncited)
    assert not {"smacom:17", "smacom:17.1", "smacom:17.1.1"} & set(uncited)
    assert uncited["smacom:17.3"] == (
        f"terms/smacom/provisions.yaml:{line_of(provisions, 'id: smacom:17.3')}: warning: smacom:17.3 第17条第3項 is a "
        "suspension provision no rule cites (cite it in a rule, or exempt it in engine/coverage.yaml with the "
        "reason) [uncited]")
    # a whole article no rule cites is one warning, not one per paragraph
    assert "smacom:26" in uncited and "smacom:26.1" not in uncited
    assert "第26条（延滞利息） is a late interest provision" in uncited["smacom:26"]
    # articles of kinds the product does not cover are not reported
    assert "smacom:1" not in uncited and "smacom:38" not in uncited


def test_unused_parameters(repo: Path) -> None:
    _, out = check(repo)
    params = repo / "terms" / "smacom" / "parameters.yaml"
    unused = [line for line in out if line.endswith("[unused-parameter]")]
    assert (f"terms/smacom/parameters.yaml:{line_of(params, 'lint_test.unused_days:')}: warning: parameter "
            "lint_test.unused_days of smacom is used by no rule and no calculator (name it where it is used, or "
            "remove it) [unused-parameter]") in unused
    assert not [line for line in unused if "lint_test.used_days" in line]
    # named by the engine's own code (the money calculators), so used
    assert not [line for line in unused if " rounding of " in line]

