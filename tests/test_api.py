"""The Python API (kiyaku.Judge, as the README shows it) and standard input in every command that
reads events."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hostile import ROOT, START, cli, commands_where, jsonl
from kiyaku import DefinitionError, InputError, Judge
from kiyaku.cli import main

SMACOM = ROOT / "examples" / "smacom" / "unpaid-and-suspended-without-notice.jsonl"


def test_the_readme_example_runs_and_prints_what_it_says() -> None:
    block = re.search(r"## Python API.*?```python\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own README
    first, second = printed.getvalue().splitlines()
    assert first == "400 ['ts-cloudphone:30.1']"
    assert second.startswith("<events>:1: field time: '2025-02-30': February 2025 has no day 30")


@pytest.fixture(scope="module")
def judge():
    with Judge(ROOT) as judge:
        yield judge


def test_event_objects_and_the_files_holding_them_give_the_same_rulings(judge: Judge) -> None:
    objects = [json.loads(line) for line in SMACOM.read_text("utf-8").splitlines() if line.strip()]
    from_objects = judge.evaluate(objects, at="2025-07-10")
    from_file = judge.evaluate([str(SMACOM)], at="2025-07-10")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "reasons"} for r in rs]  # reasons name the source
    assert from_objects and strip(from_objects) == strip(from_file)
    assert judge.evaluate([SMACOM], contract="SC-2001") == judge.evaluate([SMACOM])


def test_at_is_read_as_the_command_line_reads_it(judge: Judge) -> None:
    tokyo_noon = judge.evaluate([SMACOM], at="2025-07-10T12:00")
    assert judge.evaluate([SMACOM], at=datetime(2025, 7, 10, 3, 0, tzinfo=timezone.utc)) == tokyo_noon
    assert judge.evaluate([SMACOM], at=datetime(2025, 7, 10, 12, 0, tzinfo=timezone(timedelta(hours=9)))) == tokyo_noon
    for bad, says in ((datetime(2025, 7, 10), "without a time zone"), ("2025-07-10garbage", "not an ISO 8601 time")):
        with pytest.raises(InputError, match=says):
            judge.evaluate([SMACOM], at=bad)


def test_bad_events_raise_input_error_with_located_findings(judge: Judge) -> None:
    with pytest.raises(InputError) as caught:
        judge.evaluate([START, START | {"time": "2025-04-02", "type": "payment", "invoice": "X", "amount": 1}])
    (finding,) = caught.value.findings
    assert (finding.file, finding.line) == ("<events>", 2)
    assert finding.message == "field invoice: payment for unknown invoice 'X' of contract C-1"
    with pytest.raises(InputError, match="either event objects or file paths"):
        judge.evaluate([START, str(SMACOM)])
    with pytest.raises(InputError, match="no events for contract 'NONE'"):
        judge.evaluate([START], contract="NONE")


def test_terms_that_do_not_check_raise_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="rules folder not found"):
        Judge(tmp_path)
    (tmp_path / "rules").mkdir()
    with pytest.raises(DefinitionError, match="terms folder not found"):
        Judge(tmp_path)


def test_standard_input_for_the_library(judge: Judge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SMACOM.read_bytes())))
    from_stdin = judge.evaluate(["-"], at="2025-07-10")
    assert {r["contract"] for r in from_stdin} == {"SC-2001"}
    assert all(src.startswith("<stdin>:") for r in from_stdin for x in r["reasons"] if isinstance(x, dict)
               for src in [x.get("source", "<stdin>:")])


# --- `-` in every command that reads events -------------------------------------------------------

def _commands_reading_events() -> list[str]:
    return commands_where(lambda command: any(p.name == "events" for p in command.params))


STDIN_COMMANDS = {
    "ask": (["ask", "can-suspend", "-", "--contract", "SC-2001", "--at", "2025-07-10", "--format", "json"],
            lambda out: json.loads(out)["answer"] == "yes"),
    "evaluate": (["evaluate", "-", "--format", "json"], lambda out: {r["contract"] for r in json.loads(out)} == {"SC-2001"}),
    "report": (["report", "-", "-o", "-"], lambda out: out.startswith("# Case report — contract SC-2001")
               and "| \\<stdin\\> | 3 | " in out),
    # Two event files: the example, and the same events again from standard input (20 rulings each).
    "ingest": (["ingest", "-", "--db", "{db}"], lambda out: out == ""),
    "diff": (["diff", str(ROOT), str(ROOT), "--events", "-", "--format", "json", "--scenarios", str(ROOT / "docs"),
              "--examples", str(SMACOM)],
             lambda out: json.loads(out)["counts"] | {"errors": json.loads(out)["errors"]} == {
                 "scenario_cases": 0, "event_files": 2, "stores": 0, "rulings_base": 40, "rulings_head": 40, "changed": 0,
                 "added": 0, "removed": 0, "errors": []}),
}


def test_every_command_that_reads_events_is_tested_below() -> None:
    assert _commands_reading_events() == sorted(STDIN_COMMANDS)


@pytest.mark.parametrize("command", sorted(STDIN_COMMANDS))
def test_a_dash_reads_events_from_standard_input(command: str, tmp_path: Path) -> None:
    args, ok = STDIN_COMMANDS[command]
    result = cli(*(a.format(db=tmp_path / "kiyaku.db") for a in args), input=SMACOM.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert ok(result.stdout), result.stdout[:500]
    if command == "ingest":  # and the events are there, read back from the store
        stored = cli("evaluate", "--db", str(tmp_path / "kiyaku.db"), "--format", "json")
        assert {r["contract"] for r in json.loads(stored.stdout)} == {"SC-2001"}


def test_standard_input_in_yaml() -> None:
    yaml_events = "".join(f"- {json.dumps(e)}\n" for e in (START, START | {"type": "application", "time": "2025-04-02"}))
    result = cli("evaluate", "-", "--format", "json", input=yaml_events)
    assert result.exit_code == 0 and {r["contract"] for r in json.loads(result.stdout)} == {"C-1"}


def test_bad_standard_input_is_named_as_such() -> None:
    result = cli("evaluate", "-", input=jsonl(START) + "not json\n")
    assert result.exit_code == 2 and result.stderr.startswith("<stdin>:2: not valid JSON")
