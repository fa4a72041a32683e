"""Micro-benchmark: kiyaku.replay.inference vs durable's own Host path on the same rules and facts.

    python bench/inference_probe.py [--contracts 10000] [--facts 20] [--mode all|adapter|host|host-tuned] [--post]

Each mode runs in its own process so that its peak RSS is its own. The Host path is only here
as the baseline; it imports durable directly, which the engine itself never does. "host-tuned"
is the Host path with the glibc malloc thresholds kiyaku.replay.inference sets (without them every new
durable state is faulted in afresh, which costs up to 40% at random).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CATEGORIES = ("hosting", "support", "licence", "storage", "network", "training")


def ruleset() -> dict[str, dict[str, Any]]:
    """36 rules: per category a filter, two 2-way joins, a 3-way join with a cross-fact time
    comparison, and two negations. Joins go through "no", not "id" (see Host path below)."""
    rules: dict[str, dict[str, Any]] = {}
    for c in CATEGORIES:
        inv = {"invoice": {"$and": [{"t": "invoice"}, {"cat": c}]}}
        rules[f"big_{c}"] = {"all": [{"m": {"$and": [{"t": "invoice"}, {"cat": c}, {"$gt": {"amount": 900}}]}}]}
        rules[f"paid_{c}"] = {"all": [inv, {"payment": {"$and": [{"t": "payment"}, {"inv": {"invoice": "no"}}]}}]}
        rules[f"credited_{c}"] = {"all": [inv, {"credit": {"$and": [{"t": "credit"}, {"inv": {"invoice": "no"}},
                                                                    {"$gte": {"amount": {"invoice": "amount"}}}]}}]}
        rules[f"late_{c}"] = {"all": [inv,
                                      {"deadline": {"$and": [{"t": "deadline"}, {"inv": {"invoice": "no"}}]}},
                                      {"payment": {"$and": [{"t": "payment"}, {"inv": {"invoice": "no"}},
                                                            {"$gt": {"time": {"deadline": "time"}}}]}}]}
        rules[f"unpaid_{c}"] = {"all": [inv, {"payment$not": {"$and": [{"t": "payment"}, {"inv": {"invoice": "no"}}]}}]}
        rules[f"unacked_{c}"] = {"all": [{"incident": {"$and": [{"t": "incident"}, {"cat": c}]}},
                                         {"ack$not": {"$and": [{"t": "ack"}, {"incident": {"incident": "no"}}]}}]}
    return rules


def contracts(n: int, facts: int, seed: int = 7) -> list[list[dict[str, Any]]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        stream: list[dict[str, Any]] = []
        i = 0
        while len(stream) < facts:
            i += 1
            no = f"N{i}"
            cat = rnd.choice(CATEGORIES)
            amount = rnd.randrange(100, 1500)
            due = rnd.randrange(10, 60)
            stream.append({"id": f"inv-{i}", "t": "invoice", "no": no, "cat": cat, "amount": amount})
            stream.append({"id": f"dl-{i}", "t": "deadline", "inv": no, "time": due})
            if rnd.random() < 0.8:
                stream.append({"id": f"pay-{i}", "t": "payment", "inv": no, "time": due + rnd.randrange(-9, 10)})
            if rnd.random() < 0.2:
                stream.append({"id": f"cr-{i}", "t": "credit", "inv": no, "amount": rnd.randrange(50, 1500)})
            if rnd.random() < 0.3:
                stream.append({"id": f"inc-{i}", "t": "incident", "no": f"I{i}", "cat": cat})
                if rnd.random() < 0.5:
                    stream.append({"id": f"ack-{i}", "t": "ack", "incident": f"I{i}"})
        out.append(stream[:facts])
    return out


def run_adapter(data: list[list[dict[str, Any]]], post: bool = False) -> tuple[float, int]:
    from kiyaku.replay.inference import RuleEngine

    engine = RuleEngine({"billing": ruleset()})
    fired = 0
    start = time.perf_counter()
    for n, stream in enumerate(data):
        with engine.session("billing", f"contract-{n}") as session:
            send = session.post if post else session.assert_fact
            for fact in stream:
                fired += len(send(fact))
    elapsed = time.perf_counter() - start
    engine.close()
    return elapsed, fired


def run_host(data: list[list[dict[str, Any]]], post: bool = False) -> tuple[float, int]:
    from durable import engine as durable_engine

    fired = [0]

    def record(c: Any) -> None:
        fired[0] += 1

    class QuietHost(durable_engine.Host):
        def get_action(self, name: str) -> Any:
            return record

        def _run(self) -> None:  # no background dispatcher thread
            pass

    rules = {name: dict(rule, run="record") for name, rule in ruleset().items()}
    host = QuietHost()
    host.set_rulesets({"billing": copy.deepcopy(rules)})
    start = time.perf_counter()
    for n, stream in enumerate(data):
        sid = str(n + 1)
        for fact in stream:
            try:
                (host.post if post else host.assert_fact)("billing", dict(fact, sid=sid))
            except durable_engine.MessageNotHandledException:
                pass
        host.delete_state("billing", sid)
    return time.perf_counter() - start, fired[0]


def child(mode: str, n: int, facts: int, post: bool) -> None:
    if mode == "host-tuned":
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
        mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD, as kiyaku.replay.inference does
        mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    data = contracts(n, facts)
    elapsed, fired = (run_adapter if mode == "adapter" else run_host)(data, post)
    events = n * facts
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"mode": mode, "contracts": n, "events": events, "seconds": round(elapsed, 3),
                      "events_per_s": round(events / elapsed), "firings": fired, "peak_rss_mb": round(peak_kb / 1024, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--facts", type=int, default=20)
    parser.add_argument("--mode", choices=("all", "adapter", "host", "host-tuned"), default="all")
    parser.add_argument("--post", action="store_true", help="send the messages as events, not facts")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.mode, args.contracts, args.facts, args.post)
        return
    kind = "events" if args.post else "facts"
    print(f"{len(ruleset())} rules, {args.contracts} contracts x {args.facts} {kind}, Python {sys.version.split()[0]}")
    for mode in (("adapter", "host", "host-tuned") if args.mode == "all" else (args.mode,)):
        cmd = [sys.executable, __file__, "--child", "--mode", mode,
               "--contracts", str(args.contracts), "--facts", str(args.facts)]
        cmd += ["--post"] if args.post else []
        result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(f"{mode:10} {result['events_per_s']:>9,} events/s  {result['seconds']:>7.2f} s  "
              f"firings {result['firings']:>8,}  peak RSS {result['peak_rss_mb']:>6.1f} MB")


if __name__ == "__main__":
    main()
