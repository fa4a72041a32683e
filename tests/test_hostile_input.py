"""Hostile and careless input, kind by kind, through the real command line: each is refused with one
located message and exit status 2 (1 for terms/ and rules/), never a traceback, never silently."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from hostile import INVOICE, ROOT, START, cli, commands_where, jsonl, refused
from kiyaku.cli import main
from kiyaku.replay.events import vocabulary

SMACOM = str(ROOT / "examples" / "smacom" / "unpaid-and-suspended-without-notice.jsonl")


def events_file(tmp_path: Path, data: bytes | str, name: str = "events.jsonl") -> str:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


# --- bytes -----------------------------------------------------------------------------------------

LINE_1 = jsonl(START).encode()
PAYMENT = '{"contract": "C-1", "time": "2025-06-01", "type": "payment", "invoice": "INV-1", "amount": 1, "note": "%s"}\n'


@pytest.mark.parametrize(("data", "line", "says"), [
    (LINE_1 + (PAYMENT % "x").encode().replace(b"x", b"\xff"), 2, "not UTF-8 text: byte 0xff"),
    (LINE_1 + (PAYMENT % "支払い").encode("shift_jis"), 2, "iconv -f SHIFT_JIS -t UTF-8"),
    (LINE_1 + (PAYMENT % "x").encode().replace(b"x", b"\xc0\xaf"), 2, "not UTF-8 text: byte 0xc0"),  # overlong '/'
    (LINE_1 + (PAYMENT % "x").encode().replace(b"x", b"\xed\xa0\x80"), 2, "not UTF-8 text: byte 0xed"),  # a surrogate
    (LINE_1 + (PAYMENT % "\\ud800").encode(), 2, "half of a UTF-16 pair"),  # a lone surrogate, JSON-escaped
    (LINE_1 + (PAYMENT % "x").encode().replace(b"x", b"\x00"), 2, "NUL byte"),
    (jsonl(START).encode("utf-16"), 1, "UTF-16"),
    (jsonl(START).encode("utf-16-le"), 1, "UTF-16"),
    (jsonl(START).encode("utf-16-be"), 1, "UTF-16"),
], ids=["invalid", "shift-jis", "overlong", "encoded-surrogate", "lone-surrogate", "nul", "utf-16", "utf-16-le",
        "utf-16-be"])
def test_bytes_that_are_not_utf8_text_are_refused_at_their_line(tmp_path: Path, data: bytes, line: int,
                                                                 says: str) -> None:
    path = events_file(tmp_path, data)
    refused(cli("evaluate", path), 2, f"{path}:{line}:", says)


def test_a_shift_jis_yaml_file_is_refused_at_its_line(tmp_path: Path) -> None:
    text = "- {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n" \
           "- {contract: C-1, time: '2025-04-02', type: notice_sent, about: suspension, note: 通知}\n"
    path = events_file(tmp_path, text.encode("shift_jis"), "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:2:", "Shift_JIS")


def test_a_utf8_byte_order_mark_is_read_as_nothing(tmp_path: Path) -> None:
    path = events_file(tmp_path, b"\xef\xbb\xbf" + LINE_1)
    assert cli("evaluate", path).exit_code == 0


# --- dates and times -------------------------------------------------------------------------------

def minimal(event_type: str) -> dict[str, Any]:
    """An event of `event_type` with each required field at a plain valid value."""
    vocab = vocabulary()
    spec = vocab["$defs"]["types"][event_type]
    plain = {"yen": 1, "date": "2025-06-01", "time": "2025-06-01T09:00", "flag": True, "citation": "ts-cloudphone:23.1"}
    event = {"contract": "C-1", "time": "2025-06-01", "type": event_type}
    for name in spec.get("required", []):
        field = spec["properties"].get(name, {"type": "string"})  # `id` is a common field
        field = field["allOf"][0] if "allOf" in field else field  # a shared kind, narrowed here
        event[name] = plain[field["$ref"].rsplit("/", 1)[1]] if "$ref" in field else \
            field["enum"][0] if "enum" in field else 1 if field.get("type") == "integer" else "X"
    return event


DATE_FIELDS = [(t, name, kind) for t, spec in vocabulary()["$defs"]["types"].items()
               for name, f in spec["properties"].items() for kind in ("date", "time") if f.get("$ref") == f"#/$defs/{kind}"]
IMPOSSIBLE = {"2025-02-30": "February 2025 has no day 30", "2025-13-01": "no month 13",
              "2025-00-10": "no month 00", "0001-01-01": "outside the years", "9999-12-31": "outside the years",
              "2025-6-1": "not"}


@pytest.mark.parametrize(("event_type", "name", "kind"), DATE_FIELDS, ids=[f"{t}.{n}" for t, n, _ in DATE_FIELDS])
@pytest.mark.parametrize("value", list(IMPOSSIBLE))
def test_every_date_field_of_every_event_takes_only_real_dates(tmp_path: Path, event_type: str, name: str,
                                                               kind: str, value: str) -> None:
    event = minimal(event_type) | {name: value}
    path = events_file(tmp_path, jsonl(START, event))
    refused(cli("evaluate", path), 2, f"{path}:2: field {name}: ", IMPOSSIBLE[value])


@pytest.mark.parametrize(("value", "says"), [
    ("2025-02-30", "no day 30"), ("2025-06-01T25:00", "hours run 00-23"), ("2025-06-01T09:60", "minutes"),
    ("2025-06-01garbage", "not an ISO 8601 time"), ("20250601", "not an ISO 8601 time"),
    ("2025-06-01T09:00+25:00", "not a time-zone offset"), ("0001-01-01T00:00", "outside the years"),
    ("9999-12-31T23:59:59Z", "outside the years"), ("yesterday", "not an ISO 8601 time"),
])
def test_the_time_of_an_event_is_a_real_instant(tmp_path: Path, value: str, says: str) -> None:
    path = events_file(tmp_path, jsonl(START | {"time": value}))
    refused(cli("evaluate", path), 2, f"{path}:1: field time: ", says)


def _commands_with(option: str) -> list[str]:
    return commands_where(lambda command: any(option in p.opts for p in command.params))


# The least each command needs besides --at; a new command that takes --at must be added here.
AT_COMMANDS = {
    "ask": ["ask", "can-suspend", SMACOM, "--contract", "SC-2001"],
    "evaluate": ["evaluate", SMACOM],
    "report": ["report", SMACOM, "-o", "-"],
    "terms show": ["terms", "show", "smacom:17.1"],
}


def test_every_command_that_takes_at_is_tested_below() -> None:
    assert _commands_with("--at") == sorted(AT_COMMANDS)


@pytest.mark.parametrize("command", sorted(AT_COMMANDS))
@pytest.mark.parametrize(("value", "says"), [("2025-06-01garbage", "not an ISO 8601 time"),
                                             ("2025-06-01T25:00", "hours run 00-23"),
                                             ("2025-02-30", "no day 30"), ("0001-01-01", "outside the years")])
def test_every_command_reads_at_with_the_one_parser(command: str, value: str, says: str) -> None:
    result = cli(*AT_COMMANDS[command], "--at", value)
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert "Invalid value for --at" in result.stderr and says in result.stderr


def test_a_scenario_file_takes_only_real_dates(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "- name: An impossible as-of date\n"
        "  as_of: '2025-02-30'\n"
        "  events:\n"
        "  - {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n"
        "  expect:\n"
        "  - {kind: suspension, absent: true}\n"
        "- name: An impossible time of an expected ruling\n"
        "  events:\n"
        "  - {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n"
        "  expect:\n"
        "  - {kind: suspension, at: '2025-06-01T24:00'}\n", "utf-8")
    result = cli("test", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    assert f"{path.name}:2: as_of: '2025-02-30': February 2025 has no day 30" in result.stdout
    assert f"{path.name}:11: at: '2025-06-01T24:00': hours run 00-23" in result.stdout


def test_an_impossible_date_in_a_scenario_event_names_the_scenario_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "- name: An invoice due on a day that does not exist\n"
        "  events:\n"
        "  - {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n"
        "  - {contract: C-1, time: '2025-04-02', type: invoice, id: I, amount: 1, due_date: '2025-04-31'}\n"
        "  expect:\n"
        "  - {kind: late_interest, absent: true}\n", "utf-8")
    result = cli("test", str(path))
    assert result.exit_code == 1 and "ERROR: 1" in result.stdout
    assert f"{path}:4: field due_date: '2025-04-31': April 2025 has no day 31" in result.stdout


# --- numbers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "says"), [
    ("18446744073709551616", "beyond the 64-bit integers"), ("-18446744073709551616", "beyond the 64-bit integers"),
    ("9" * 5000, "beyond the 64-bit integers"), ("1e30", "1e30 is not an integer"), ("1.5", "not an integer"),
    ("1000.0", "1000.0 is not an integer"), ("NaN", "NaN is not a number"), ("Infinity", "Infinity is not a number"),
    ("-Infinity", "-Infinity is not a number"), ("1000000000000001", "is greater than the maximum of 1000000000000000"),
])
def test_numbers_beyond_exact_integers_are_refused(tmp_path: Path, amount: str, says: str) -> None:
    invoice = jsonl(INVOICE).replace('"amount": 1000', f'"amount": {amount}')
    path = events_file(tmp_path, jsonl(START) + invoice)
    refused(cli("evaluate", path), 2, f"{path}:2:", says)


def test_the_largest_amounts_are_computed_exactly(tmp_path: Path) -> None:
    most = 10**15
    events = [{"contract": "C", "agreement": "smacom", "time": "2025-04-01", "type": "service_started"},
              {"contract": "C", "time": "2025-05-01", "type": "invoice", "id": "I", "amount": most, "due_date": "2025-05-31"},
              {"contract": "C", "time": "2025-06-20", "type": "payment", "invoice": "I", "amount": most},
              {"contract": "C", "time": "2025-06-21", "type": "charge_evaded", "amount_excluding_tax": most,
               "charge_date": "2025-06-01"}]
    result = cli("evaluate", events_file(tmp_path, jsonl(*events)), "--format", "json")
    assert result.exit_code == 0, result.stderr
    amounts = {r["kind"]: r["amount"] for r in json.loads(result.stdout) if r["outcome"] == "payable"}
    # smacom 第26条: 14.5% a year for the 19 days 06-01..06-19, fractions cut: 10^15 × 0.145 × 19 ÷ 365.
    # smacom 第25条 (割増金): twice the evaded sum, plus 10% tax on it (the charge arose on 2025-06-01).
    assert amounts == {"late_interest": 7_547_945_205_479, "surcharge": 2_200_000_000_000_000}


@pytest.mark.parametrize(("amount", "says"), [("09", "leading zero"), ("0100", "leading zero"),
                                              ("99999999999999999999", "beyond the 64-bit integers")])
def test_yaml_numbers_that_readers_disagree_on_are_refused(tmp_path: Path, amount: str, says: str) -> None:
    path = events_file(tmp_path, "- {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n"
                                 "- contract: C-1\n  time: '2025-05-01'\n  type: invoice\n  id: I\n"
                                 f"  amount: {amount}\n  due_date: '2025-05-31'\n", "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:6:", says)


# --- structure -------------------------------------------------------------------------------------

@pytest.mark.parametrize("deep", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000,
                                  '{"contract": "C-1", "note": ' + "[" * 50_000 + "]" * 50_000 + "}"],
                         ids=["arrays", "objects", "in-a-field"])
def test_json_nested_100000_deep_is_refused(tmp_path: Path, deep: str) -> None:
    path = events_file(tmp_path, jsonl(START) + deep + "\n")
    refused(cli("evaluate", path), 2, f"{path}:2:", "nested")


def test_yaml_nested_100000_deep_is_refused(tmp_path: Path) -> None:
    path = events_file(tmp_path, "- " + "[" * 100_000 + "]" * 100_000 + "\n", "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:1:", "nested more than")


BOMB = "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def test_a_yaml_alias_bomb_in_events_is_refused_at_once(tmp_path: Path) -> None:
    path = events_file(tmp_path, "- contract: C-1\n  a: &a [x, x, x, x, x, x, x, x, x]\n  "
                       + BOMB.replace("\n", "\n  ").rstrip() + "\n", "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:3:", "an alias (*a) is not allowed here")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    for name in ("terms", "rules"):
        shutil.copytree(ROOT / name, tmp_path / "repo" / name)
    return tmp_path / "repo"


@pytest.mark.parametrize("file", ["rules/shared/payment.yaml", "terms/smacom/agreement.yaml"])
def test_a_yaml_alias_bomb_in_terms_or_rules_is_refused_at_once(repo: Path, file: str) -> None:
    path = repo / file
    path.write_text(path.read_text("utf-8") + "bomb:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  "
                    + BOMB.replace("\n", "\n  ").rstrip() + "\n", "utf-8")
    result = cli("check", "--root", str(repo))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert f"{file}:" in result.stderr and "expand to more than 1,000,000 values" in result.stderr


@pytest.mark.parametrize("key", ["? [a, b]\n  : 1", "? {a: 1}\n  : 1"], ids=["sequence", "mapping"])
def test_mapping_keys_must_be_plain_values(tmp_path: Path, key: str) -> None:
    path = events_file(tmp_path, f"- contract: C-1\n  {key}\n", "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:2:", "a key must be a plain value")


def test_mapping_keys_in_rules_must_be_plain_values(repo: Path) -> None:
    rules = repo / "rules" / "shared" / "payment.yaml"
    rules.write_text(rules.read_text("utf-8") + "x:\n  ? [a, b]\n  : 1\n", "utf-8")
    result = cli("check", "--root", str(repo))
    assert result.exit_code == 1 and "rules/shared/payment.yaml:" in result.stderr and "a key must be" in result.stderr


def test_an_event_with_10000_fields_gets_a_short_message(tmp_path: Path) -> None:
    path = events_file(tmp_path, jsonl(START, INVOICE | {f"f{i}": i for i in range(10_000)}))
    err = refused(cli("evaluate", path), 2, f"{path}:2: fields 'f0', 'f1', 'f2', 'f3', 'f4' and 9995 more: not fields")
    assert len(err) < 800


def test_a_huge_id_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = events_file(tmp_path, jsonl(START, INVOICE | {"id": "x" * (2 << 20)}))
    err = refused(cli("evaluate", path), 2, f"{path}:2: the line is longer than 1 MiB")
    assert len(err) < 300


def test_a_100_mb_id_given_to_the_library_is_refused_without_echoing_it() -> None:
    from kiyaku import InputError, Judge

    with Judge(ROOT) as judge, pytest.raises(InputError) as caught:
        judge.evaluate([START | {"id": "x" * 100_000_000}])
    assert str(caught.value) == "<events>:1: field id: 100000000 characters long; it may be at most 200 (see docs/events.md)"


# --- files -----------------------------------------------------------------------------------------

def test_files_that_cannot_be_read_are_named(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    (tmp_path / "loop.jsonl").symlink_to(tmp_path / "loop.jsonl")
    cases = {"folder": "is a folder, not a file", "dangling.jsonl": f"a link to {tmp_path}/nowhere.jsonl, which does not exist",
             "loop.jsonl": "a symbolic link that leads back to itself", "missing.jsonl": "no such file"}
    for name, says in cases.items():
        path = str(tmp_path / name)
        refused(cli("evaluate", path), 2, f"{path}: {says}")
    result = cli("evaluate", *(str(tmp_path / n) for n in cases), "--keep-going")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 4


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux's /proc")
def test_a_file_that_fails_on_read_is_named() -> None:
    refused(cli("evaluate", "/proc/self/mem"), 2, "/proc/self/mem:1: cannot read: Input/output error")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_in_its_first_block() -> None:
    refused(cli("evaluate", "/dev/zero"), 2, "/dev/zero:1: the file holds a NUL byte")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_once_for_both_passes(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "events.jsonl"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text(Path(SMACOM).read_text("utf-8"), "utf-8"))
    writer.start()
    result = cli("evaluate", str(fifo), "--format", "json")
    writer.join(timeout=10)
    assert result.exit_code == 0 and {r["contract"] for r in json.loads(result.stdout)} == {"SC-2001"}


def test_the_same_file_given_twice_is_refused(tmp_path: Path) -> None:
    alias = tmp_path / "alias.jsonl"
    alias.symlink_to(SMACOM)
    for second in (SMACOM, str(alias)):
        refused(cli("evaluate", SMACOM, second), 2, f"{second}: given twice (also as {SMACOM})")


@pytest.mark.parametrize("missing", ["terms", "rules"])
@pytest.mark.parametrize("command", [["evaluate", SMACOM], ["check"], ["report", SMACOM, "-o", "-"],
                                     ["ask", "can-suspend", SMACOM, "--contract", "SC-2001"]],
                         ids=["evaluate", "check", "report", "ask"])
def test_a_repository_without_terms_or_rules_is_refused(repo: Path, missing: str, command: list[str]) -> None:
    shutil.rmtree(repo / missing)
    result = cli(*command, "--root", str(repo))
    assert result.stdout == "" and "Traceback" not in result.stderr
    if missing == "rules":
        assert result.exit_code == 1 and result.stderr.startswith(f"{repo / missing}: rules folder not found")
    else:  # --root names no terms repository at all: the option is wrong (kiyaku.paths)
        assert result.exit_code == 2 and result.stderr.startswith(f"{repo}: no terms/ folder in the --root given")


# --- never silent ----------------------------------------------------------------------------------

OUTAGE = {"contract": "C-1", "time": "2025-06-01T09:00", "type": "outage", "id": "O-1", "cause": "provider"}
ENDED = {"contract": "C-1", "time": "2025-06-02T09:00", "type": "outage_ended", "outage": "O-1"}


@pytest.mark.parametrize(("events", "line", "says"), [
    ([START, INVOICE, INVOICE | {"time": "2025-05-02"}], 3, "field id: 'INV-1' is already the id of the invoice at"),
    ([START, INVOICE, OUTAGE | {"id": "INV-1"}], 3, "field id: 'INV-1' is already the id of the invoice at"),
    ([START, OUTAGE, ENDED, ENDED | {"time": "2025-06-03"}], 4, "field outage: the outage 'O-1' already ended at"),
    ([START, INVOICE, {"contract": "C-1", "time": "2025-04-30", "type": "payment", "invoice": "INV-1", "amount": 1}], 3,
     "field time: payment at 2025-04-30T00:00:00+09:00 is before the invoice it names"),
    ([START, INVOICE, {"contract": "C-1", "time": "2025-04-30", "type": "payment_demand", "invoice": "INV-1"}], 3,
     "field time: payment_demand at 2025-04-30T00:00:00+09:00 is before the invoice it names"),
    ([START, {"contract": "C-1", "time": "2025-06-01", "type": "payment", "invoice": "O-1", "amount": 1},
      OUTAGE | {"time": "2025-05-01"}], 2, "payment for unknown invoice 'O-1' of contract C-1; 'O-1' is the id of the outage"),
    ([START, {"contract": "C-1", "time": "2025-06-01", "type": "fee_set", "monthly_fee": 1000,
              "items": [{"code": "A", "quantity": 1}]}], 2, "fields monthly_fee and items: give one or the other, not both"),
    ([START, {"contract": "C-1", "time": "2025-06-01", "type": "suspension_started", "ground": "smacom:17.1.1"}], 2,
     "field ground: 'smacom:17.1.1' is a provision of another agreement; contract C-1 is under ts-cloudphone"),
    ([START, {"contract": "C-1", "time": "2025-06-01", "type": "suspension_started", "ground": "ts-cloudphone:99.1"}], 2,
     "field ground: 'ts-cloudphone:99.1' is no provision of ts-cloudphone"),
    ([START, {"contract": "C-1", "time": "2025-06-01", "type": "breach", "id": "B", "obligation": "ts-cloudphone:35.9"}], 2,
     "field obligation: 'ts-cloudphone:35.9' is no provision of ts-cloudphone"),
], ids=["duplicate-id", "duplicate-id-across-types", "outage-ended-twice", "payment-before-invoice",
        "demand-before-invoice", "reference-to-another-type", "fee-set-both", "citation-of-another-agreement",
        "citation-that-does-not-resolve", "obligation-that-does-not-resolve"])
def test_input_that_contradicts_itself_is_refused_at_its_line(tmp_path: Path, events: list[dict], line: int,
                                                             says: str) -> None:
    path = events_file(tmp_path, jsonl(*events))
    refused(cli("evaluate", path), 2, f"{path}:{line}:", says)
    refused(cli("ask", "can-suspend", path, "--contract", "C-1", "--at", "2025-07-01"), 2, f"{path}:{line}:", says)


@pytest.mark.parametrize("colon", [": ", " : ", "\t:", " \t :"], ids=["plain", "spaced", "tab", "spaces-and-tab"])
@pytest.mark.parametrize("field", ["amount", "contract"])
def test_a_key_given_twice_in_one_event_is_refused(tmp_path: Path, field: str, colon: str) -> None:
    # white space before a colon hides a key from a count of '":' (the quick reader's check): one key
    # so hidden and given twice leaves the count at one a key
    line = jsonl(INVOICE).replace(f'"{field}": ', f'"{field}": {json.dumps(INVOICE[field])}, "{field}"{colon}', 1)
    path = events_file(tmp_path, jsonl(START) + line)
    refused(cli("evaluate", path), 2, f"{path}:2: field '{field}' is given twice in one event")


def test_a_yaml_alias_repeating_an_event_is_refused(tmp_path: Path) -> None:
    path = events_file(tmp_path, "- &start {contract: C-1, agreement: smacom, time: '2025-04-01', type: service_started}\n"
                                 "- *start\n", "events.yaml")
    refused(cli("evaluate", path), 2, f"{path}:2: an alias (*start) is not allowed here")


def test_evaluate_says_when_the_input_holds_no_events(tmp_path: Path) -> None:
    result = cli("evaluate", events_file(tmp_path, "\n\n"), "--format", "json")
    assert (result.exit_code, result.stdout, result.stderr.splitlines()[0]) == (0, "[]\n", "note: no events in the input")


def test_evaluate_says_when_a_contract_has_no_events() -> None:
    refused(cli("evaluate", SMACOM, "--contract", "SC-9999"), 2, "--contract: no events for contract 'SC-9999'")


# --- spec decision 9: the calendar date of an instant is its date in Asia/Tokyo -----------------------

@pytest.mark.parametrize(("paid", "answer", "amount"), [
    # Due 2025-05-31; the 10-day grace runs 06-01..06-10. Paid on 06-11 in Tokyo: interest for the days
    # 06-01..06-10, 100,000 yen × 14.6% × 10 ÷ 365 = 400 yen exactly (ts-cloudphone 第30条).
    ("2025-06-10T16:00Z", "yes", 400), ("2025-06-11T01:00+09:00", "yes", 400), ("2025-06-10T12:00-04:00", "yes", 400),
    # 23:59 on 06-10 in Tokyo is still within the grace, whatever the offset it is written with.
    ("2025-06-10T14:59Z", "no", 0), ("2025-06-10T23:59+09:00", "no", 0),
])
def test_a_payment_falls_on_its_date_in_tokyo(tmp_path: Path, paid: str, answer: str, amount: int) -> None:
    invoice = INVOICE | {"amount": 100_000}
    payment = {"contract": "C-1", "time": paid, "type": "payment", "invoice": "INV-1", "amount": 100_000}
    path = events_file(tmp_path, jsonl(START, invoice, payment))
    result = cli("ask", "late-interest", path, "--contract", "C-1", "--at", "2025-07-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = json.loads(result.stdout)
    assert (got["answer"], got["amount"]) == (answer, amount)
    if answer == "yes":
        assert got["rulings"][0]["at"].endswith("+09:00")


def test_no_traceback_reaches_the_user_even_for_a_fault_of_kiyaku(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiyaku.replay.judge as judge

    monkeypatch.setattr(judge.Judge, "_replay", lambda *a, **k: 1 / 0)  # every path to rulings replays
    monkeypatch.delenv("KIYAKU_TRACEBACK", raising=False)
    result = cli("evaluate", SMACOM)
    assert result.exit_code == 70 and "Traceback" not in result.stderr
    assert result.stderr.startswith("kiyaku: internal error: ZeroDivisionError: division by zero (please report it")


if sys.platform == "win32":  # pragma: no cover - symlinks, FIFOs and /proc are POSIX
    pytestmark = pytest.mark.skip("POSIX file kinds")
