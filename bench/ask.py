"""The benchmark of `kiyaku ask`: one question on a 100-event contract, process start included, and
where the start-up time goes.

    python bench/ask.py [--runs 21] [--events 100] [--question can-suspend]

It writes one synthetic contract (bench/run.py's generator), runs the installed `kiyaku ask` as an
agent would (a new process each time, output to a pipe), and prints the first run apart (it may fill
the definitions cache) and the median, best and worst of the rest. Then, in this process, the time of
each stage of one answer: importing the command line, loading the checked terms and rules from the
cache, building the inference engine, replaying the contract, rendering; and the modules whose import
costs most (`python -X importtime`). Figures go into the closing notes; no test asserts on them.
The aim is a median under 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, contract  # noqa: E402


def write_contract(folder: Path, events: int) -> tuple[Path, str, str]:
    stream = sorted(contract(1, events, random.Random(11)), key=lambda e: e["time"])
    path = folder / f"contract-{events}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in stream), "utf-8")
    return path, stream[0]["contract"], stream[-1]["time"]


def command(path: Path, contract_id: str, at: str, question: str) -> list[str]:
    script = Path(sys.executable).with_name("kiyaku")
    return [str(script) if script.exists() else "kiyaku", "ask", question, str(path), "--contract", contract_id,
            "--at", at, "--root", str(ROOT)]


# As an installed package runs: Python writes and reuses its bytecode (a shell that sets
# PYTHONDONTWRITEBYTECODE would make every run compile kiyaku's modules from source again).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], runs: int) -> list[tuple[float, float]]:
    """Wall seconds and CPU seconds (user + system) of each run: on a machine shared with other
    work the CPU time says more about kiyaku than the wall time does."""
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(child.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{' '.join(cmd)} failed")
        out.append((time.perf_counter() - started, usage.ru_utime + usage.ru_stime))
    return out


def stages(path: Path, contract_id: str, at: str, question: str) -> list[tuple[str, float]]:
    """One answer in this process, stage by stage (a child process, so that imports are cold)."""
    code = f"""
import json, time
t0 = time.perf_counter()
import kiyaku.cli.ask
t1 = time.perf_counter()
from pathlib import Path
from kiyaku import definitions
from kiyaku.replay.events import parse_time
definitions.load(Path({str(ROOT)!r}))
t2 = time.perf_counter()
from kiyaku.replay.judge import Judge
judge = Judge(Path({str(ROOT)!r}))
judge.evaluator.engine("{json.loads(path.read_text().splitlines()[0])["agreement"]}")
t3 = time.perf_counter()
from kiyaku.answers.ask import ask
answer = ask(Path({str(ROOT)!r}), {question!r}, {contract_id!r}, [Path({str(path)!r})], parse_time({at!r}), judge)
t4 = time.perf_counter()
from kiyaku.answers.text import render
render(answer)
t5 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV).stdout
    names = ["import the command (kiyaku.cli.ask)", "load terms and rules (cache)", "build the inference engine",
             "read, replay, answer (two replays when nothing holds)", "render"]
    return list(zip(names, json.loads(out)))


def heaviest_imports(top: int = 8) -> list[tuple[str, int]]:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kiyaku.cli.ask"], capture_output=True,
                         text=True, check=True, env=ENV).stderr
    rows = []
    for line in err.splitlines()[1:]:
        _, cumulative, name = line.split("|")
        level = (len(name) - len(name.lstrip()) - 1) // 2
        if level <= 1:  # what the command line imports, and what those import directly
            rows.append(("  " * level + name.strip(), int(cumulative)))
    return sorted(rows, key=lambda r: -r[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--question", default="can-suspend")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kiyaku-bench-ask-"))
    path, contract_id, at = write_contract(folder, args.events)
    print(f"python {sys.version.split()[0]}; {datetime.now():%Y-%m-%d %H:%M}; {path}")
    cmd = command(path, contract_id, at, args.question)
    (first, _), *rest = timed(cmd, args.runs)
    walls, cpus = [w for w, _ in rest], [c for _, c in rest]
    print(f"kiyaku ask {args.question}, one contract of {args.events} events, {len(rest)} runs: "
          f"median {statistics.median(walls) * 1000:.0f} ms, best {min(walls) * 1000:.0f} ms, "
          f"worst {max(walls) * 1000:.0f} ms (first run {first * 1000:.0f} ms, may fill the cache); "
          f"CPU median {statistics.median(cpus) * 1000:.0f} ms")
    python = timed([sys.executable, "-c", "pass"], 5)
    print(f"  a bare interpreter start, for scale: median {statistics.median(w for w, _ in python) * 1000:.0f} ms, "
          f"CPU {statistics.median(c for _, c in python) * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f}")
    for name, seconds in stages(path, contract_id, at, args.question):
        print(f"  {name:<55} {seconds * 1000:6.1f} ms")
    print("heaviest imports of kiyaku.cli.ask (cumulative):")
    for name, micros in heaviest_imports():
        print(f"  {name:<40} {micros / 1000:6.1f} ms")


if __name__ == "__main__":
    main()
