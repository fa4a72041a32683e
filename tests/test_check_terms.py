"""`kiyaku check` on broken copies of terms/: one clear message with file and line, exit 1."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "terms", tmp_path / "terms")
    (tmp_path / "rules").mkdir()
    return tmp_path


def check(repo: Path) -> tuple[int, list[str]]:
    """Exit code and findings; the closing line naming the repository checked is asserted and left out."""
    result = CliRunner().invoke(main, ["check", "--root", str(repo)])
    lines = [line for line in result.output.splitlines() if line]
    if lines:
        assert lines.pop() == f"terms and rules: {repo.resolve()} (--root)"
    return result.exit_code, lines


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + text, "utf-8")


def test_the_repository_terms_are_clean() -> None:
    # Silent and exit 0, lint included: `check --strict` passes on an untouched clone.
    assert check(ROOT) == (0, [])
    assert CliRunner().invoke(main, ["check", "--strict", "--root", str(ROOT)]).exit_code == 0


@pytest.mark.parametrize("name, old, new, problem", [
    ("discontinuation.notice_days", '"2025-04-01": 90', '"2025-04-01": -90', "-90 is not a whole number of days, 0 or more"),
    ("late_interest.annual_rate", '"2025-04-01": "14.5"', '"2025-04-01": "-14.5"', "'-14.5' is not a percentage above 0 and at most 100"),
    ("late_interest.day_basis", '"2025-04-01": 365', '"2025-04-01": 0', "0 is not a number of days in a year (365 or 366)"),
])
def test_a_value_its_unit_cannot_mean_is_refused(repo: Path, name: str, old: str, new: str, problem: str) -> None:
    path = repo / "terms/smacom/parameters.yaml"
    text = path.read_text("utf-8")
    start = text.index(f"  {name}:")
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old):], "utf-8")
    line = text[:at].count("\n") + 1
    code, out = check(repo)
    assert code == 1
    assert out[0].startswith(f"terms/smacom/parameters.yaml:{line}: parameter {name}: {problem}")


def test_duplicate_id(repo: Path) -> None:
    path = repo / "terms/smacom/provisions.yaml"
    line = line_of(path, "id: smacom:17.1.2")
    edit(path, "id: smacom:17.1.2\n", "id: smacom:17.1.1\n")
    code, out = check(repo)
    assert code == 1
    assert out == [f"terms/smacom/provisions.yaml:{line}: duplicate provision id smacom:17.1.1 "
                   f"(first at line {line_of(path, 'id: smacom:17.1.1')}) (each id must be unique)"]


def test_json_lists_the_same_findings_for_machines(repo: Path) -> None:
    path = repo / "terms/smacom/provisions.yaml"
    line = line_of(path, "id: smacom:17.1.2")
    edit(path, "id: smacom:17.1.2\n", "id: smacom:17.1.1\n")
    result = CliRunner().invoke(main, ["check", "--root", str(repo), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["warnings"], report["root"]) == (False, [], {"path": str(repo), "origin": "--root"})
    assert report["errors"] == [{"file": "terms/smacom/provisions.yaml", "line": line,
                                 "message": f"duplicate provision id smacom:17.1.1 (first at line "
                                            f"{line_of(path, 'id: smacom:17.1.1')})", "hint": "each id must be unique"}]


def test_dangling_reference(repo: Path) -> None:
    path = repo / "terms/smacom/parameters.yaml"
    edit(path, "reference: smacom:26.1", "reference: smacom:26.9")
    code, out = check(repo)
    assert code == 1
    assert len(out) >= 1
    line = line_of(path, "reference: smacom:26.9")
    assert out[0] == (f"terms/smacom/parameters.yaml:{line}: unknown citation smacom:26.9 "
                      "(smacom:26 has 1)")


def test_malformed_date(repo: Path) -> None:
    path = repo / "terms/ts-cloudphone/agreement.yaml"
    edit(path, 'effective: "2015-11-01"', 'effective: "2015-11-31"')
    code, out = check(repo)
    assert code == 1
    line = line_of(path, "2015-11-31")
    assert out == [f"terms/ts-cloudphone/agreement.yaml:{line}: effective date '2015-11-31' is not a "
                   'date (write it as "YYYY-MM-DD")']


def test_yaml_syntax_error(repo: Path) -> None:
    path = repo / "terms/abphone/parameters.yaml"
    append(path, "broken: [unclosed\n")
    code, out = check(repo)
    assert code == 1
    assert len(out) == 1
    assert re.fullmatch(r"terms/abphone/parameters\.yaml:\d+: invalid YAML: .+ \(fix the syntax at that line\)",
                        out[0])


def test_duplicate_yaml_key(repo: Path) -> None:
    path = repo / "terms/abphone/agreement.yaml"
    append(path, "provider: someone else\n")
    code, out = check(repo)
    assert code == 1
    assert out[0].startswith("terms/abphone/agreement.yaml:")
    assert "duplicate key 'provider'" in out[0]


def test_non_yaml_file(repo: Path) -> None:
    (repo / "terms/smacom/notes.json").write_text("{}", "utf-8")
    code, out = check(repo)
    assert code == 1
    assert out == ["terms/smacom/notes.json: unexpected file in terms/ (an agreement folder holds "
                   "agreement.yaml, provisions.yaml, parameters.yaml and source/*.txt; law/ holds *.yaml)"]


def test_binary_file_in_place_of_yaml(repo: Path) -> None:
    (repo / "terms/smacom/parameters.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    code, out = check(repo)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith("terms/smacom/parameters.yaml:1: not UTF-8 text: byte 0x89 at column 1 (kiyaku reads UTF-8")


def test_unknown_field_lists_the_allowed_ones(repo: Path) -> None:
    path = repo / "terms/smacom/agreement.yaml"
    append(path, "colour: blue\n")
    code, out = check(repo)
    assert code == 1
    assert out[0].startswith("terms/smacom/agreement.yaml:1: top level: unknown field 'colour' (allowed: ")


def test_versions_out_of_order(repo: Path) -> None:
    path = repo / "terms/abphone/agreement.yaml"
    edit(path, '"2015-11-27"', '"2014-12-01"')
    code, out = check(repo)
    assert code == 1
    assert any("is not after rev-1.0" in line for line in out)
