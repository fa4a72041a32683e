"""The store when things go wrong: not a store, a newer schema, read-only, locked, a full disk, two
ingests at once, Ctrl-C. One clear message each, and nothing lost or half-written."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from test_store import EXAMPLES, ROOT, SMACOM, counts, kiyaku

sys.path.insert(0, str(ROOT / "bench"))
from run import write_input  # noqa: E402  the benchmark's generator of realistic streams

KIYAKU = [sys.executable, "-c", "from kiyaku.cli import main; main()"]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_a_file_that_is_not_a_store_is_left_alone(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not a database, but someone's notes\n" * 100, "utf-8")
    before = notes.read_bytes()
    done = kiyaku("ingest", "--db", str(notes), SMACOM)
    assert done.exit_code == 2
    assert done.stderr == f"{notes}: not a kiyaku store: the file is not a SQLite database (name the store file kiyaku made)\n"
    assert notes.read_bytes() == before


def test_a_database_of_something_else_is_refused(store_url, postgres_or_none):
    if store_url.startswith("postgresql"):
        postgres_or_none.execute(store_url, "CREATE TABLE customers (id int)")
    else:
        with sqlite3.connect(store_url) as conn:
            conn.execute("CREATE TABLE customers (id int)")
    done = kiyaku("ingest", "--db", store_url, SMACOM)
    assert done.exit_code == 2 and "not a kiyaku store: it holds tables kiyaku did not create" in done.stderr
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://") if "://" in store_url
                              else f"sqlite:///{store_url}")
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["customers"]
    engine.dispose()


def test_a_store_of_a_newer_schema_is_not_touched(store_url):
    kiyaku("ingest", "--db", store_url, SMACOM)
    from kiyaku.store.connect import Store

    store = Store(store_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE kiyaku_schema SET version_num = '0099'"))
    store.close()
    for args in (["ingest", SMACOM], ["log"], ["ask", "can-suspend", "--contract", "SC-2001"]):
        done = kiyaku(*args, "--db", store_url)
        assert done.exit_code == 2 and done.stdout == ""
        assert "the store has schema 0099, newer than this kiyaku knows (up to 0003)" in done.stderr


def test_a_read_only_store_answers_nothing_it_cannot_record(store_url, postgres_or_none):
    kiyaku("ingest", "--db", store_url, SMACOM)
    if store_url.startswith("postgresql"):
        postgres_or_none.execute(store_url, f"ALTER DATABASE {postgres_or_none.database_name(store_url)} "
                                 "SET default_transaction_read_only = on")
        read_only = store_url
    else:
        read_only = f"sqlite:///file:{store_url}?mode=ro&uri=true"
    done = kiyaku("ingest", "--db", read_only, *EXAMPLES)
    assert done.exit_code == 2 and "the store is read-only; nothing was written" in done.stderr
    asked = kiyaku("ask", "can-suspend", "--db", read_only, "--contract", "SC-2001", "--at", "2025-07-10")
    assert asked.exit_code == 2 and asked.stdout == "" and "read-only" in asked.stderr
    dry = kiyaku("ask", "can-suspend", "--db", read_only, "--contract", "SC-2001", "--at", "2025-07-10", "--no-log")
    assert dry.exit_code == 0 and dry.stdout.startswith("Can we suspend the service?")
    assert json.loads(kiyaku("log", "--db", read_only, "--format", "json").stdout) == []


def test_a_store_locked_by_another_writer(store_url, monkeypatch):
    kiyaku("ingest", "--db", store_url, SMACOM)
    monkeypatch.setenv("KIYAKU_DB_TIMEOUT", "0.3")
    if store_url.startswith("postgresql"):
        import psycopg

        other = psycopg.connect(store_url)
        other.execute("SELECT pg_advisory_xact_lock(hashtext('kiyaku:events'))")
    else:
        other = sqlite3.connect(store_url, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    try:
        done = kiyaku("ingest", "--db", store_url, *EXAMPLES, env={"KIYAKU_DB_TIMEOUT": "0.3"})
    finally:
        other.rollback()
        other.close()
    assert done.exit_code == 2
    assert "the store is locked by another writer (waited 0.3 s); nothing was written" in done.stderr
    assert counts(store_url) == (1, 3, 0)


def test_a_full_disk_writes_nothing(tmp_path, monkeypatch):
    url = str(tmp_path / "kiyaku.db")
    kiyaku("ingest", "--db", url, SMACOM)
    pages = sqlite3.connect(url).execute("PRAGMA page_count").fetchone()[0]
    from kiyaku.store import connect

    def small_disk(dbapi_connection, record):
        original(dbapi_connection, record)
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 1}")  # SQLite's own SQLITE_FULL

    original = connect._sqlite_connect
    monkeypatch.setattr(connect, "_sqlite_connect", small_disk)
    done = kiyaku("ingest", "--db", url, *EXAMPLES)
    monkeypatch.undo()
    assert done.exit_code == 2 and "the disk holding the store is full; nothing was written" in done.stderr
    assert counts(url) == (1, 3, 0)


def _generated(tmp_path: Path, contracts: int) -> list[str]:
    whole = tmp_path / "all.jsonl"
    write_input(whole, contracts, 20)
    return whole.read_text("utf-8").splitlines(keepends=True)


def test_two_ingests_of_overlapping_files_at_once(store_url, tmp_path):
    lines = _generated(tmp_path, 300)
    first_of = {json.loads(line)["contract"] for line in lines}
    ids = sorted(first_of)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(x for x in lines if json.loads(x)["contract"] < ids[200]), "utf-8")
    b.write_text("".join(x for x in lines if json.loads(x)["contract"] >= ids[100]), "utf-8")
    kiyaku("ingest", "--db", store_url, SMACOM)  # the store exists before both start
    env = {k: v for k, v in os.environ.items() if k != "KIYAKU_DB"}
    runs = [subprocess.Popen([*KIYAKU, "ingest", "--db", store_url, str(f)], cwd=ROOT, env=env,
                             stderr=subprocess.PIPE, text=True) for f in (a, b)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert [code for code, _ in results] == [0, 0], results
    assert counts(store_url) == (301, len(lines) + 3, 0)


def test_ctrl_c_while_writing_leaves_the_store_as_it_was(store_url, tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_text("".join(_generated(tmp_path, 300)), "utf-8")
    kiyaku("ingest", "--db", store_url, SMACOM)
    env = {k: v for k, v in os.environ.items() if k != "KIYAKU_DB"}
    run = subprocess.Popen([*KIYAKU, "ingest", "--db", store_url, str(big)], cwd=ROOT, env=env,
                           stderr=subprocess.PIPE, text=True)
    line = run.stderr.readline()
    assert line.startswith("writing ")
    run.send_signal(signal.SIGINT)
    code = run.wait(timeout=120)
    rest = run.stderr.read()
    assert code == 130, rest
    assert rest.startswith("interrupted: nothing was written to ")
    assert counts(store_url) == (1, 3, 0)
