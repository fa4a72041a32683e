"""The benchmark of the case store: ingest speed, and `kiyaku ask --db` on a large store against
`kiyaku ask` on a one-contract file.

    python bench/store.py [--contracts 100000] [--events 20] [--db URL] [--keep DIR]

Writes --contracts synthetic contracts (bench/run.py's generator) into a fresh SQLite store (or the
empty database --db names) with `kiyaku ingest`, and prints events per second; then times
`kiyaku ask can-suspend` through the installed console script (the interpreter's start included,
as an agent runs it) on one contract of the store, and on the same contract's events as a file.
The first run of each fills the definitions cache and is left out. Figures only; no test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ROOT, write_input

RUNS = 7


def kiyaku() -> str:
    script = Path(sys.executable).with_name("kiyaku")
    return str(script) if script.exists() else "kiyaku"


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return time.perf_counter() - started


def median_ms(command: list[str]) -> tuple[float, float]:
    timed(command)
    times = sorted(timed(command) for _ in range(RUNS))
    return times[len(times) // 2] * 1000, times[0] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20, help="events per contract (about)")
    parser.add_argument("--db", help="an empty store to fill (default: a new SQLite file)")
    parser.add_argument("--keep", type=Path, help="write the input and store here instead of a temporary folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kiyaku-bench-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = args.db or str(folder / "bench.db")
    source = folder / f"streams-{args.contracts}.jsonl"
    count = write_input(source, args.contracts, args.events)
    print(f"python {sys.version.split()[0]}; store {db}")

    wall = timed([kiyaku(), "ingest", "--db", db, str(source)])
    print(f"ingest: {args.contracts:,} contracts, {count:,} events in {wall:.1f} s: {count / wall:,.0f} events/s")
    wall = timed([kiyaku(), "ingest", "--db", db, str(source)])
    print(f"ingest again (every event already stored): {wall:.1f} s: {count / wall:,.0f} events/s")

    middle = f"C{args.contracts // 2:07d}"
    one = folder / "one-contract.jsonl"
    with source.open(encoding="utf-8") as lines:
        one.write_text("".join(line for line in lines if json.loads(line)["contract"] == middle), "utf-8")
    ask = ["ask", "can-suspend", "--contract", middle, "--at", "2026-01-01", "--root", str(ROOT)]
    store_ms = median_ms([kiyaku(), *ask, "--db", db, "--user", "bench"])
    dry_ms = median_ms([kiyaku(), *ask, "--db", db, "--no-log"])
    file_ms = median_ms([kiyaku(), *ask, str(one)])
    print(f"kiyaku ask can-suspend, contract {middle} ({sum(1 for _ in one.open())} events), median and best of {RUNS}:")
    print(f"  --db, store of {args.contracts:,} contracts, decision recorded: {store_ms[0]:.0f} ms (best {store_ms[1]:.0f})")
    print(f"  --db, --no-log:                                  {dry_ms[0]:.0f} ms (best {dry_ms[1]:.0f})")
    print(f"  one-contract file, no store:                     {file_ms[0]:.0f} ms (best {file_ms[1]:.0f})")


if __name__ == "__main__":
    main()
