"""Where the time of `kiyaku evaluate` goes, by phase and by function, in one process.

    python bench/profile.py [--contracts 2000] [--frequency 400] [--keep DIR]

It writes bench/run.py's synthetic input, runs `kiyaku evaluate FILE --format jsonl --jobs 1` under
Linux `perf` with DWARF call graphs, and sorts the samples. cProfile sees nothing of the replay's
compiled modules; perf sees mypyc's C functions by name (`CPyDef_evaluator____Replay___run` is
evaluator's `_Replay.run`), durable_rules' C and orjson, so each sample can be put down to a phase of
the command and to the function of kiyaku's (or durable's) it was spent in. Interpreted Python shows
only as CPython's own functions: it falls in "the rest", or in the compiled function that called it.

Needs `perf` (Debian: linux-perf), allowed to sample this user's processes (kernel.perf_event_paranoid
at most 2). Figures go into the closing notes; no test asserts on them.
"""

from __future__ import annotations

import argparse
import collections
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import AT, KIYAKU, ROOT, write_input  # noqa: E402

DURABLE, ORJSON = "durable_rules_engine", "orjson"

# The phases, each named by the compiled function it runs under; a sample goes to the first that is
# on its stack. Before the first pass starts, it is start-up.
PHASES = [
    ("first pass: reading and checking every event", "CPyDef_streams___index"),
    ("second read: one contract at a time", "CPyDef_streams___read"),
    ("replay", "CPyDef_evaluator____Replay___run"),
    ("opening and closing durable sessions", "CPyDef_inference___RuleEngine___session"),
    ("opening and closing durable sessions", "CPyDef_inference___Session___close"),
    ("rulings", "CPyDef_rulings___rulings"),
]
REPLAY = {  # the replay's samples, by what is on the stack below it
    DURABLE: "replay: durable_rules' C",
    ORJSON: "replay: JSON text to and from durable (orjson)",
    "CPyDef_inference___": "replay: kiyaku's adapter (inference.py)",
}
REPLAY_OWN = "replay: its own (clocks, ledger, facts, messages)"
START_UP = "start-up: imports, terms and rules"
REST_JSON = "the rest: JSON text of the output (orjson)"
REST = "the rest: writing the output, the command's own Python"
ORDER = [START_UP, *dict.fromkeys(label for label, _ in PHASES), REST_JSON, REST]  # "replay" shown with its parts


def record(contracts: int, frequency: int, folder: Path) -> Path:
    events = folder / "events.jsonl"
    count = write_input(events, contracts, 20)
    print(f"{contracts:,} contracts, {count:,} events; perf at {frequency} samples/s with DWARF call graphs")
    data = folder / "perf.data"
    command = ["perf", "record", "-q", "-F", str(frequency), "--call-graph", "dwarf,16384", "-o", str(data), "--",
               *KIYAKU, "evaluate", str(events), "--format", "jsonl", "--jobs", "1", "--at", AT]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    if done.returncode != 0:  # perf not allowed to sample, or the command failed: say which
        sys.exit(f"bench/profile.py: {shlex.join(command[:8])} ... ended with {done.returncode}:\n{done.stderr}")
    return data


def samples(data: Path) -> list[tuple[float, list[tuple[str, str]]]]:
    """Each sample's time and stack, innermost frame first: (symbol, shared object)."""
    text = subprocess.run(["perf", "script", "-i", str(data), "-F", "time,ip,sym,dso"], capture_output=True,
                          text=True, check=True).stdout
    out: list[tuple[float, list[tuple[str, str]]]] = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].strip():
            continue
        head, stack = lines[0].strip(), []
        for line in lines[1:]:
            parts = line.split(None, 1)
            if len(parts) == 2:
                symbol, _, dso = parts[1].rpartition(" (")
                stack.append((symbol.split("+0x")[0], dso.rstrip(")")))
        out.append((float(head.rstrip(":").split()[-1]), stack))
    return out


def phase(stack: list[tuple[str, str]]) -> str:
    symbols = {s for s, _ in stack}
    for label, symbol in PHASES:
        if symbol in symbols:
            return _in_replay(stack) if label == "replay" else label
    return REST_JSON if any(ORJSON in dso for _, dso in stack) else REST


def _in_replay(stack: list[tuple[str, str]]) -> str:
    for symbol, dso in stack:  # innermost first: the closest of durable, orjson or the adapter decides
        for mark, label in REPLAY.items():
            if mark in dso or symbol.startswith(mark):
                return label
    return REPLAY_OWN


def owner(stack: list[tuple[str, str]]) -> str:
    """The innermost function of kiyaku's compiled code, durable's C entry point or orjson."""
    for symbol, dso in stack:
        if symbol.startswith("CPyDef_"):
            return _readable(symbol)
        if DURABLE in dso and symbol.startswith("py"):
            return f"durable_rules: {symbol}"
        if ORJSON in dso:
            return "orjson"
    return "(CPython and C outside kiyaku's compiled code)"


def _readable(symbol: str) -> str:
    module, _, rest = symbol[len("CPyDef_"):].partition("___")
    rest = rest.replace("_____mypyc_generator_helper__", " (generator)")
    return f"{module}: {'.'.join(rest.split('___'))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=2_000)
    parser.add_argument("--frequency", type=int, default=400, help="samples a second")
    parser.add_argument("--top", type=int, default=30, help="functions to list")
    parser.add_argument("--keep", type=Path, help="keep the input and perf.data in this folder")
    args = parser.parse_args()
    if shutil.which("perf") is None:
        sys.exit("bench/profile.py needs Linux perf (Debian: apt install linux-perf)")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="kiyaku-profile-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        found = samples(record(args.contracts, args.frequency, folder))
    finally:
        if args.keep is None:
            shutil.rmtree(folder)
    starts = [t for t, stack in found if any(s == PHASES[0][1] for s, _ in stack)]
    begun = min(starts, default=float("inf"))
    phases = collections.Counter(START_UP if t < begun else phase(stack)
                                 for t, stack in found)
    owners = collections.Counter(owner(stack) for t, stack in found if t >= begun)
    total = len(found)
    print(f"\n{total:,} samples; by phase (a sample counts where it ran, everything it called included)")
    for label in ORDER:
        if label != "replay":
            print(f"  {100 * phases[label] / total:5.1f}%  {label}")
            continue
        parts = [*REPLAY.values(), REPLAY_OWN]
        print(f"  {100 * sum(phases[part] for part in parts) / total:5.1f}%  replay")
        for part in parts:
            print(f"      {100 * phases[part] / total:5.1f}%  {part.removeprefix('replay: ')}")
    print("\nby function, start-up left out (the innermost compiled function, durable_rules' entry "
          "point or orjson, with what it called in CPython and libc)")
    for name, n in owners.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
