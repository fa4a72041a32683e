"""The case store and the decision log, the same tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.store import open_store
from kiyaku.store import schema
from kiyaku.store.connect import Store

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*/*.jsonl"))
SMACOM = "examples/smacom/unpaid-and-suspended-without-notice.jsonl"  # SC-2001: 3 events, INV-2025-05 unpaid


def kiyaku(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), env={"KIYAKU_DB": None, "KIYAKU_USER": None, **(env or {})},
                              input=stdin, catch_exceptions=False)


def counts(url: str) -> tuple[int, int, int]:
    with open_store(url) as store, store.transaction() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (schema.contracts, schema.events, schema.decisions))


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_ingest_stores_every_event_once(store_url):
    done = kiyaku("ingest", "--db", store_url, *EXAMPLES)
    assert done.exit_code == 0, done.output
    # Counted from the files themselves: every non-empty line is an event, every distinct id a contract.
    lines = [json.loads(l) for p in EXAMPLES for l in (ROOT / p).read_text("utf-8").splitlines() if l.strip()]
    n_contracts, n_events = len({e["contract"] for e in lines}), len(lines)
    assert counts(store_url) == (n_contracts, n_events, 0)
    assert (f"{n_events} new event(s) stored, 0 already there; {n_contracts} contract(s), {n_contracts} new"
            in done.stderr)
    again = kiyaku("ingest", "--db", store_url, *EXAMPLES[:3])
    assert again.exit_code == 0 and "0 new event(s) stored" in again.stderr
    assert counts(store_url) == (n_contracts, n_events, 0)


def test_a_bad_event_anywhere_writes_nothing(store_url, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"contract": "X-1", "agreement": "smacom", "time": "2025-04-01", "type": "service_started"}\n'
                   '\n{"contract": "X-1", "time": "2025-05-01", "type": "invoice", "id": "I1", "amount": 100}\n', "utf-8")
    done = kiyaku("ingest", "--db", store_url, *EXAMPLES, str(bad))
    assert done.exit_code == 2
    assert f"{bad}:3: field due_date: missing; invoice events require it" in done.stderr
    assert counts(store_url) == (0, 0, 0)


def test_a_stored_id_with_other_content_is_refused(store_url, tmp_path):
    assert kiyaku("ingest", "--db", store_url, SMACOM).exit_code == 0
    changed = tmp_path / "changed.jsonl"
    changed.write_text('{"contract": "SC-2001", "time": "2025-05-01", "type": "invoice", "id": "INV-2025-05", '
                       '"amount": 6000, "due_date": "2025-06-30"}\n', "utf-8")
    done = kiyaku("ingest", "--db", store_url, str(changed))
    assert done.exit_code == 2
    assert (f"{changed}:1: field id: contract SC-2001 already has an event 'INV-2025-05' with other content "
            f"({SMACOM}:2)") in done.stderr
    assert counts(store_url) == (1, 3, 0)


def test_events_without_id_are_known_by_content(store_url, tmp_path):
    twice = tmp_path / "twice.jsonl"
    start = '{"contract": "P-1", "agreement": "smacom", "time": "2025-04-01", "type": "service_started"}\n'
    pay = '{"contract": "P-1", "time": "2025-05-01", "type": "invoice", "id": "I1", "amount": 1000, "due_date": "2025-05-31"}\n'
    part = '{"contract": "P-1", "time": "2025-05-20", "type": "payment", "invoice": "I1", "amount": 500}\n'
    twice.write_text(start + pay + part + part, "utf-8")  # two equal part payments are two payments
    assert kiyaku("ingest", "--db", store_url, str(twice)).exit_code == 0
    assert kiyaku("ingest", "--db", store_url, str(twice)).exit_code == 0
    assert counts(store_url) == (1, 4, 0)
    once_more = tmp_path / "more.jsonl"
    once_more.write_text(part + part + part, "utf-8")  # a third part payment is new, the first two are not
    assert "1 new event(s) stored, 2 already there" in kiyaku("ingest", "--db", store_url, str(once_more)).stderr
    assert counts(store_url) == (1, 5, 0)


def test_ingest_reads_standard_input(store_url):
    text = (ROOT / SMACOM).read_text("utf-8")
    done = kiyaku("ingest", "--db", store_url, "-", stdin=text)
    assert done.exit_code == 0, done.output
    assert counts(store_url) == (1, 3, 0)
    bad = kiyaku("ingest", "--db", store_url, "-", stdin='{"contract": "Y"}\nnot json\n')
    assert bad.exit_code == 2 and "<stdin>:2: not valid JSON" in bad.stderr


def test_ask_from_the_store_gives_the_files_answer_and_records_it(store_url):
    kiyaku("ingest", "--db", store_url, *EXAMPLES)
    args = ["ask", "can-suspend", "--contract", "SC-2001", "--at", "2025-07-10", "--format", "json"]
    from_files = kiyaku(*args, SMACOM)
    from_store = kiyaku(*args, "--db", store_url, "--user", "alice")
    assert from_store.exit_code == 0, from_store.output
    assert json.loads(from_store.stdout) == json.loads(from_files.stdout)
    answer = json.loads(from_store.stdout)
    assert answer["answer"] == "yes" and answer["citations"][0] == "smacom:17.1.1"
    listed = kiyaku("log", "--db", store_url, "--format", "json")
    [decision] = json.loads(listed.stdout)
    assert decision["asked_by"] == "alice" and decision["question"] == "can-suspend"
    assert decision["contract"] == "SC-2001" and decision["as_of"] == "2025-07-10T00:00:00+09:00"
    assert decision["answer"] == "yes" and decision["citations"] == ["smacom:17.1.1", "smacom:17.1"]
    assert f"decision {decision['id']} recorded" in from_store.stderr
    shown = kiyaku("log", "show", decision["id"][:8], "--db", store_url)
    assert shown.stdout == from_store.stdout  # as it was given
    full = json.loads(kiyaku("log", "show", decision["id"], "--db", store_url, "--format", "json").stdout)
    assert full["answer_json"] == answer
    assert [e["event"]["type"] for e in full["events"]] == ["service_started", "invoice", "suspension_started"]
    assert full["events"][1]["source"] == SMACOM and full["events"][1]["line"] == 2
    from kiyaku.paths import version as kiyaku_version
    from kiyaku.report.provenance import tree_sha256
    assert full["terms_sha256"] == tree_sha256(ROOT, "terms") and full["kiyaku_version"] == kiyaku_version()


def test_only_a_named_store_records_answers_from_files(store_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["ask", "can-suspend", str(ROOT / SMACOM), "--contract", "SC-2001", "--at", "2025-07-10", "--root", str(ROOT)]
    assert kiyaku(*args).exit_code == 0
    assert list(tmp_path.iterdir()) == ([Path(store_url)] if Path(store_url).exists() else [])  # nothing written
    kiyaku("ingest", "--db", store_url, str(ROOT / SMACOM))
    assert kiyaku(*args, env={"KIYAKU_DB": store_url, "KIYAKU_USER": "bob"}).exit_code == 0
    assert kiyaku(*args, "--db", store_url, "--no-log").exit_code == 0
    assert counts(store_url)[2] == 1
    [decision] = json.loads(kiyaku("log", "--db", store_url, "--format", "json").stdout)
    assert decision["asked_by"] == "bob"


def test_the_store_refuses_to_change_or_delete_a_decision_or_an_event(store_url):
    kiyaku("ingest", "--db", store_url, SMACOM)
    kiyaku("ask", "can-suspend", "--db", store_url, "--contract", "SC-2001", "--at", "2025-07-10")
    store = open_store(store_url)
    for statement in ("UPDATE decisions SET answer = 'no'", "DELETE FROM decisions",
                      "UPDATE events SET body = '{}'", "DELETE FROM events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text(statement))
    if store.dialect == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store.engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE decisions"))
    store.close()
    assert counts(store_url) == (1, 3, 1)


def test_log_lists_by_contract_and_time(store_url):
    kiyaku("ingest", "--db", store_url, *EXAMPLES)
    for contract in ("SC-2001", "TS-1001", "SC-2001"):
        kiyaku("ask", "can-suspend", "--db", store_url, "--contract", contract, "--at", "2025-07-10")
    table = kiyaku("log", "--db", store_url, "--contract", "SC-2001").stdout.splitlines()
    assert len(table) == 3 and table[0].startswith("decision") and all("SC-2001" in row for row in table[1:])
    rows = kiyaku("log", "--db", store_url, "--format", "csv").stdout.splitlines()
    assert rows[0].startswith("id,asked_at,asked_by,question,contract,as_of,answer,amount,citations") and len(rows) == 4
    assert kiyaku("log", "--db", store_url, "--since", "2999-01-01", "--format", "json").stdout.strip() == "[\n]"


def test_evaluate_and_report_read_the_store(store_url, tmp_path):
    kiyaku("ingest", "--db", store_url, *EXAMPLES)
    from_files = kiyaku("evaluate", *EXAMPLES, "--format", "jsonl", "--at", "2025-07-10").stdout.splitlines()
    from_store = kiyaku("evaluate", "--db", store_url, "--format", "jsonl", "--at", "2025-07-10").stdout.splitlines()
    assert sorted(from_store) == sorted(from_files) and len(from_store) > 18
    one = kiyaku("evaluate", "--db", store_url, "--contract", "TS-1001", "--format", "jsonl").stdout.splitlines()
    assert one and {json.loads(r)["contract"] for r in one} == {"TS-1001"}
    out = tmp_path / "SC-2001.md"
    assert kiyaku("report", "--db", store_url, "--contract", "SC-2001", "-o", str(out)).exit_code == 0
    memo = out.read_text("utf-8")
    assert f"{SMACOM}:2" in memo and "(store) | 3 |" in memo


def test_replay_names_the_provision_whose_change_moved_the_answer(store_url, tmp_path):
    kiyaku("ingest", "--db", store_url, SMACOM)
    asked = kiyaku("ask", "late-interest", "--db", store_url, "--contract", "SC-2001", "--at", "2025-07-20",
                   "--format", "json")
    # 6,578 yen unpaid from 2025-07-01 to 2025-07-19 (19 days) at 14.5% a year: 6578 × 0.145 × 19 / 365 = 49.65 → 49
    assert json.loads(asked.stdout)["amount"] == 49
    [decision] = json.loads(kiyaku("log", "--db", store_url, "--format", "json").stdout)
    same = kiyaku("log", "replay", decision["id"], "--db", store_url)
    assert "Same answer under today's terms and rules." in same.stdout
    scratch = tmp_path / "repo"
    for folder in ("terms", "rules"):
        shutil.copytree(ROOT / folder, scratch / folder)
    parameters = scratch / "terms" / "smacom" / "parameters.yaml"
    text = parameters.read_text("utf-8")
    assert text.count('"2025-04-01": "14.5"') == 1
    parameters.write_text(text.replace('"2025-04-01": "14.5"', '"2025-04-01": "20"'), "utf-8")
    moved = json.loads(kiyaku("log", "replay", decision["id"], "--db", store_url, "--root", str(scratch),
                              "--format", "json").stdout)
    # at 20%: 6578 × 0.20 × 19 / 365 = 68.48 → 68
    assert moved["same"] is False and moved["changed"] == {"amount": {"recorded": 49, "today": 68}}
    assert moved["reproduced"] is True
    [group] = moved["attribution"]["groups"]
    assert [p["id"] for p in group["provisions"]] == ["smacom:26.1"]
    assert [c["name"] for c in group["causes"]] == ["late_interest.annual_rate"]
    assert group["provisions"][0]["title"] == "第26条第1項（延滞利息）"


def test_an_older_store_is_upgraded_in_place(store_url):
    old = Store(store_url)
    with old.transaction(write=True) as conn:
        schema.upgrade(conn, "0001")
        conn.execute(sa.text(
            "INSERT INTO decisions (id, asked_at, asked_by, question, contract, as_of, answer, amount, citations, "
            "answer_json, given, kiyaku_version, terms_sha256, rules_sha256, events_sha256, events) VALUES "
            "('00000000-0000-4000-8000-000000000001', :t, 'carol', 'can-suspend', 'SC-2001', "
            "'2025-07-10T00:00:00+09:00', 'yes', NULL, '[\"smacom:17.1.1\", \"smacom:17.1\"]', '{}', 'YES', '0.0.1', "
            "'t', 'r', 'e', :events)"),
            {"t": datetime(2025, 7, 10, 1, 0, tzinfo=timezone.utc),
             "events": json.dumps([{"source": SMACOM, "line": n, "event": json.loads(line)}
                                   for n, line in enumerate((ROOT / SMACOM).read_text("utf-8").splitlines(), 1)])})
    with old.transaction() as conn:
        assert schema.version(conn) == "0001"
        assert not sa.inspect(conn).has_table("definitions")
    old.close()
    listed = kiyaku("log", "--db", store_url, "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [d["asked_by"] for d in json.loads(listed.stdout)] == ["carol"]
    with open_store(store_url) as store, store.transaction() as conn:
        assert schema.version(conn) == schema.SCHEMA == "0003"
        assert sa.inspect(conn).has_table("definitions")
    replay = kiyaku("log", "replay", "00000000", "--db", store_url)
    assert replay.exit_code == 0, replay.output
    assert "Same answer under today's terms and rules." in replay.stdout
    assert "were not kept" in replay.stdout


def test_the_schema_version_is_the_newest_migration():
    assert schema.head() == schema.SCHEMA


def test_the_store_commands_have_help_and_the_readme_shows_them():
    readme = (ROOT / "README.md").read_text("utf-8")
    for args in (["ingest"], ["log"], ["log", "show"], ["log", "replay"]):
        result = kiyaku(*args, "--help")
        assert result.exit_code == 0 and "Example:" in result.output
        assert f"kiyaku {' '.join(args)} " in readme
    assert "postgresql://" in readme and "kiyaku ask can-suspend --contract SC-2001" in readme


def test_events_given_as_values_that_are_not_objects_are_refused_by_place(store_url):
    from kiyaku.errors import InputError
    from kiyaku.replay.events import dict_records
    from kiyaku.store.events import ingest

    with open_store(store_url, create=True) as store:
        with pytest.raises(InputError) as refused:
            ingest(store, dict_records([1, "x"], "request"))
    assert str(refused.value.findings[0]).startswith("request:1: an event must be an object")
    assert counts(store_url) == (0, 0, 0)
