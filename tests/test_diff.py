"""`kiyaku diff`: the rulings a change of terms/ moves, attributed to the provision that changed.

Each test makes a scratch git repository holding a copy of terms/ and rules/ and a few scenario
cases of its own; the repository's working tree is never touched."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.change.diff import Change, Input, Move, attribute, render, run
from kiyaku.change.scenarios import Batch

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="kiyaku diff reads revisions with git")

CASES = """\
- name: A breach of 第35条 lets ts-cloudphone suspend for up to the maximum period
  events:
    - {contract: TS-7, agreement: ts-cloudphone, time: "2025-02-01", type: breach, id: B1, obligation: "ts-cloudphone:35.1"}
  expect:
    - {ground: shared.suspension.breach_of_use_obligations, outcome: may_suspend, period: {max_months: 6}}

- name: ts-cloudphone may suspend after a payment demand, with no maximum period
  as_of: "2025-06-10"
  events:
    - {contract: TS-1, agreement: ts-cloudphone, time: "2025-05-01", type: invoice, id: I1, amount: 11000, due_date: "2025-05-31"}
    - {contract: TS-1, time: "2025-06-05T10:00", type: payment_demand, invoice: I1}
  expect:
    - {ground: shared.suspension.unpaid_after_demand, outcome: may_suspend}

- name: A breach of 第35条 lets abphone suspend, under its own parameters
  events:
    - {contract: AB-7, agreement: abphone, time: "2025-02-01", type: breach, id: B1, obligation: "abphone:35.1"}
  expect:
    - {ground: shared.suspension.breach_of_use_obligations, outcome: may_suspend}
"""

STREAM = '{"contract": "TS-9", "agreement": "ts-cloudphone", "time": "2016-06-01", "type": "related_service_suspended"}\n'


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIYAKU_CACHE", str(tmp_path / "cache"))
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "terms", repo / "terms")
    shutil.copytree(ROOT / "rules", repo / "rules")
    (repo / "tests" / "scenarios").mkdir(parents=True)
    (repo / "tests" / "scenarios" / "cases.yaml").write_text(CASES, "utf-8")
    (repo / "examples").mkdir()
    (repo / "examples" / "related.jsonl").write_text(STREAM, "utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def edit(path: Path, old: str, new: str, after: str = "") -> None:
    text = path.read_text("utf-8")
    start = text.index(after) if after else 0
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old):], "utf-8")


def diff(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", "--root", str(repo), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def moved(doc: dict) -> set[tuple[str, str, str]]:
    return {(r["case"] or r["input"], r["contract"], r["ground"]) for g in doc["groups"] for r in g["rulings"]}


def test_a_parameter_change_is_attributed_to_the_provision_it_cites(repo: Path) -> None:
    edit(repo / "terms" / "ts-cloudphone" / "parameters.yaml", '"2015-11-01": 6', '"2015-11-01": 3',
         after="suspension.max_months:")
    edit(repo / "terms" / "ts-cloudphone" / "provisions.yaml", "text_ja: 当社は", "text_ja: 当社は、",
         after="id: ts-cloudphone:23.3")
    status = git(repo, "status", "--porcelain")

    report = run(repo)
    doc = json.loads(render(report, "json"))
    assert moved(doc) == {
        ("A breach of 第35条 lets ts-cloudphone suspend for up to the maximum period", "TS-7",
         "shared.suspension.breach_of_use_obligations"),
        ("examples/related.jsonl", "TS-9", "shared.suspension.related_service_suspended"),
    }
    (group,) = doc["groups"]
    assert group["provisions"] == [{"id": "ts-cloudphone:23.1", "title": "第23条第1項（利用停止）"}]
    assert [(c["kind"], c["name"], c["agreement"], c["detail"]) for c in group["causes"]] == [
        ("parameter", "suspension.max_months", "ts-cloudphone", ["from 2015-11-01: 6 → 3"])]
    assert {json.dumps(r["fields"]) for r in group["rulings"]} == {
        json.dumps({"period": {"base": {"max_months": 6}, "head": {"max_months": 3}}})}
    assert [(c["kind"], c["name"], c["detail"]) for c in doc["text_only"]] == [
        ("provision", "ts-cloudphone:23.3", ["text_ja changed"])]
    assert doc["unmoved"] == [] and doc["unattributed"] == [] and doc["errors"] == []
    assert doc["counts"]["changed"] == 2 and doc["counts"]["scenario_cases"] == 3

    code, table = diff(repo)
    assert code == 0
    assert "ts-cloudphone:23.1 第23条第1項（利用停止）\n  parameter suspension.max_months of ts-cloudphone " \
           "(terms/ts-cloudphone/parameters.yaml:" in table
    assert "Changed in text only:\n  provision ts-cloudphone:23.3" in table
    assert table.splitlines()[-1].startswith("2 ruling(s) changed, 0 appeared, 0 disappeared")

    md = render(report, "md")
    assert "#### ts-cloudphone:23.1 第23条第1項（利用停止）" in md
    assert "| changed | examples/related.jsonl | TS-9 | `shared.suspension.related_service_suspended` | " \
           'period: {"max_months": 6} → {"max_months": 3} |' in md

    assert diff(repo, "--fail-on", "changed")[0] == 1
    assert (report.fails("changed"), report.fails("removed"), report.fails("any"), report.fails(None)) == \
        (True, False, True, False)
    assert git(repo, "status", "--porcelain") == status  # the working tree is only read


def test_revisions_are_exported_not_checked_out(repo: Path) -> None:
    rules = repo / "rules" / "shared" / "suspension.yaml"
    edit(rules, "cites:\n      ts-cloudphone: [ts-cloudphone:23.2]", "cites:\n      ts-cloudphone: [ts-cloudphone:23.2, ts-cloudphone:23]")
    git(repo, "commit", "-q", "-am", "cite the article too")
    edit(repo / "terms" / "abphone" / "parameters.yaml", '"2015-01-01": 6', '"2015-01-01": 1',
         after="suspension.max_months:")  # uncommitted: not part of HEAD~1..HEAD
    code, out = diff(repo, "HEAD~1", "HEAD", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    # the ground met moves, and so do the citations of the same ground not met for the other contracts
    assert moved(doc) == {
        ("ts-cloudphone may suspend after a payment demand, with no maximum period", "TS-1",
         "shared.suspension.unpaid_after_demand"),
        ("A breach of 第35条 lets ts-cloudphone suspend for up to the maximum period", "TS-7",
         "shared.suspension.unpaid_after_demand"),
        ("examples/related.jsonl", "TS-9", "shared.suspension.unpaid_after_demand"),
    }
    (group,) = doc["groups"]
    assert [p["id"] for p in group["provisions"]] == ["ts-cloudphone:23.2", "ts-cloudphone:23"]
    assert [(c["kind"], c["name"]) for c in group["causes"]] == [("rule", "shared.suspension.unpaid_after_demand")]
    assert doc["unmoved"] == [] and doc["text_only"] == []  # the uncommitted change is not in HEAD
    assert git(repo, "status", "--porcelain").strip() == "M terms/abphone/parameters.yaml"


def test_an_unknown_revision_is_an_input_error(repo: Path) -> None:
    code, out = diff(repo, "no-such-branch")
    assert code == 2
    assert "no-such-branch: unknown revision 'no-such-branch'" in out


# --- attribution, on rulings as the money rules will give them --------------------------------------

def move(agreement: str, ground: str, cites: list[str], amounts: tuple[int, int]) -> Move:
    base = {"agreement": agreement, "ground": ground, "outcome": "owed", "citations": cites, "amount": amounts[0],
            "arithmetic": [{"label": "x", "cites": cites}]}
    head = dict(base, amount=amounts[1])
    inp = Input("case", "money.yaml", 1, "case", Batch("money.yaml", (), None))
    return Move("changed", inp, "C", agreement, ground, "surcharge",
                {"amount": {"base": amounts[0], "head": amounts[1]}}, base, head)


class Book:
    clocks: list = []
    derivations: list = []
    grounds: list = []


def test_money_rulings_are_attributed_to_the_parameters_they_cite() -> None:
    multiplier = Change("parameter", "surcharge.multiplier", "abphone", ["from 2015-01-01: 5 → 2"],
                        provisions=("abphone:29.1",))
    threshold = Change("parameter", "liability.outage_threshold_hours", "ts-cloudphone", ["8 → 12"],
                       provisions=("ts-cloudphone:33.1",))
    wording = Change("provision", "abphone:30.1", "abphone", ["text_ja changed"], text_only=True,
                     provisions=("abphone:30.1",))
    surcharge = move("abphone", "abphone.surcharge.evaded", ["abphone:29.1"], (55000, 22000))
    liability = move("ts-cloudphone", "shared.liability.outage", ["ts-cloudphone:33.2", "ts-cloudphone:33"],
                     (3000, 0))
    groups, unattributed, used = attribute([surcharge, liability], [multiplier, threshold, wording], (Book(), Book()))
    assert [(g.provisions, [c.name for c in g.causes], [m.ground for m in g.moves], g.inferred) for g in groups] == [
        (("abphone:29.1",), ["surcharge.multiplier"], ["abphone.surcharge.evaded"], False),
        (("ts-cloudphone:33.1",), ["liability.outage_threshold_hours"], ["shared.liability.outage"], False),
    ]
    assert unattributed == [] and used == {id(multiplier), id(threshold)}


def test_a_ruling_no_change_reaches_is_inferred_only_when_one_change_could_have_moved_it() -> None:
    far = move("abphone", "abphone.surcharge.evaded", ["abphone:29.1"], (55000, 22000))
    one = Change("parameter", "tax.rounding", "abphone", ["up → down"], provisions=("abphone:tariff-general.3",))
    groups, unattributed, _ = attribute([far], [one], (Book(), Book()))
    assert [(g.provisions, g.inferred) for g in groups] == [(("abphone:tariff-general.3",), True)]
    two = Change("parameter", "late_interest.annual_rate", "abphone", ["14.6 → 14.5"], provisions=("abphone:30.1",))
    groups, unattributed, _ = attribute([far], [one, two], (Book(), Book()))
    assert groups == [] and [[c.name for c in g.causes] for g in unattributed] == [["tax.rounding",
                                                                                    "late_interest.annual_rate"]]


def shorter_suspensions_and_breaches(repo: Path, tmp_path: Path) -> Path:
    """ts-cloudphone's maximum suspension cut from 6 to 3 months in the working tree, and an events file
    of 30 contracts each with a breach of 第35条 (a ground of suspension whose period that bounds)."""
    edit(repo / "terms" / "ts-cloudphone" / "parameters.yaml", '"2015-11-01": 6', '"2015-11-01": 3',
         after="suspension.max_months:")
    events = tmp_path / "breaches.jsonl"
    events.write_text("".join(
        json.dumps({"contract": f"TS-{n:03d}", "agreement": "ts-cloudphone", "time": "2025-02-01", "type": "breach",
                    "id": "B1", "obligation": "ts-cloudphone:35.1"}) + "\n" for n in range(30)), "utf-8")
    return events


def test_a_large_events_file_is_compared_contract_by_contract_in_worker_processes(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiyaku.replay import bulk

    events = shorter_suspensions_and_breaches(repo, tmp_path)
    alone = json.loads(render(run(repo, events=[events], examples=[]), "json"))
    monkeypatch.setattr(bulk, "ALONE", 0)  # share out even a small file
    shared = json.loads(render(run(repo, events=[events], examples=[], jobs=2), "json"))
    assert shared == alone
    by_events = {r["contract"] for g in shared["groups"] for r in g["rulings"] if r["input"] == str(events)}
    assert by_events == {f"TS-{n:03d}" for n in range(30)}  # each one's maximum period moved from 6 to 3 months


def test_the_case_store_is_compared_contract_by_contract_as_an_events_file_is(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kiyaku.replay import bulk

    events = shorter_suspensions_and_breaches(repo, tmp_path)
    db = str(tmp_path / "kiyaku.db")
    assert CliRunner().invoke(main, ["ingest", str(events), "--db", db]).exit_code == 0
    monkeypatch.setattr(bulk, "ALONE", 0)  # share out even a small store
    doc = json.loads(render(run(repo, examples=[], scenarios=[], db=db, jobs=2), "json"))
    rows = [r for g in doc["groups"] for r in g["rulings"]]
    # Each contract's maximum suspension period (ts-cloudphone 第23条第1項) moved from 6 to 3 months.
    assert {r["contract"] for r in rows} == {f"TS-{n:03d}" for n in range(30)} and {r["input"] for r in rows} == {db}
    assert {json.dumps(r["fields"]) for r in rows} == {
        json.dumps({"period": {"base": {"max_months": 6}, "head": {"max_months": 3}}})}
    assert doc["counts"]["stores"] == 1 and doc["counts"]["event_files"] == 0 and doc["errors"] == []
    code, table = diff(repo, "--db", db, "--examples", str(tmp_path / "none"), "--scenarios", str(tmp_path / "none"))
    assert code == 0 and "(evaluated 0 scenario case(s) and 0 event file(s) and the case store: " in table
