"""Many contracts at once: contracts in id order from any input order, one contract's records kept for
--contract, and the same bytes from one process, from worker processes and from a Dask cluster."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.errors import InputError
from kiyaku.replay import bulk
from kiyaku.replay.streams import file_inputs, index

AGREEMENTS = ("smacom", "ts-cloudphone", "abphone")
KIYAKU = str(Path(sys.executable).with_name("kiyaku"))


def contract(n: int) -> list[dict]:
    """A contract's history, in time order: invoices paid on time, late after a demand, or not at all."""
    cid, agreement = f"K{n:04d}", AGREEMENTS[n % 3]
    start = date(2024, 1, 1) + timedelta(days=7 * n)
    events = [{"contract": cid, "agreement": agreement, "time": start.isoformat(), "type": "application",
               "technically_difficult": False},
              {"contract": cid, "time": start.isoformat(), "type": "service_started"}]
    for month in range(1 + n % 4):
        billed = start + timedelta(days=30 * (month + 1))
        due = billed + timedelta(days=30)
        inv = f"I{month}"
        events.append({"contract": cid, "time": billed.isoformat(), "type": "invoice", "id": inv, "amount": 6578,
                       "due_date": due.isoformat()})
        if (n + month) % 3 == 0:
            events.append({"contract": cid, "time": (due - timedelta(days=3)).isoformat(), "type": "payment",
                           "invoice": inv, "amount": 6578})
        elif (n + month) % 3 == 1:
            events.append({"contract": cid, "time": (due + timedelta(days=5)).isoformat(), "type": "payment_demand",
                           "invoice": inv})
            events.append({"contract": cid, "time": (due + timedelta(days=20)).isoformat(), "type": "payment",
                           "invoice": inv, "amount": 6578})
    return events


def write(tmp_path: Path, lines: list[dict], name: str = "events.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in lines), "utf-8")
    return str(path)


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["evaluate", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Forty contracts, given in reverse id order, with two of them spread over the input."""
    streams = [contract(n) for n in range(40)][::-1]
    lines = [e for s in streams for e in s]
    lines += [lines.pop(len(streams[0]) + 2), lines.pop(2)]  # an invoice of the first two contracts moved to the end
    return write(tmp_path_factory.mktemp("many"), lines)


@pytest.fixture(scope="module")
def by_one_process(many: str) -> dict[str, bytes]:
    found = {}
    for fmt in ("jsonl", "json", "table", "csv"):
        code, out, err = run(many, "--format", fmt, "--jobs", "1", "--at", "2025-06-01")
        assert code == 0, err
        found[fmt] = out
    return found


def test_contracts_come_in_contract_id_order_whatever_the_input_order(by_one_process: dict[str, bytes]) -> None:
    rulings = [json.loads(line) for line in by_one_process["jsonl"].splitlines()]
    order = list(dict.fromkeys(r["contract"] for r in rulings))
    assert order == sorted(order) and len(order) == 40
    assert json.loads(by_one_process["json"]) == rulings


@pytest.mark.parametrize("fmt", ["jsonl", "json", "table", "csv"])
def test_worker_processes_give_the_same_bytes(many: str, by_one_process: dict[str, bytes], fmt: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawned workers here (this test process may run other tests' threads); forked ones in the next test.
    monkeypatch.setattr(bulk, "_start", lambda: "spawn")
    code, out, err = run(many, "--format", fmt, "--jobs", "2", "--at", "2025-06-01")
    assert code == 0, err
    assert out == by_one_process[fmt]


def test_forked_worker_processes_give_the_same_bytes(many: str, by_one_process: dict[str, bytes]) -> None:
    # the command as a user runs it: one thread when its workers start, so they are forked
    done = subprocess.run([KIYAKU, "evaluate", many, "--format", "jsonl", "--jobs", "2", "--at", "2025-06-01"],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == by_one_process["jsonl"]


def _killed(part: int, shipped: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_is_a_located_error() -> None:
    with bulk.Workers(None, jobs=2) as workers, pytest.raises(InputError) as caught:
        list(workers.run(range(4), _killed))
    assert str(caught.value).startswith("--jobs: a worker process ended abruptly")


def test_a_dask_cluster_gives_the_same_bytes(many: str, by_one_process: dict[str, bytes]) -> None:
    from distributed import LocalCluster

    from distributed import Client

    def judges_here() -> int:
        import gc

        from kiyaku.replay.judge import Judge
        return sum(isinstance(o, Judge) for o in gc.get_objects())

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        code, out, err = run(many, "--format", "jsonl", "--at", "2025-06-01", "--scheduler", cluster.scheduler_address)
        held = client.run(judges_here)
    assert code == 0, err
    assert out == by_one_process["jsonl"]
    # Several parts went to each worker; each built one judge for the run and kept it, not one a part.
    assert len(list(bulk.parts(None, index(file_inputs([Path(many)]), []), 1))) >= 4
    assert all(n <= 1 for n in held.values()), held


def test_a_cluster_that_does_not_answer_is_a_located_error(many: str) -> None:
    code, out, err = run(many, "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and out == b""
    assert "no Dask scheduler answers at tcp://127.0.0.1:9" in err


def test_a_bad_event_late_in_the_input_leaves_stdout_empty(tmp_path: Path) -> None:
    lines = [e for n in range(30) for e in contract(n)]
    lines.append({"contract": "K0029", "time": "2025-02-30", "type": "payment_demand", "invoice": "I0"})
    path = write(tmp_path, lines)
    for jobs in ("1", "2"):
        code, out, err = run(path, "--format", "jsonl", "--jobs", jobs)
        assert code == 2 and out == b""
        assert f"{path}:{len(lines)}: field time" in err


def test_contract_keeps_only_that_contracts_records(many: str) -> None:
    found = index(file_inputs([Path(many)]), [], only="K0007")
    assert [c.contract for c in found] == ["K0007"]
    assert found[0].events == len(contract(7))
    code, out, _ = run(many, "--format", "jsonl", "--contract", "K0007")
    assert code == 0 and {json.loads(line)["contract"] for line in out.splitlines()} == {"K0007"}


def test_contract_with_no_events_says_so(many: str) -> None:
    code, out, err = run(many, "--contract", "NOPE")
    assert code == 2 and out == b""
    assert "no events for contract 'NOPE'" in err


def test_a_contract_spread_over_the_input_is_checked_whole(tmp_path: Path) -> None:
    # its payment comes in a later run of records than its invoice: not a payment for an unknown invoice
    a, b = contract(3), contract(2)
    path = write(tmp_path, a[:-1] + b + a[-1:])
    assert a[-1]["type"] == "payment"
    code, out, err = run(path, "--format", "jsonl")
    assert code == 0, err
    # and a real problem in a spread contract is found, once
    bad = dict(a[-1], invoice="NOPE")
    path = write(tmp_path, a[:-1] + b + [bad], "bad.jsonl")
    code, out, err = run(path, "--format", "jsonl", "--keep-going")
    assert code == 1 and err.count("payment for unknown invoice 'NOPE' of contract K0003") == 1
    contracts = {json.loads(line)["contract"] for line in out.splitlines()}
    assert contracts == {"K0002", "K0003"}  # the rest of K0003 was evaluated


def test_the_table_has_a_summary_line_per_contract_and_what_applies(by_one_process: dict[str, bytes],
                                                                    many: str) -> None:
    table = by_one_process["table"].decode()
    rulings = [json.loads(line) for line in by_one_process["jsonl"].splitlines()]
    first = [r for r in rulings if r["contract"] == "K0000"]
    applies = sum(r["outcome"] not in ("not_grounds", "undetermined") for r in first)
    undetermined = sum(r["outcome"] == "undetermined" for r in first)
    unmet = sum(r["outcome"] == "not_grounds" for r in first)
    summary = (f"K0000 — smacom (version {first[0]['version_label']}): {applies} appl{'ies' if applies == 1 else 'y'}, "
               f"{undetermined} undetermined, {unmet} do not apply")
    assert summary in table.splitlines()
    assert table.count(" — ") == 40  # one summary line per contract
    assert "not_grounds" not in table
    code, out, _ = run(many, "--contract", "K0000", "--all-grounds", "--at", "2025-06-01")
    assert code == 0 and out.decode().count("not_grounds") == unmet


def test_csv_has_one_row_per_ruling(by_one_process: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(by_one_process["csv"].decode())))
    rulings = [json.loads(line) for line in by_one_process["jsonl"].splitlines()]
    assert len(rows) == len(rulings)
    assert [(r["contract"], r["ground"], r["outcome"], r["citations"]) for r in rows] == \
        [(r["contract"], r["ground"], r["outcome"], " ".join(r["citations"])) for r in rulings]


def test_parts_hold_contracts_in_order_and_several_per_worker(many: str) -> None:
    located = index(file_inputs([Path(many)]), [])
    work = list(bulk.parts(file_inputs([Path(many)]), located, jobs=2))
    assert [c for p in work for c in p.contracts] == located
    assert len(work) >= 8


def test_parts_shared_out_shrink_toward_the_end_so_no_worker_is_left_alone_with_a_whole_one() -> None:
    contracts = [SimpleNamespace(contract=f"C{n:05d}", events=20) for n in range(10_000)]  # 200,000 events
    shared = list(bulk.parts(None, contracts, jobs=2))
    assert [c for p in shared for c in p.contracts] == contracts
    # Worked by hand: 4,000 events a part until fewer than 16,000 are left (2 workers x 2 parts x 4,000);
    # then a quarter of what is left (rounded up to whole 20-event contracts), down to 250, and the rest.
    assert [sum(c.events for c in p.contracts) for p in shared] == \
        [4000] * 47 + [3000, 2260, 1700, 1260, 960, 720, 540, 400, 300, 260, 260, 260, 80]
    # in one process nothing waits for another: parts keep their size
    assert {sum(c.events for c in p.contracts) for p in bulk.parts(None, contracts, jobs=1)} == {bulk.PART_EVENTS}


def test_the_store_shared_out_over_worker_processes_gives_the_same_bytes(many: str, tmp_path: Path,
                                                                         by_one_process: dict[str, bytes]) -> None:
    db = str(tmp_path / "kiyaku.db")
    assert CliRunner().invoke(main, ["ingest", "--db", db, many]).exit_code == 0
    outputs = set()
    for jobs in ("1", "2"):
        code, out, err = run("--db", db, "--format", "jsonl", "--jobs", jobs, "--at", "2025-06-01")
        assert code == 0, err
        outputs.add(out)
    assert outputs == {by_one_process["jsonl"]}  # the same events, from files or from the store


def test_standard_input_is_read_twice_from_a_copy(many: str, by_one_process: dict[str, bytes]) -> None:
    result = CliRunner().invoke(main, ["evaluate", "-", "--format", "jsonl", "--jobs", "2", "--at", "2025-06-01"],
                                input=Path(many).read_bytes())
    assert result.exit_code == 0, result.stderr
    # the same rulings, their source named <stdin> (for the file, and in made-up event ids for its base name)
    assert result.stdout_bytes == \
        by_one_process["jsonl"].replace(many.encode(), b"<stdin>").replace(b"@events.jsonl:", b"@<stdin>:")


def test_a_cluster_is_not_given_standard_input(many: str) -> None:
    result = CliRunner().invoke(main, ["evaluate", "-", "--scheduler", "tcp://127.0.0.1:9"],
                                input=Path(many).read_bytes())
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert "<stdin>: a cluster's workers cannot read what was given on standard input" in result.stderr
