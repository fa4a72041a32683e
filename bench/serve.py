"""The benchmark of `kiyaku serve`: POST /v1/ask on a 100-event contract, by 1, 8 and 32 clients at once.

    python bench/serve.py [--seconds 8] [--clients 1 8 32] [--events 100] [--question can-suspend] [--db URL]

It makes a store (a temporary SQLite file, or the empty PostgreSQL database --db names) holding one
synthetic contract (bench/run.py's generator) and an agent token, starts `kiyaku serve` on 127.0.0.1
(a free port, no rate limit) in a process of its own, warms it up, and then, for each number of
clients, has that many clients ask as fast as they can for --seconds (each its own keep-alive
connection, all in one asyncio loop). It prints requests per second, the median and 99th percentile
of the latency as a client sees it, the server's CPU time per request, and where the server's time
went by its Server-Timing header (auth: the token's look-up; db: reading the contract, recording the
decision; engine: the replay, on the engine's one thread; queue: waiting for that thread). Every answer
is recorded in the decision log, as in use. Bounded in time: about (--seconds + 2) per client count,
plus start-up. Figures go into the closing notes; no test asserts on them. Aim: p50 under 10 ms with
one client.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, contract  # noqa: E402

PARTS = ("auth", "db", "engine", "queue")


def prepare(db: str, events: int) -> tuple[str, str, str]:
    """The store with one contract of `events` events; its id, the time of its last event, a token."""
    from kiyaku.replay.events import dict_records
    from kiyaku.store import open_store, tokens
    from kiyaku.store.events import ingest

    stream = sorted(contract(1, events, random.Random(11)), key=lambda e: e["time"])
    with open_store(db, create=True) as store:
        ingest(store, dict_records(stream, "bench"))
        _, token = tokens.create(store, "bench", "agent", "bench/serve.py")
    return stream[0]["contract"], stream[-1]["time"], token


def start(db: str) -> tuple[subprocess.Popen, str]:
    kiyaku = Path(sys.executable).with_name("kiyaku")
    server = subprocess.Popen([str(kiyaku), "serve", "--db", db, "--host", "127.0.0.1", "--port", "0",
                               "--rate-limit", "0", "--root", str(ROOT)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    said = []
    for line in server.stdout:
        said.append(line)
        if "Application startup complete" in line:
            url = re.search(r"kiyaku serve: (http://\S+/) ", "".join(said)).group(1)
            # Its access log is read on and dropped, or the server would stop once the pipe is full.
            threading.Thread(target=lambda: all(server.stdout), daemon=True).start()
            return server, url
    sys.exit("kiyaku serve did not start:\n" + "".join(said))


def in_process(db: str, cid: str, question: str, at: str, runs: int = 20) -> float:
    """The median seconds of the same answer in this process, without HTTP or the store: the engine alone."""
    from kiyaku.answers.ask import QUESTIONS, answer
    from kiyaku.replay.events import parse_time
    from kiyaku.replay.judge import Judge
    from kiyaku.store import open_store
    from kiyaku.store.events import stream

    with open_store(db) as store:
        found, _ = stream(store, cid)
    with Judge(ROOT) as judge:
        times = []
        for _ in range(runs + 3):
            began = time.perf_counter()
            answer(QUESTIONS[question], judge, found, parse_time(at))
            times.append(time.perf_counter() - began)
    return statistics.median(times[3:])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timings(header: str) -> dict[str, float]:
    return {name: float(ms) for name, ms in re.findall(r"(\w+);dur=([\d.]+)", header)}


async def load(url: str, token: str, body: dict, clients: int, seconds: float) -> tuple[list[float], list[dict]]:
    import httpx

    latencies: list[float] = []
    spent: list[dict[str, float]] = []
    stop = time.perf_counter() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                response = await http.post("v1/ask", json=body)
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    sys.exit(f"POST /v1/ask answered {response.status_code}: {response.text[:500]}")
                spent.append(timings(response.headers["server-timing"]))

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, spent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each number of clients asks")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--question", default="can-suspend")
    parser.add_argument("--db", help="an empty PostgreSQL database's URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="kiyaku-bench-serve-")) / "kiyaku.db")
    cid, last, token = prepare(db, args.events)
    body = {"question": args.question, "contract": cid, "at": last}
    server, url = start(db)
    try:
        print(f"python {sys.version.split()[0]}; kiyaku serve at {url} on {db.split('?')[0]}; "
              f"{args.question} on {cid} ({args.events} events) as of {last}; load average {os.getloadavg()[0]:.1f}")
        asyncio.run(load(url, token, body, 1, 2.0))  # warm-up: caches, the definitions kept in the store
        print(f"{'clients':>7} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10}  "
              "server ms per request, mean: " + " ".join(f"{p:>6}" for p in PARTS + ("total",)))
        for clients in args.clients:
            cpu = cpu_seconds(server.pid)
            began = time.perf_counter()
            latencies, spent = asyncio.run(load(url, token, body, clients, args.seconds))
            wall = time.perf_counter() - began
            cpu = cpu_seconds(server.pid) - cpu
            means = [statistics.fmean(s.get(p, 0.0) for s in spent) for p in PARTS + ("total",)]
            print(f"{clients:>7} {len(latencies):>8} {len(latencies) / wall:>7.1f} "
                  f"{percentile(latencies, 50) * 1000:>7.1f} {percentile(latencies, 99) * 1000:>7.1f} "
                  f"{cpu / len(latencies) * 1000:>10.1f}  {' ' * 29}" + " ".join(f"{m:>6.1f}" for m in means))
        import httpx

        answer = httpx.post(url + "v1/ask", json=body, headers={"Authorization": f"Bearer {token}"}).json()
        print(f"the answer: {answer['answer']}, citations {answer['citations']}")
        print(f"the same answer in this process, the engine alone (no HTTP, no store): "
              f"median {in_process(db, cid, args.question, last) * 1000:.1f} ms; load average {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
