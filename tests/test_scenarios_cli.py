"""`kiyaku test` and kiyaku.change.scenarios: a failing case fails with a readable difference, an event
that cannot be evaluated is an ERROR, JUnit XML records both, the selectors and comparisons work."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.errors import DefinitionError
from kiyaku.change.scenarios import Expectation, check, load_suite

ROOT = Path(__file__).resolve().parent.parent

TS_DEMAND = """\
  events:
    - {contract: TS-1, agreement: ts-cloudphone, time: "2025-04-01", type: service_started}
    - {contract: TS-1, time: "2025-05-01", type: invoice, id: I1, amount: 11000, due_date: "2025-05-31"}
    - {contract: TS-1, time: "2025-06-05T10:00", type: payment_demand, invoice: I1}
"""

PASSING = f"""\
- name: ts-cloudphone may suspend after a payment demand, matched by ground
  as_of: "2025-06-10"
{TS_DEMAND}  expect:
    - {{ground: shared.suspension.unpaid_after_demand, outcome: may_suspend, modality: may,
       citations: [ts-cloudphone:23.2], at: "2025-06-05T10:00", amount: null, period: {{until: until the charges are paid}}}}

- name: The same ruling matched by kind and citation, and a ground of another agreement is absent
  as_of: "2025-06-10"
{TS_DEMAND}  expect:
    - {{kind: suspension, citation: ts-cloudphone:23.2, outcome: may_suspend, at: "2025-06-05T01:00:00Z"}}
    - {{ground: smacom.suspension.unpaid_after_due_date, absent: true}}
"""

FAILING = f"""\
- name: A case that expects the wrong outcome fails
  as_of: "2025-06-10"
{TS_DEMAND}  expect:
    - {{ground: shared.suspension.unpaid_after_demand, outcome: not_grounds, citations: [ts-cloudphone:23.2]}}

- name: A case whose event cannot be read is an error
  events:
    - {{contract: TS-2, agreement: ts-cloudphone, time: "2025-04-01", type: service_begun}}
  expect:
    - {{ground: shared.suspension.unpaid_after_demand, outcome: not_grounds}}
"""


def run(*args: str) -> tuple[int, str]:
    """Exit code and standard output; standard error names the terms repository, and nothing else."""
    result = CliRunner().invoke(main, ["test", "--root", str(ROOT), *args])
    assert result.stderr == f"terms and rules: {ROOT} (--root)\n"
    return result.exit_code, result.stdout


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def test_passing_cases_print_only_the_tally(tmp_path: Path) -> None:
    path = tmp_path / "pass.yaml"
    path.write_text(PASSING, "utf-8")
    assert run(str(path)) == (0, "PASS: 2/2  FAIL: 0  ERROR: 0\n")


def test_a_failing_case_fails_with_the_difference_and_junit_records_it(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(PASSING + "\n" + FAILING, "utf-8")
    junit = tmp_path / "out" / "junit.xml"
    code, out = run(str(path), "--junit", str(junit))
    assert code == 1
    assert out.splitlines()[-1] == "PASS: 2/4  FAIL: 1  ERROR: 1"
    fail_line = line_of(path, "expects the wrong outcome")
    expect_line = line_of(path, "outcome: not_grounds, citations")
    bad_event = line_of(path, "service_begun")
    assert f"FAIL {path}:{fail_line}: A case that expects the wrong outcome fails\n" \
           "  as of 2025-06-10T00:00:00+09:00 (the case's as_of)\n" \
           "  (- expected, + actual)\n" \
           f"  expect (line {expect_line}) ground shared.suspension.unpaid_after_demand of TS-1\n" \
           "    - outcome: not_grounds\n" \
           "    + outcome: may_suspend\n" in out
    assert re.search(rf"ERROR {re.escape(str(path))}:\d+: A case whose event cannot be read is an error\n"
                     r"  as of each contract's last event \(the case gives no as_of\)\n"
                     rf"  {re.escape(str(path))}:{bad_event}: field type: unknown event type 'service_begun'", out)

    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failure = cases["A case that expects the wrong outcome fails"].find("failure")
    assert failure is not None and "- outcome: not_grounds\n    + outcome: may_suspend" in failure.text
    assert cases["A case whose event cannot be read is an error"].find("error") is not None
    assert cases["ts-cloudphone may suspend after a payment demand, matched by ground"].find("failure") is None
    assert [p.name for p in junit.parent.iterdir()] == ["junit.xml"]  # no temporary file left behind


def test_json_gives_each_case_and_the_counts(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(PASSING + "\n" + FAILING, "utf-8")
    result = CliRunner().invoke(main, ["test", "--root", str(ROOT), str(path), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["counts"]) == (False, {"pass": 2, "total": 4, "fail": 1, "error": 1})
    assert report["root"] == {"path": str(ROOT), "origin": "--root"}
    failed = next(c for c in report["cases"] if c["status"] == "fail")
    assert (failed["name"], failed["as_of"]) == ("A case that expects the wrong outcome fails",
                                                 "2025-06-10T00:00:00+09:00")
    assert failed["failures"][0]["difference"] == ["- outcome: not_grounds", "+ outcome: may_suspend"]
    error = next(c for c in report["cases"] if c["status"] == "error")
    assert error["as_of"] is None and "unknown event type 'service_begun'" in error["errors"][0]
    path.write_text(PASSING, "utf-8")
    result = CliRunner().invoke(main, ["test", "--root", str(ROOT), str(path), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True


def test_only_named_cases_run_with_k(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(PASSING + "\n" + FAILING, "utf-8")
    assert run(str(path), "-k", "kind and citation") == (0, "PASS: 1/1  FAIL: 0  ERROR: 0\n")


def test_a_scenario_file_that_does_not_load_is_located(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(PASSING.replace("absent: true", "absent: true, outcom: not_grounds"), "utf-8")
    code, out = run(str(path), "--junit", str(tmp_path / "j.xml"))
    assert code == 1
    line = line_of(path, "outcom: not_grounds")
    assert f"{path}:{line}: 1/expect/1: unknown field 'outcom'" in out
    assert out.splitlines()[-1] == "PASS: 0/0  FAIL: 0  ERROR: 1"
    assert ET.parse(tmp_path / "j.xml").getroot().get("errors") == "1"


def test_the_repository_scenarios_run_by_default() -> None:
    code, out = run("-k", "smacom may suspend as soon as the due date passes unpaid")
    assert (code, out) == (0, "PASS: 1/1  FAIL: 0  ERROR: 0\n")


def test_duplicate_names_and_absent_with_fields_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(PASSING + PASSING.split("\n\n")[0] + "\n", "utf-8")
    with pytest.raises(DefinitionError, match="duplicate case name"):
        load_suite(path, "dup.yaml")
    path.write_text(PASSING.replace("absent: true", "absent: true, outcome: not_grounds"), "utf-8")
    with pytest.raises(DefinitionError, match="absent: true expects no ruling, so it cannot also check outcome"):
        load_suite(path, "absent.yaml")


# --- selectors and comparisons, without evaluating -------------------------------------------------

RULINGS = [
    {"contract": "C", "ground": "g.a", "kind": "suspension", "outcome": "may_suspend", "modality": "may",
     "at": "2025-06-05T10:00:00+09:00", "amount": None, "citations": ["x:23.1.1", "x:23.1"],
     "period": {"max_months": 6, "until": "paid"}, "missing": []},
    {"contract": "C", "ground": "g.b", "kind": "suspension", "outcome": "not_grounds", "modality": "may",
     "at": "2025-06-10T00:00:00+09:00", "amount": None, "citations": ["x:23.1.2", "x:23.1"], "missing": []},
    {"contract": "C", "ground": "g.c", "kind": "surcharge", "outcome": "owed", "modality": "shall",
     "at": "2025-06-10T00:00:00+09:00", "amount": 55000, "citations": ["x:29.1"],
     "missing": ["whether the change was reported promptly"]},
]


def expect(**fields) -> Expectation:
    by_ground = "ground" in fields
    select = {k: fields.pop(k) for k in ("ground", "kind", "citation", "contract") if k in fields
              and not (k == "kind" and by_ground)}
    absent = fields.pop("absent", False)
    return Expectation(1, select, fields, absent)


def test_selectors_and_comparisons() -> None:
    assert check(expect(kind="suspension", citation="x:23.1.1", outcome="may_suspend"), RULINGS) is None
    # a citation shared by two rulings picks the one it is most specific to, or is ambiguous
    assert isinstance(check(expect(kind="suspension", citation="x:23.1"), RULINGS), str)
    assert check(expect(kind="surcharge", amount=55000), RULINGS) is None
    assert check(expect(kind="surcharge", amount=5500), RULINGS).lines == ["- amount: 5500", "+ amount: 55000"]
    assert check(expect(ground="g.a", at="2025-06-05T01:00Z", period={"max_months": 6}), RULINGS) is None
    assert check(expect(ground="g.a", period={"max_months": 3}), RULINGS) is not None
    assert check(expect(ground="g.c", missing="reported promptly"), RULINGS) is None
    assert check(expect(ground="g.c", missing=["reported promptly"]), RULINGS) is not None
    assert check(expect(ground="g.z", absent=True), RULINGS) is None
    assert check(expect(ground="g.a", absent=True), RULINGS).lines[0] == "- no such ruling"
    missing = check(expect(ground="g.aa"), RULINGS)
    assert missing.lines[2].startswith("    nearest grounds: g.a")
    assert check(expect(ground="g.a", contract="D"), RULINGS).lines[:2] == ["- a matching ruling", "+ none"]
    assert check(expect(ground="g.a", kind="surcharge"), RULINGS).lines == ["- kind: surcharge", "+ kind: suspension"]


def test_commands_have_help_and_the_readme_names_them() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in ("test", "diff", "fmt", "check"):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output
        assert f"kiyaku {name}" in readme
