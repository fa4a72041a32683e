"""The first pass over a large JSON Lines file, shared out: the file cut between lines into pieces that
worker processes check side by side gives the same index (contracts, where their records lie, what was
refused) and the same problems, in the same order, as reading it here, whatever the cuts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiyaku import definitions
from kiyaku.cli import main
from kiyaku.errors import InputError
from kiyaku.replay import bulk, streams
from kiyaku.replay.streams import file_inputs, index
from kiyaku.textio import MAX_LINE, line_starts

ROOT = Path(__file__).resolve().parent.parent


def contract(n: int, agreement: str = "smacom") -> list[dict[str, Any]]:
    cid = f"P{n:03d}"
    return [{"contract": cid, "agreement": agreement, "time": "2025-01-01", "type": "application",
             "technically_difficult": False},
            {"contract": cid, "time": "2025-01-01", "type": "service_started"},
            {"contract": cid, "time": "2025-02-01", "type": "invoice", "id": "I1", "amount": 6578,
             "due_date": "2025-02-28"},
            {"contract": cid, "time": "2025-02-20", "type": "payment", "invoice": "I1", "amount": 6578}]


def lines_of(events: list[Any]) -> bytes:
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events).encode()


@pytest.fixture(scope="module")
def workers() -> bulk.Workers:
    with bulk.Workers(definitions.load(ROOT), jobs=2) as shared:
        yield shared


@pytest.fixture()
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of a few lines each, so that a small file is cut across runs, contracts and bad lines."""
    monkeypatch.setattr(streams, "SHARED", 1)
    monkeypatch.setattr(streams, "CHUNK", 400)


def both(paths: list[Path], workers: bulk.Workers, **options: Any) -> tuple[Any, Any]:
    """(contracts, problems) found reading here, then with the workers: each a value or the error raised."""
    found = []
    for shared in (None, workers):
        errors: list[Any] = []
        try:
            located = index(file_inputs(paths), errors, terms=workers.shipped[0], workers=shared, **options)
            found.append((located, errors))
        except InputError as exc:
            found.append(("raised", exc.findings))
    return found[0], found[1]


def test_line_starts_finds_the_line_that_begins_at_or_after_each_offset(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"ab\ncd\n\nef")  # lines begin at 0, 3, 6, 7
    assert line_starts(path, "f", [0, 1, 3, 4, 7, 9, 100]) == [(0, 1), (3, 2), (3, 2), (6, 3), (7, 4), (9, 4),
                                                               (9, 4)]


def test_grouped_contracts_cut_into_pieces_are_found_whole(tmp_path: Path, workers: bulk.Workers,
                                                           small_pieces: None) -> None:
    path = tmp_path / "grouped.jsonl"
    path.write_bytes(lines_of([e for n in range(30) for e in contract(n)]))
    here, shared = both([path], workers)
    assert here == shared
    located, errors = shared
    assert errors == [] and [c.contract for c in located] == [f"P{n:03d}" for n in range(30)]
    assert all(c.events == 4 and c.checked for c in located)
    # each contract's four lines, one span: the cuts between pieces do not split what lies together
    assert [(s.line, s.count) for s in located[7].spans] == [(29, 4)]


@pytest.mark.parametrize("keep_going", [True, False])
def test_bad_records_spread_contracts_and_unreadable_lines_give_the_same_problems(
        tmp_path: Path, workers: bulk.Workers, small_pieces: None, keep_going: bool) -> None:
    records: list[Any] = [e for n in reversed(range(20)) for e in contract(n)]  # contracts in reverse id order
    records[13] = dict(records[13], time="2025-02-30")  # an impossible date, line 14
    records.insert(40, "")  # a blank line
    records.insert(41, "[1, 2]")  # not an event object
    records.insert(50, json.dumps({"time": "2025-01-01", "type": "service_started"}))  # no contract
    records.append(dict(contract(3)[3], invoice="NOPE"))  # P003's payment for an unknown invoice, far from P003
    records.append(contract(5)[1])  # P005 given again later: its service starts twice
    path = tmp_path / "messy.jsonl"
    path.write_bytes(lines_of(records))
    here, shared = both([path], workers, keep_going=keep_going)
    assert here == shared
    if keep_going:
        located, errors = shared
        lines = sorted({f.line for f in errors})
        # the date, [1, 2], no contract, the unknown invoice; P016 lacks its service start, not its agreement
        assert lines == [14, 42, 51, len(records) - 1]
        assert len(located) == 20 and [c.contract for c in located if not c.checked] == ["P003", "P016"]
    else:
        assert shared[0] == "raised" and shared[1][0].line == 14

    # a line that is not UTF-8 ends the reading of its file, there: the pieces after it count for nothing
    data = lines_of(records).split(b"\n")
    data[60] = b'{"contract": "P009", "note": "\xff"}'
    path.write_bytes(b"\n".join(data))
    here, shared = both([path], workers, keep_going=keep_going)
    assert here == shared
    if keep_going:
        assert any("not UTF-8" in f.message and f.line == 61 for f in shared[1])
        assert max(s.line + s.count for c in shared[0] for s in c.spans) == 61  # nothing from line 61 on


RECORDS = [json.dumps(e) for n in range(15) for e in contract(n)]


@pytest.mark.parametrize("data, refused", [
    (("\r\n".join(RECORDS) + "\r\n").encode(), None),  # Windows line ends
    ("\n".join(RECORDS).encode(), None),  # no line end after the last record
    (("\ufeff" + "\n".join(RECORDS) + "\n").encode(), None),  # a byte-order mark
    (("\n".join(RECORDS[:20] + ['{"contract": "P001", "note": "' + "a" * MAX_LINE + '"}'] + RECORDS[20:]) + "\n").encode(),
     "21: the line is longer than 1 MiB"),  # ends the reading of the file: P005 to P014 are not found
    (("\n".join(RECORDS) + "\n").encode("utf-16"), "1: the file is UTF-16 text"),
], ids=["crlf", "no-last-newline", "bom", "endless-line", "utf-16"])
@pytest.mark.parametrize("keep_going", [True, False])
def test_files_of_every_shape_give_the_same_index_in_pieces(tmp_path: Path, workers: bulk.Workers, small_pieces: None,
                                                            data: bytes, refused: str | None, keep_going: bool) -> None:
    path = tmp_path / "shaped.jsonl"
    path.write_bytes(data)
    here, shared = both([path], workers, keep_going=keep_going)
    assert here == shared
    if refused is None:
        assert shared[1] == [] and len(shared[0]) == 15
    else:
        assert [f"{f.line}: {f.message}"[:len(refused)] for f in shared[1]] == [refused]
        if keep_going:
            assert len(shared[0]) == (5 if "longer" in refused else 0)


def test_only_one_contract_and_a_run_that_goes_on_into_the_next_file(tmp_path: Path, workers: bulk.Workers,
                                                                     small_pieces: None) -> None:
    events = [e for n in range(12) for e in contract(n, "abphone")]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(lines_of(events[:22]))  # P005's first two records end this file...
    second.write_bytes(lines_of(events[22:]))  # ...and its last two begin this one
    here, shared = both([first, second], workers)
    assert here == shared and shared[1] == []
    p005 = shared[0][5]
    assert p005.contract == "P005" and p005.events == 4 and [(s.input, s.line) for s in p005.spans] == [(0, 21), (1, 1)]
    here, shared = both([first, second], workers, only="P005")
    assert here == shared and [c.contract for c in shared[0]] == ["P005"]


def test_evaluate_gives_the_same_bytes_and_messages_with_the_first_pass_shared_or_on_a_cluster(tmp_path: Path,
                                                                              small_pieces: None) -> None:
    records: list[Any] = [e for n in range(24) for e in contract(n, ("smacom", "abphone", "ts-cloudphone")[n % 3])]
    records.insert(30, dict(records[30], amount=-5))  # a payment of -5 yen, line 31
    path = tmp_path / "events.jsonl"
    path.write_bytes(lines_of(records))
    from distributed import LocalCluster

    said = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for how in (["--jobs", "1"], ["--jobs", "2"], ["--scheduler", cluster.scheduler_address]):
            result = CliRunner().invoke(main, ["evaluate", str(path), "--format", "jsonl", *how,
                                               "--at", "2025-06-01", "--keep-going"])
            said.append((result.exit_code, result.stdout_bytes, result.stderr))
    assert said[0] == said[1] == said[2]
    code, out, err = said[1]
    assert code == 1 and f"{path}:31: field amount" in err
    assert len({json.loads(line)["contract"] for line in out.splitlines()}) == 24
