"""The benchmark of bulk evaluation: synthetic contract streams, events per second, peak memory.

    python bench/run.py [--contracts 10000 100000] [--long 20 1000 10000 100000] [--skip ...]

Prints, in one run:
  1. `kiyaku evaluate FILE --format jsonl` (output to /dev/null) on 10,000 and 100,000 contracts
     (about 20 events each, grouped by contract, the three agreements in turn): wall time, events per
     second and peak memory (summed over the processes that evaluate: kiyaku and its workers), at
     --jobs 1, --jobs 2 and on a two-worker Dask LocalCluster;
  2. side by side on the 10,000-contract input: the whole command, then the same facts sent by the
     same compiled rules through durable_rules' own Host path, through kiyaku's inference adapter
     alone, and the reading and validating of the input alone (its first pass), in one process and
     shared over two;
  3. one contract of 20, 1,000, 10,000 and 100,000 events: time per event to read, evaluate and
     write it (in one process, start-up excluded), in a first run and run again: first runs, compared
     with one another, are flat when the cost is linear;
  4. `kiyaku ask can-suspend` on one contract of 5,000 events, the whole process.
The machine these run on is shared: quote medians of repeated runs on a quiet one. Figures go into
the closing notes; no test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
AGREEMENTS = ("smacom", "ts-cloudphone", "abphone")
KIYAKU = [sys.executable, "-c", "from kiyaku.cli import main; main()"]
AT = "2026-01-01T00:00"  # one as-of time for every run, after every synthetic history: the same work each day


def _month(start: date, n: int) -> date:
    year, month = divmod(start.month - 1 + n, 12)
    return date(start.year + year, month + 1, 1)


def contract(n: int, events: int, rnd: random.Random) -> Iterator[dict[str, Any]]:
    """One contract's history: start, monthly invoices paid on time, late or not at all, demands,
    breaches and their remedies, and the provider's own actions — the facts the rules join on."""
    cid, agreement = f"C{n:07d}", AGREEMENTS[n % 3]
    start = date(2024, 1, 1) + timedelta(days=rnd.randrange(300))
    yield {"contract": cid, "agreement": agreement, "time": start.isoformat(), "type": "application",
           "technically_difficult": False}
    yield {"contract": cid, "time": start.isoformat(), "type": "service_started"}
    produced, month = 2, 0
    while produced < events:
        billed = _month(start, month + 1)
        due = _month(start, month + 2) - timedelta(days=1)
        inv = f"I{month}"
        yield {"contract": cid, "time": billed.isoformat(), "type": "invoice", "id": inv, "amount": 6578,
               "due_date": due.isoformat()}
        produced += 1
        luck = rnd.random()
        if luck < 0.7:
            yield {"contract": cid, "time": (due - timedelta(days=3)).isoformat(), "type": "payment",
                   "invoice": inv, "amount": 6578}
            produced += 1
        elif luck < 0.9:
            yield {"contract": cid, "time": (due + timedelta(days=5)).isoformat(), "type": "payment_demand",
                   "invoice": inv}
            yield {"contract": cid, "time": (due + timedelta(days=12)).isoformat(), "type": "payment",
                   "invoice": inv, "amount": 6578}
            produced += 2
        else:
            breach = f"B{month}"
            obligation = "smacom:31.1" if agreement == "smacom" else f"{agreement}:35.1"
            yield {"contract": cid, "time": (billed + timedelta(days=2)).isoformat(), "type": "breach",
                   "id": breach, "obligation": obligation, "significant_hindrance": False}
            yield {"contract": cid, "time": (billed + timedelta(days=9)).isoformat(), "type": "breach_remedied",
                   "breach": breach}
            produced += 2
        month += 1


def long_contract(events: int, seed: int = 5) -> list[dict[str, Any]]:
    """One ts-cloudphone contract of about `events` events from 2016 (its terms are held from 2015-11):
    an invoice every day (so that 100,000 events stay within two centuries), paid on time, late after
    a demand, or left unpaid."""
    rnd = random.Random(seed)
    start = date(2016, 1, 1)
    out = [{"contract": "LONG", "agreement": "ts-cloudphone", "time": start.isoformat(), "type": "application",
            "technically_difficult": False},
           {"contract": "LONG", "time": start.isoformat(), "type": "service_started"}]
    day = 0
    while len(out) < events:
        day += 1
        billed = start + timedelta(days=day)
        due = billed + timedelta(days=30)
        inv = f"I{day}"
        out.append({"contract": "LONG", "time": billed.isoformat(), "type": "invoice", "id": inv, "amount": 6578,
                    "due_date": due.isoformat()})
        luck = rnd.random()
        if luck < 0.8:
            out.append({"contract": "LONG", "time": (due - timedelta(days=3)).isoformat(), "type": "payment",
                        "invoice": inv, "amount": 6578})
        elif luck < 0.9:
            out.append({"contract": "LONG", "time": (due + timedelta(days=5)).isoformat(), "type": "payment_demand",
                        "invoice": inv})
            out.append({"contract": "LONG", "time": (due + timedelta(days=12)).isoformat(), "type": "payment",
                        "invoice": inv, "amount": 6578})
    return sorted(out[:events], key=lambda e: e["time"])


def write_input(path: Path, contracts: int, events: int, seed: int = 7) -> int:
    """Write the streams to `path`; return how many events were written."""
    rnd = random.Random(seed)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for n in range(contracts):
            # Sorted by time (stable), so the input is grouped by contract and in time order.
            for event in sorted(contract(n, events, rnd), key=lambda e: e["time"]):
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
                count += 1
    return count


# --- memory of a tree of processes -----------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            found.setdefault(parent, []).append(int(entry))
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class PeakMemory(threading.Thread):
    """The largest sum of resident memory of a process, its descendants and some other processes (a
    cluster's workers), sampled ten times a second."""

    def __init__(self, pid: int, others: tuple[int, ...] = ()) -> None:
        super().__init__(daemon=True)
        self.pid, self.others, self.peak, self.done = pid, others, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree, todo = set(self.others), [self.pid]
            children = _children()
            while todo:
                pid = todo.pop()
                tree.add(pid)
                todo.extend(children.get(pid, ()))
            self.peak = max(self.peak, sum(_rss(p) for p in tree))
            self.done.wait(0.1)


def measure(command: list[str], others: tuple[int, ...] = ()) -> tuple[float, int]:
    """Wall seconds and peak memory (bytes, summed over its processes) of one command."""
    started = time.perf_counter()
    said = tempfile.TemporaryFile()  # the as-of line evaluate states, and any error, shown only on failure
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=said)
    memory = PeakMemory(child.pid, others)
    memory.start()
    code = child.wait()
    wall = time.perf_counter() - started
    memory.done.set()
    memory.join()
    if code != 0:
        said.seek(0)
        sys.exit(f"{' '.join(command)} exited {code}: {said.read().decode(errors='replace')}")
    return wall, memory.peak


def evaluate_runs(path: Path, cluster: bool) -> Iterator[tuple[str, float, int]]:
    base = [*KIYAKU, "evaluate", str(path), "--format", "jsonl", "--at", AT, "--root", str(ROOT)]
    for jobs in ("1", "2"):
        yield f"--jobs {jobs}", *measure([*base, "--jobs", jobs])
    if cluster:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                Client(lc) as client:
            workers = tuple(client.run(os.getpid).values())
            yield "LocalCluster, 2 workers", *measure([*base, "--scheduler", lc.scheduler_address], workers)


# --- side by side: the same facts through durable's Host, through kiyaku's adapter --------------------------

def record_facts(path: Path, into: Path) -> None:
    """In a child: evaluate `path`, recording every fact the evaluator sends to the inference engine."""
    code = f"""
import pickle, sys
from pathlib import Path
from kiyaku import replay
replay.run_sources()  # the sources, which this patches
from kiyaku.replay import inference
from kiyaku.replay.judge import Judge
from kiyaku.replay.streams import streams
from kiyaku.times import read_time
sent = []
original = inference.RuleEngine.session
def session(self, ruleset, key, expect=None):
    sent.append((ruleset, dict(expect or {{}}), []))
    return original(self, ruleset, key, expect)
inference.RuleEngine.session = session
assert_fact = inference.Session.assert_fact
def record(self, fact):
    sent[-1][2].append(dict(fact))
    return assert_fact(self, fact)
inference.Session.assert_fact = record
with Judge(Path({str(ROOT)!r})) as judge:
    for stream in streams([Path({str(path)!r})], []):
        judge.evaluated(stream, read_time({AT!r}))
pickle.dump(sent, open({str(into)!r}, "wb"))
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def replay_facts(mode: str, facts: Path) -> dict[str, Any]:
    """In a child: send the recorded facts through durable's Host or kiyaku's adapter, timed."""
    code = f"""
import copy, json, pickle, time
from pathlib import Path
from kiyaku import definitions
from kiyaku.rules.compiler import compile_rules
sent = pickle.load(open({str(facts)!r}, "rb"))
terms, book = definitions.load(Path({str(ROOT)!r}))
rules = {{a: compile_rules(book, a)[0] for a in {list(AGREEMENTS)!r}}}
fired = 0
if {mode!r} == "host":
    from durable import engine
    def count(c):
        global fired
        fired += 1
    class QuietHost(engine.Host):
        def get_action(self, name):
            return count
        def _run(self):  # no background dispatcher thread
            pass
    host = QuietHost()
    host.set_rulesets({{a: {{n: dict(r, run="count") for n, r in rs.items()}} for a, rs in copy.deepcopy(rules).items()}})
    start = time.perf_counter()
    for n, (agreement, _, messages) in enumerate(sent):
        sid = str(n + 1)
        for m in messages:
            try:
                host.assert_fact(agreement, dict(m, sid=sid))
            except engine.MessageNotHandledException:
                pass
        host.delete_state(agreement, sid)
else:
    from kiyaku.replay.inference import RuleEngine
    engines = {{a: RuleEngine({{a: r}}, build=False) for a, r in rules.items()}}
    start = time.perf_counter()
    for n, (agreement, expect, messages) in enumerate(sent):
        with engines[agreement].session(agreement, str(n), expect) as s:
            for m in messages:
                fired += len(s.assert_fact(m))
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "facts": sum(len(m) for _, _, m in sent), "fired": fired}}))
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
    return json.loads(done.stdout)


def first_pass(path: Path, jobs: int = 1) -> float:
    """Seconds to read and validate the input alone (the first pass), in a child; with `jobs` worker
    processes (started in that time), as `kiyaku evaluate --jobs` shares it out."""
    code = f"""
import time
from pathlib import Path
from kiyaku import definitions
from kiyaku.replay import bulk
from kiyaku.replay.streams import file_inputs, index
shipped = definitions.load(Path({str(ROOT)!r}))
start = time.perf_counter()
with bulk.Workers(shipped, {jobs}) as workers:
    index(file_inputs([Path({str(path)!r})]), [], terms=shipped[0], workers=workers)
print(time.perf_counter() - start)
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
    return float(done.stdout)


# --- one contract, longer and longer -------------------------------------------------------------------------

def one_contract(path: Path, warm_up: Path) -> tuple[float, float | None, int]:
    """Seconds to read, evaluate and write (JSON Lines) the one contract in `path`, start-up excluded, in
    one child process that has first evaluated the short contract in `warm_up` (imports, validators,
    durable's rulesets: what any first contract pays once): its first run, then the best of two more
    (none for a long contract, which runs once); and the child's peak RSS. Compare first runs with
    first runs: run again, a contract finds its memory already mapped and its times already read."""
    code = f"""
import time
from pathlib import Path
from kiyaku import definitions
from kiyaku.answers.table import Rendering
from kiyaku.replay import bulk
from kiyaku.replay.streams import Files, file_inputs, index
shipped = definitions.load(Path({str(ROOT)!r}))

def run(path):
    inputs = file_inputs([path])
    start = time.perf_counter()
    for part in bulk.parts(Files(tuple(inputs)), index(inputs, [])):
        Rendering("jsonl")(part, shipped)
    return time.perf_counter() - start

run(Path({str(warm_up)!r}))
took = []
while len(took) < 3 and sum(took) < 5:
    took.append(run(Path({str(path)!r})))
# its own peak RSS; not getrusage's, which Linux carries over exec from the benchmark that started it
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(took[0], min(took[1:], default=0), peak)
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True, text=True)
    first, again, rss = done.stdout.split()
    return float(first), float(again) or None, int(rss)


def ask_times(path: Path, contract_id: str, at: str, runs: int = 3) -> list[float]:
    script = Path(sys.executable).with_name("kiyaku")
    command = [str(script) if script.exists() else "kiyaku", "ask", "can-suspend", str(path), "--contract",
               contract_id, "--at", at, "--root", str(ROOT)]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return sorted(times)


# --- the run ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--events", type=int, default=20, help="events per contract (about)")
    parser.add_argument("--long", type=int, nargs="+", default=[20, 1_000, 10_000, 100_000],
                        help="sizes of the one-contract inputs")
    parser.add_argument("--skip", nargs="*", default=[], choices=["cluster", "side", "long", "ask"],
                        help="leave parts out")
    parser.add_argument("--keep", type=Path, help="write the inputs here instead of a temporary folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kiyaku-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    # the figures depend on the builds: durable_rules (vendor/durable_rules), the replay (tools/compile.py)
    from kiyaku import replay

    replayed = "compiled" if replay.is_compiled() else "not compiled: its sources run"
    print(f"python {sys.version.split()[0]}, durable_rules {version('durable_rules')}, replay {replayed}, "
          f"{os.cpu_count()} cores; inputs in {folder}")
    print(f"\nkiyaku evaluate --format jsonl, whole process\n{'contracts':>10} {'events':>10}  {'how':<24}"
          f"{'seconds':>8} {'events/s':>9} {'peak RSS':>9} {'vs --jobs 1':>12}")
    sizes, alone = {}, {}
    for n in args.contracts:
        path = folder / f"streams-{n}.jsonl"
        sizes[n] = path, write_input(path, n, args.events)
        for how, wall, rss in evaluate_runs(path, "cluster" not in args.skip):
            alone.setdefault(n, wall)
            print(f"{n:>10,} {sizes[n][1]:>10,}  {how:<24}{wall:>8.1f} {sizes[n][1] / wall:>9,.0f} "
                  f"{rss / 2**20:>6.0f} MB {alone[n] / wall:>11.2f}x", flush=True)

    if "side" not in args.skip:
        n = min(sizes)
        path, count = sizes[n]
        facts = folder / f"facts-{n}.pickle"
        record_facts(path, facts)
        print(f"\nside by side, {n:,} contracts ({count:,} events), one process")
        print(f"  {'kiyaku evaluate --jobs 1, whole process (above)':<58}{count / alone[n]:>9,.0f} events/s")
        for mode, label in (("host", "the same facts, same rules, durable_rules' own Host path"),
                            ("adapter", "the same facts, same rules, kiyaku's inference adapter")):
            done = replay_facts(mode, facts)
            print(f"  {label:<58}{count / done['seconds']:>9,.0f} events/s  ({done['facts']:,} facts, "
                  f"{done['fired']:,} firings)", flush=True)
        print(f"  {'reading and validating the input alone (first pass)':<58}{count / first_pass(path):>9,.0f} events/s")
        print(f"  {'the same, shared over 2 worker processes (--jobs 2)':<58}{count / first_pass(path, 2):>9,.0f} events/s")

    if "long" not in args.skip:
        print("\none contract, read, evaluated and written (start-up excluded): a first run, and run again in the "
              "same process")
        warm_up = folder / "long-warm-up.jsonl"
        warm_up.write_text("".join(json.dumps(e) + "\n" for e in long_contract(20, seed=3)), "utf-8")
        for events in args.long:
            path = folder / f"long-{events}.jsonl"
            stream = long_contract(events)
            path.write_text("".join(json.dumps(e) + "\n" for e in stream), "utf-8")
            first, again, rss = one_contract(path, warm_up)
            warm = f"{again / events * 1e6:>7.1f}" if again else f"{'-':>7}"
            print(f"  {events:>8,} events  {first:>8.2f} s  {first / events * 1e6:>7.1f} µs/event  "
                  f"(run again: {warm})  peak RSS {rss / 2**20:>6.0f} MB", flush=True)

    if "ask" not in args.skip:
        path = folder / "ask-5000.jsonl"
        stream = long_contract(5_000, seed=11)
        path.write_text("".join(json.dumps(e) + "\n" for e in stream), "utf-8")
        times = ask_times(path, "LONG", stream[-1]["time"])
        print(f"\nkiyaku ask can-suspend, one contract of 5,000 events, whole process: median "
              f"{times[len(times) // 2]:.2f} s, best {times[0]:.2f} s")


if __name__ == "__main__":
    main()
