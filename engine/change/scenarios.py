"""Scenario files: cases a domain expert writes in YAML, run through kiyaku.replay.judge and compared.

A scenario file is a list of cases (engine/schemas/scenarios.json):

    - name: A payment made on the 10th day after the due date owes no late interest
      as_of: "2025-06-20"            # optional; default: each contract's last event
      events: [...]                  # as in docs/events.md
      expect:
        - {ground: shared.suspension.unpaid_after_demand, outcome: may_suspend, at: "2025-06-05T10:00"}
        - {kind: surcharge, citation: abphone:29.1, amount: 55000}
        - {ground: smacom.suspension.deposit_not_made, absent: true}

An expectation selects one ruling (by `ground`, or by `kind` and/or `citation`, narrowed by
`contract`) and checks only the fields it lists. `absent: true` expects no ruling to match at all;
a ground considered but not met is `outcome: not_grounds`. `at` compares instants (a time without an
offset is Asia/Tokyo); `period` and `notice` compare only the keys written; `missing` as a string
must occur in one of the ruling's missing facts, as a list it must equal them.

Cases are evaluated in batches (one evaluation per distinct as-of time, each case's contracts renamed
apart), each event read where it is written in the scenario file, so that every error, note and
event reference names the scenario file and line.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiyaku import schema
from kiyaku.errors import DefinitionError, Finding, KiyakuError
from kiyaku.yamlio import YamlSyntaxError, load_file

SELECTORS = ("ground", "kind", "citation", "contract")
CHECKED = ("kind", "outcome", "modality", "citations", "at", "version", "version_label", "agreement",
           "amount", "missing", "period", "notice", "decisions", "summary", "term")


@dataclass(frozen=True)
class Expectation:
    line: int
    select: dict[str, str]
    fields: dict[str, Any]
    absent: bool = False

    def describe(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.select.items())


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    name: str
    as_of: datetime | None
    events: tuple[tuple[int, dict[str, Any]], ...]  # (line in the file, raw event)
    expect: tuple[Expectation, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Suite:
    file: str
    cases: list[Case]


@dataclass
class Failure:
    """One expectation not met: a title and the lines of the difference (- expected, + actual)."""

    line: int
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class CaseResult:
    case: Case
    status: str  # pass | fail | error
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rulings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- loading -------------------------------------------------------------------------------------

def display_path(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the current folder) when it lies below it."""
    for folder in (base, Path.cwd()):
        if folder is None:
            continue
        try:
            return str(path.resolve().relative_to(folder.resolve()))
        except ValueError:
            continue
    return str(path)


def load_suite(path: Path, name: str | None = None) -> Suite:
    """Read and check one scenario file; DefinitionError with file:line for every problem found."""
    from kiyaku.times import TIME_HINT, read_time

    label = name or display_path(path)
    try:
        doc = load_file(path, label)
    except YamlSyntaxError as exc:
        raise DefinitionError(exc.finding) from None
    except OSError as exc:
        raise DefinitionError(Finding(label, None, f"cannot read scenario file: {exc.strerror}")) from None
    problems = schema.check(doc, "scenarios", label)
    if problems:
        raise DefinitionError(problems)
    findings: list[Finding] = []
    cases: list[Case] = []
    first: dict[str, int] = {}
    for i, raw in enumerate(doc):
        line = doc.item_lines[i]
        if raw["name"] in first:
            findings.append(Finding(label, line, f"duplicate case name {raw['name']!r} (first at line "
                                    f"{first[raw['name']]})", "give every case of a file its own name"))
        first.setdefault(raw["name"], line)
        as_of = None
        if "as_of" in raw:
            try:
                as_of = read_time(raw["as_of"])
            except ValueError as exc:
                findings.append(Finding(label, raw.line_of("as_of"), f"as_of: {exc}", TIME_HINT))
        expect = []
        for j, e in enumerate(raw["expect"]):
            eline = raw["expect"].item_lines[j]
            try:
                read_time(e["at"]) if isinstance(e.get("at"), str) else None
            except ValueError as exc:
                findings.append(Finding(label, e.line_of("at"), f"at: {exc}", TIME_HINT))
            select = {k: e[k] for k in SELECTORS if k in e}
            if not {"ground", "kind", "citation"} & set(select):
                findings.append(Finding(label, eline, "an expectation names no ruling",
                                        "select it with ground, or with kind and/or citation"))
            checked = {k: e[k] for k in CHECKED if k in e and not (k == "kind" and "ground" not in e)}
            if e.get("absent") and checked:
                findings.append(Finding(label, eline, f"absent: true expects no ruling, so it cannot also check "
                                        f"{', '.join(checked)}", "for a ground considered but not met, "
                                        "write outcome: not_grounds instead"))
            expect.append(Expectation(eline, select, checked, bool(e.get("absent"))))
        events = tuple(zip(raw["events"].item_lines, (_plain(e) for e in raw["events"])))
        cases.append(Case(label, line, raw["name"], as_of, events, tuple(expect)))
    if findings:
        raise DefinitionError(findings)
    return Suite(label, cases)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- evaluating in batches -----------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """Events evaluated together as of one time: a scenario case, or an event file read whole."""

    file: str
    events: tuple[tuple[int, dict[str, Any]], ...]
    as_of: datetime | None


@dataclass
class BatchResult:
    rulings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def evaluate_batches(root: Path, batches: list[Batch]) -> list[BatchResult]:
    """Evaluate every batch with the terms and rules at `root`, one `evaluate` call per as-of time.

    Terms or rules that do not load raise DefinitionError; everything else is kept per batch.
    """
    results = [BatchResult() for _ in batches]
    groups: dict[datetime | None, list[int]] = defaultdict(list)
    for i, b in enumerate(batches):
        groups[b.as_of].append(i)
    for as_of, members in groups.items():
        try:
            _run_group(root, batches, results, members, as_of)
        except DefinitionError:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the batch that breaks, keep the others
            if len(members) == 1:
                _as_error(results[members[0]], batches[members[0]], exc)
                continue
            for i in members:
                results[i] = BatchResult()
                try:
                    _run_group(root, batches, results, [i], as_of)
                except DefinitionError:
                    raise
                except Exception as alone:  # noqa: BLE001
                    _as_error(results[i], batches[i], alone)
    return results


def _as_error(result: BatchResult, batch: Batch, exc: Exception) -> None:
    findings = exc.findings if isinstance(exc, KiyakuError) else [
        Finding(batch.file, batch.events[0][0] if batch.events else None,
                f"evaluation failed: {type(exc).__name__}: {exc}")]
    result.rulings, result.notes, result.errors = [], [], list(findings)


def _prefix(i: int) -> str:
    return f"#{i}:"


def _run_group(root: Path, batches: list[Batch], results: list[BatchResult], members: list[int],
               as_of: datetime | None) -> None:
    """Evaluate the member batches together, each batch's contracts renamed apart (`#i:`), every event
    at its own file and line; then give each batch back its own rulings, errors and notes."""
    from kiyaku.replay.events import located_records
    from kiyaku.replay.judge import evaluate_records

    owner: dict[tuple[str, int], int] = {}
    records = []
    for i in members:
        for line, raw in batches[i].events:
            event = dict(raw) if isinstance(raw, dict) else raw
            if isinstance(event, dict) and isinstance(event.get("contract"), str):
                event["contract"] = _prefix(i) + event["contract"]
            records.append((batches[i].file, line, event))
            owner[(batches[i].file, line)] = i
    result = evaluate_records(root, located_records(records), as_of, keep_going=True)

    def own(i: int, text: str) -> str:
        return text.replace(_prefix(i), "")

    for finding in result.errors:
        i = owner.get((finding.file, finding.line or 0), members[0])
        results[i].errors.append(Finding(finding.file, finding.line, own(i, finding.message),
                                         own(i, finding.hint) if finding.hint else None))
    for note in result.notes:
        m = re.search(r"#(\d+):", note)
        i = int(m.group(1)) if m and int(m.group(1)) in members else members[0]
        results[i].notes.append(own(i, note))
    for ruling in result.rulings:
        i = int(re.match(r"#(\d+):", ruling["contract"]).group(1))
        results[i].rulings.append(_walk(ruling, lambda s, i=i: own(i, s)))


def _walk(value: Any, fix) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):
        return {k: _walk(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fix) for v in value]
    return value


# --- running and comparing -----------------------------------------------------------------------

def run_cases(root: Path, cases: list[Case]) -> list[CaseResult]:
    """Evaluate every case with the terms and rules at `root` and compare with what it expects."""
    started = time.perf_counter()
    batches = [Batch(c.file, c.events, c.as_of) for c in cases]
    evaluated = evaluate_batches(root, batches)
    share = (time.perf_counter() - started) / max(len(cases), 1)
    out = []
    for case, got in zip(cases, evaluated):
        result = CaseResult(case, "pass", rulings=got.rulings, notes=got.notes, seconds=share)
        if got.errors:
            result.status = "error"
            result.errors = [str(f) for f in got.errors]
        else:
            for exp in case.expect:
                problem = check(exp, got.rulings)
                if isinstance(problem, str):
                    result.status = "error"
                    result.errors.append(f"{case.file}:{exp.line}: {problem}")
                elif problem is not None:
                    result.failures.append(problem)
            if result.failures and result.status == "pass":
                result.status = "fail"
        out.append(result)
    return out


def select(exp: Expectation, rulings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rulings an expectation's selectors pick out (most specific citation preferred)."""
    s = exp.select
    found = [r for r in rulings
             if ("ground" not in s or r.get("ground") == s["ground"])
             and ("kind" not in s or "ground" in s or r.get("kind") == s["kind"])
             and ("contract" not in s or r.get("contract") == s["contract"])
             and ("citation" not in s or s["citation"] in (r.get("citations") or []))]
    if "citation" in s and len(found) > 1:
        first = [r for r in found if (r.get("citations") or [None])[0] == s["citation"]]
        found = first or found
    return found


def check(exp: Expectation, rulings: list[dict[str, Any]]) -> Failure | str | None:
    """None when met; a Failure (a wrong answer); a string when the expectation cannot be judged."""
    found = select(exp, rulings)
    title = f"expect (line {exp.line}) {exp.describe()}"
    if exp.absent:
        if not found:
            return None
        return Failure(exp.line, title, ["- no such ruling"] + [f"+ {_brief(r)}" for r in found])
    if not found:
        return Failure(exp.line, title, ["- a matching ruling", "+ none"] + _context(exp, rulings))
    if len(found) > 1:
        return (f"{exp.describe()} matches {len(found)} rulings ({'; '.join(_brief(r) for r in found)}); "
                "add ground or contract to pick one")
    ruling = found[0]
    lines: list[str] = []
    for key, want in exp.fields.items():
        got = ruling.get(key)
        if not same(key, want, got):
            lines += [f"- {key}: {_show(want, key == 'missing' and isinstance(want, str))}",
                      f"+ {key}: {_show(got)}"]
    if not lines:
        return None
    where = f" of {ruling.get('contract')}" if ruling.get("contract") else ""
    return Failure(exp.line, f"{title}{where}", lines)


def _context(exp: Expectation, rulings: list[dict[str, Any]]) -> list[str]:
    """What was there instead: the grounds nearest the one named, and the rulings that were met."""
    import difflib

    lines = []
    if "ground" in exp.select:
        grounds = sorted({r.get("ground") for r in rulings if r.get("ground")})
        near = difflib.get_close_matches(exp.select["ground"], grounds, n=3, cutoff=0.5)
        if exp.select["ground"] in grounds:
            lines.append(f"    ground {exp.select['ground']} has rulings, but not for the other selectors")
        elif near:
            lines.append(f"    nearest grounds: {', '.join(near)}")
    met = [r for r in rulings if r.get("outcome") != "not_grounds"]
    lines += [f"    met: {_brief(r)}" for r in met]
    if len(rulings) > len(met):
        lines.append(f"    ({len(rulings) - len(met)} more ruling(s) not met)")
    return lines or ["    (no ruling at all)"]


def same(key: str, want: Any, got: Any) -> bool:
    """Does `got` meet `want`, under the comparison each field uses."""
    from kiyaku.times import parse_time

    if key == "at" and isinstance(want, str) and isinstance(got, str):
        w, g = parse_time(want), parse_time(got)
        return w == g if w and g else want == got
    if key == "missing" and isinstance(want, str):
        return any(want in m for m in got or [])
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and same(k, v, got[k]) for k, v in want.items())
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    return want == got


def _brief(r: dict[str, Any]) -> str:
    bits = [r.get("ground") or r.get("kind"), r.get("outcome")]
    if r.get("amount") is not None:
        bits.append(f"{r['amount']} yen")
    bits.append(", ".join(r.get("citations") or []))
    return f"{r.get('contract')}: " + " ".join(str(b) for b in bits if b)


def _show(value: Any, contains: bool = False) -> str:
    if contains:
        return f"(contains) {value}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# --- reporting -----------------------------------------------------------------------------------

def as_of_text(case: Case) -> str:
    """The as-of time of a case: its own `as_of`, else (the scenario format's default) its last events."""
    if case.as_of is None:
        return "as of each contract's last event (the case gives no as_of)"
    return f"as of {case.as_of.isoformat()} (the case's as_of)"


def render(result: CaseResult) -> str:
    """A failed or broken case as text: path, then case name, then its as-of time and the difference."""
    head = f"{result.status.upper()} {result.case.where}: {result.case.name}"
    body = [f"  {as_of_text(result.case)}"] + [f"  {e}" for e in result.errors]
    if result.failures:
        body.append("  (- expected, + actual)")
    for f in result.failures:
        body.append(f"  {f.title}")
        body += [f"    {line}" for line in f.lines]
    return "\n".join([head] + body)


def counts(results: list[CaseResult], broken_files: int = 0) -> dict[str, int]:
    """Cases that passed, failed (a wrong answer) and could not be run (a file that does not load counts)."""
    return {"pass": sum(r.status == "pass" for r in results), "total": len(results),
            "fail": sum(r.status == "fail" for r in results),
            "error": sum(r.status == "error" for r in results) + broken_files}


def tally(results: list[CaseResult], broken_files: int = 0) -> str:
    """The closing line: `PASS: 22/23  FAIL: 1  ERROR: 0`."""
    n = counts(results, broken_files)
    return f"PASS: {n['pass']}/{n['total']}  FAIL: {n['fail']}  ERROR: {n['error']}"


def result_json(result: CaseResult) -> dict[str, Any]:
    """One case's result for `kiyaku test --format json`."""
    case = result.case
    return {"file": case.file, "line": case.line, "name": case.name, "status": result.status,
            "as_of": case.as_of.isoformat() if case.as_of else None,
            "failures": [{"line": f.line, "title": f.title, "difference": f.lines} for f in result.failures],
            "errors": result.errors, "seconds": round(result.seconds, 3)}


def junit_xml(results: list[CaseResult], broken: list[tuple[str, list[str]]] = ()) -> str:
    """JUnit XML: one testsuite per scenario file, one testcase per case; a file that does not load
    is a testcase with an error."""
    from xml.etree import ElementTree as ET

    by_file: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        by_file[r.case.file].append(r)
    top = ET.Element("testsuites", name="kiyaku scenarios")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for file in sorted(set(by_file) | {f for f, _ in broken}):
        rs = by_file.get(file, [])
        problems = [p for f, p in broken if f == file]
        counts = {"tests": len(rs) + len(problems), "failures": sum(r.status == "fail" for r in rs),
                  "errors": sum(r.status == "error" for r in rs) + len(problems),
                  "time": sum(r.seconds for r in rs)}
        suite = ET.SubElement(top, "testsuite", name=file, **{k: _num(v) for k, v in counts.items()})
        classname = re.sub(r"\.ya?ml$", "", file).replace("/", ".").lstrip(".")
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=classname, name=r.case.name, file=file,
                                 line=str(r.case.line), time=_num(r.seconds))
            if r.status != "pass":
                tag = "failure" if r.status == "fail" else "error"
                first = (r.errors[0] if r.errors else r.failures[0].title).strip()
                element = ET.SubElement(case, tag, message=first, type=tag)
                element.text = render(r)
        for messages in problems:
            case = ET.SubElement(suite, "testcase", classname=classname, name="(loading the file)", file=file)
            element = ET.SubElement(case, "error", message=messages[0], type="error")
            element.text = "\n".join(messages)
        for k, v in counts.items():
            totals[k] += v
    for k, v in totals.items():
        top.set(k, _num(v))
    ET.indent(top)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"


def _num(value: float | int) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


__all__ = ["Batch", "BatchResult", "Case", "CaseResult", "Expectation", "Failure", "Suite", "check",
           "evaluate_batches", "junit_xml", "load_suite", "render", "run_cases", "select",
           "tally"]
