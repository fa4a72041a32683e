"""The benchmark of `kiyaku evaluate`: synthetic contract streams, events per second, peak memory.

    python bench/run.py [--contracts 10000 100000] [--events 20] [--keep DIR]

For each size it writes a JSON Lines file of that many contracts (about --events events each,
grouped by contract, the three agreements in turn), runs `kiyaku evaluate FILE --format jsonl`
in a child process with output to /dev/null, and prints wall time, events per second and the
child's peak RSS. Figures go into the closing notes; no test asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
AGREEMENTS = ("smacom", "ts-cloudphone", "abphone")


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


def measure(path: Path) -> tuple[float, int, int]:
    """Wall seconds, exit status and peak RSS (kB) of one `kiyaku evaluate` child process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "from kiyaku.cli import main; main()", "evaluate", str(path),
                              "--format", "jsonl", "--root", str(ROOT)], cwd=ROOT, stdout=subprocess.DEVNULL)
    # wait4 gives this child's own peak RSS, not the largest of all children so far.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, child.returncode, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--events", type=int, default=20, help="events per contract (about)")
    parser.add_argument("--keep", type=Path, help="write the inputs here instead of a temporary folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kiyaku-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}; inputs in {folder}")
    print(f"{'contracts':>10} {'events':>10} {'seconds':>8} {'events/s':>9} {'peak RSS':>9}")
    for n in args.contracts:
        path = folder / f"streams-{n}.jsonl"
        count = write_input(path, n, args.events)
        wall, code, rss = measure(path)
        if code != 0:
            sys.exit(f"kiyaku evaluate exited {code} on {path}")
        print(f"{n:>10,} {count:>10,} {wall:>8.1f} {count / wall:>9,.0f} {rss / 1024:>6.0f} MB")


if __name__ == "__main__":
    main()
