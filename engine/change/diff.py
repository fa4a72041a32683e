"""When the terms change: which rulings move, and the change of which provision moved them.

Two sides are built, each a folder with terms/ and rules/: a git revision is exported with
`git archive` into a temporary folder (the user's working tree is only ever read), the working
tree is used where it stands, and a folder holding terms/ can be named directly. The same inputs
are then evaluated on both sides with the running engine: every scenario case, every event stream
under examples/, and any event files given. Inputs always come from the head side, so that only the
terms and the rules differ.

Each ruling is matched across the sides by input, contract and ground (and, for a ground met
several times, by the event it came from) and compared on the fields that decide it (FIELDS). A
ruling not met on either side (`not_grounds` both times) moves only if its outcome or citations
change.

The changes of terms/ and rules/ are worked out from the loaded data, not from text lines:
provisions (wording, or the versions and corpus status that decide rulings), parameters (values,
attributed to the provisions their `reference` cites), versions of an agreement, consumption-tax
rates, and rules (a changed ground is attributed to what it cites; a clock or derivation to its
id). Each moved ruling is attributed to the changes that can reach it: the ground itself or the
clocks and derivations it relies on, a parameter its rules name or whose reference is related
(equal, above or below) to a provision the ruling cites anywhere (citations, arithmetic, notice),
a structural change to a provision it cites, a version of its agreement, tax for an amount. When
nothing reaches it and only one substantive change touches its agreement, that change is named,
marked as inferred; otherwise the ruling is listed as unattributed with the candidates.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import tarfile
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from kiyaku import citations
from kiyaku.errors import DefinitionError, Finding, InputError, KiyakuError
from kiyaku.change.lint import strings
from kiyaku.paths import yaml_files
from kiyaku.change.scenarios import Batch, display_path, evaluate_batches, load_suite

FIELDS = ("outcome", "modality", "amount", "at", "citations", "period", "notice", "version", "missing")
UNMET_FIELDS = ("outcome", "citations")
TEXT_FIELDS = ("text_ja", "heading_ja", "heading_en", "summary_en", "label", "chapter_ja")
RULE_TEXT_FIELDS = ("summary", "requires", "description", "decisions", "file", "line")


# --- the two sides --------------------------------------------------------------------------------

@dataclass
class Side:
    label: str
    root: Path
    rev: str | None = None  # the commit, for a git revision
    extracted: bool = False


def _git(repo: Path, *args: str, binary: bool = False) -> Any:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary,
                              check=False)
    except FileNotFoundError:
        raise InputError(Finding("git", None, "git is not installed", "kiyaku diff needs git to read revisions")) from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace") if binary else done.stderr
        raise InputError(Finding("git", None, f"git {' '.join(args[:3])} failed: {err.strip()}",
                                 "name a revision of this repository (a branch, a tag, a commit)"))
    return done.stdout


def main_branch(repo: Path) -> str:
    """The repository's main branch: origin's HEAD, else main, master, origin/main, origin/master."""
    try:
        ref = _git(repo, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD").strip()
        if ref:
            return ref
    except InputError:
        pass
    for name in ("main", "master", "origin/main", "origin/master"):
        try:
            _git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
            return name
        except InputError:
            continue
    raise InputError(Finding("git", None, "no main branch found (main, master or origin's HEAD)",
                             "name the base revision: kiyaku diff BASE"))


def default_base(repo: Path, head: str | None) -> tuple[str, str]:
    """The merge base of HEAD (or the head revision) with the main branch, and how it was found."""
    try:
        _git(repo, "rev-parse", "--show-toplevel")
    except InputError:
        raise InputError(Finding(str(repo), None, "not in a git repository, so there is no default base",
                                 "name BASE: a folder holding terms/ and rules/")) from None
    branch = main_branch(repo)
    sha = _git(repo, "merge-base", head or "HEAD", branch).strip()
    return sha, f"merge base with {branch}"


def _prefix(repo: Path) -> str:
    return _git(repo, "rev-parse", "--show-prefix").strip()


def export(repo: Path, rev: str, dest: Path, folders: tuple[str, ...]) -> tuple[str, Path]:
    """`folders` of revision `rev` written under `dest` with `git archive`; (commit, the root there)."""
    try:
        sha = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except InputError:
        raise InputError(Finding(rev, None, f"unknown revision {rev!r}",
                                 "name a branch, tag or commit of this repository, or a folder holding terms/")) from None
    prefix = _prefix(repo)
    present = [f"{prefix}{f}" for f in folders if _git(repo, "ls-tree", "--name-only", sha, "--", f"{prefix}{f}").strip()]
    if f"{prefix}terms" not in present:
        raise InputError(Finding(f"{rev}:{prefix}terms", None, f"revision {rev} has no terms/ folder",
                                 "name a revision that holds the agreements"))
    data = _git(repo, "archive", "--format=tar", sha, "--", *present, binary=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        try:
            tar.extractall(dest, filter="data")
        except TypeError:  # pragma: no cover - Python without extraction filters
            tar.extractall(dest)  # noqa: S202 - an archive git made of this repository
    return sha, dest / prefix


@contextmanager
def sides(root: Path, base: str | None, head: str | None) -> Iterator[tuple[Side, Side]]:
    """Both sides, built in a temporary folder that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kiyaku-diff-") as tmp:
        head_side = _side(root, head, Path(tmp) / "head", inputs=True)
        if base is None:
            sha, how = default_base(root, head_side.rev)
            base_side = _side(root, sha, Path(tmp) / "base", inputs=False)
            base_side.label = f"{sha[:10]} ({how})"
        else:
            base_side = _side(root, base, Path(tmp) / "base", inputs=False)
        yield base_side, head_side


def _side(root: Path, rev: str | None, dest: Path, inputs: bool) -> Side:
    if rev is None:
        return Side("working tree", root)
    folder = Path(rev)
    if folder.is_dir() and (folder / "terms").is_dir():
        return Side(str(folder), folder)
    folders = ("terms", "rules") + (("tests/scenarios", "examples") if inputs else ())
    sha, where = export(root, rev, dest, folders)
    label = rev if sha.startswith(rev) else f"{rev} ({sha[:10]})"
    return Side(label, where, sha, extracted=True)


# --- inputs: the scenario cases and event streams evaluated on both sides ---------------------------

@dataclass(frozen=True)
class Input:
    key: str        # unique: file, or file and case name
    file: str
    line: int | None
    case: str | None
    batch: Batch | None = None  # a scenario case's events (an event file is read contract by contract)
    path: Path | None = None  # an event file
    store: str | None = None  # a case store, read contract by contract as an event file is


def inputs(base: Path, scenarios: list[Path], streams: list[Path], errors: list[Finding]) -> list[Input]:
    """Every scenario case under `scenarios` and every event file under `streams`."""
    from kiyaku.textio import STDIN, name_of

    out: list[Input] = []
    for path in yaml_files(p for p in scenarios if p.exists()):
        name = display_path(path, base)
        try:
            suite = load_suite(path, name)
        except DefinitionError as exc:
            errors.extend(exc.findings)
            continue
        for c in suite.cases:
            out.append(Input(f"{name}: {c.name}", name, c.line, c.name, Batch(name, c.events, c.as_of)))
    files: list[Path] = []
    for p in streams:
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".jsonl", ".yaml", ".yml") and f.is_file())
        elif p.exists() or p.is_symlink() or str(p) == STDIN:
            files.append(p)  # reading it says what is wrong with it
        else:
            errors.append(Finding(str(p), None, "no such events file"))
    for path in files:
        name = name_of(path) if str(path) == STDIN else display_path(path, base)
        out.append(Input(name, name, None, None, path=path))
    return out


@dataclass(frozen=True)
class Comparing:
    """The task of a part of an event file (replay/bulk.py): each contract judged with both sides'
    terms and rules, and the rulings that moved. Returns the moves, the number of rulings on each
    side, and what could not be evaluated (side, finding)."""

    input: Input

    def __call__(self, part: Any, shipped: tuple[Any, Any]) -> tuple[list[Move], int, int, list[tuple[int, Finding]]]:
        from kiyaku.replay import bulk

        judges = [bulk.judge(d) for d in shipped]
        moves: list[Move] = []
        counts = [0, 0]
        failed: list[tuple[int, Finding]] = []
        for stream in part.streams([]):
            found = []
            for side, judge in enumerate(judges):
                try:
                    found.append(judge.rulings(stream))
                except KiyakuError as exc:
                    failed += [(side, f) for f in exc.findings]
            if len(found) == 2:
                counts = [counts[0] + len(found[0]), counts[1] + len(found[1])]
                moves += compare(self.input, *found)
        return moves, counts[0], counts[1], failed


def compare_file(inp: Input, workers: Any) -> tuple[list[Move], int, int, list[tuple[int | None, Finding]]]:
    """An event file or a case store evaluated with both sides contract by contract (by `workers`, bulk.py's,
    whose shipped definitions are both sides': in worker processes or on a cluster when it is large), so
    that memory holds a few contracts' rulings, not the input's."""
    from kiyaku.replay import bulk

    if inp.store is not None:
        from kiyaku.store import open_store
        from kiyaku.store.events import Stored, sizes

        with open_store(inp.store) as store:
            source, located = Stored.named(inp.store), sizes(store)
    else:
        from kiyaku.replay.streams import Files, file_inputs, index

        sources = file_inputs([inp.path], names=[inp.file])
        errors: list[Finding] = []
        located = index(sources, errors, keep_going=True, workers=workers)
        if errors:
            return [], 0, 0, [(None, f) for f in errors]
        if workers.scheduler:
            bulk.readable_everywhere(sources)
        source = Files(tuple(sources))
    moves: list[Move] = []
    counts = [0, 0]
    failed: list[tuple[int | None, Finding]] = []
    here = sum(c.events for c in located) < bulk.ALONE  # a small file: here, at once
    for found, a, b, bad in workers.run(bulk.parts(source, located, 1 if here else workers.jobs), Comparing(inp),
                                        here):
        moves += found
        counts = [counts[0] + a, counts[1] + b]
        failed += bad
    return moves, counts[0], counts[1], failed


# --- what changed in terms/ and rules/ ----------------------------------------------------------------

@dataclass
class Change:
    kind: str                       # parameter | provision | version | law | rule
    name: str                       # the parameter, provision, version or rule id
    agreement: str | None           # None: every agreement (law, rules)
    detail: list[str]
    file: str | None = None
    line: int | None = None
    text_only: bool = False
    provisions: tuple[str, ...] = ()                  # attributed to (for one agreement)
    cites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a rule's, per agreement

    def provisions_for(self, agreement: str) -> tuple[str, ...]:
        return self.cites.get(agreement, ()) if self.kind == "rule" else self.provisions

    def title(self) -> str:
        where = f" ({self.file}:{self.line})" if self.file and self.line else f" ({self.file})" if self.file else ""
        owner = f" of {self.agreement}" if self.agreement and self.kind == "parameter" else ""
        return f"{self.kind} {self.name}{owner}{where}: {'; '.join(self.detail)}"

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "agreement": self.agreement, "detail": self.detail,
                "file": self.file, "line": self.line, "text_only": self.text_only,
                "provisions": list(self.provisions) if self.kind != "rule" else
                sorted({p for ps in self.cites.values() for p in ps})}


def _show(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 80 else text[:77] + "..."
    return str(value)


def changes(base_terms: Any, base_book: Any, head_terms: Any, head_book: Any) -> list[Change]:
    """Every difference of data between the two sides' terms and rules."""
    out: list[Change] = []
    for a in sorted(set(base_terms.agreements) | set(head_terms.agreements)):
        old, new = base_terms.agreements.get(a), head_terms.agreements.get(a)
        if old is None or new is None:
            out.append(Change("agreement", a, a, ["added" if old is None else "removed"], text_only=False))
            continue
        out += _provision_changes(old, new)
        out += _parameter_changes(old, new)
        out += _version_changes(old, new)
    if base_terms.tax_rates != head_terms.tax_rates:
        detail = [f"{d}: {r}%" for d, r in head_terms.tax_rates if (d, r) not in base_terms.tax_rates]
        out.append(Change("law", "consumption-tax rates", None, detail or ["rates removed"],
                          "terms/law/consumption-tax.yaml"))
    out += _rule_changes(base_book, head_book)
    return out


def _provision_changes(old: Any, new: Any) -> Iterator[Change]:
    for pid in sorted(set(old.provisions) | set(new.provisions), key=lambda p: (p not in new.provisions, p)):
        a, b = old.provisions.get(pid), new.provisions.get(pid)
        p = b or a
        if a is None or b is None:
            yield Change("provision", pid, old.id, ["added" if a is None else "removed"], p.file, p.line,
                         text_only=True, provisions=(pid,))
            continue
        text = [f for f in TEXT_FIELDS if getattr(a, f) != getattr(b, f)]
        structure = []
        if a.versions != b.versions:
            structure.append(f"versions: {_show(list(a.versions or ['all']))} → {_show(list(b.versions or ['all']))}")
        if a.text_in_corpus != b.text_in_corpus:
            structure.append("text now in the corpus" if b.text_in_corpus else "text now marked not in the corpus")
        if structure:
            yield Change("provision", pid, old.id, structure + [f"{f} changed" for f in text], b.file, b.line,
                         provisions=(pid,))
        elif text:
            yield Change("provision", pid, old.id, [f"{f} changed" for f in text], b.file, b.line,
                         text_only=True, provisions=(pid,))


def _parameter_changes(old: Any, new: Any) -> Iterator[Change]:
    for name in sorted(set(old.parameters) | set(new.parameters)):
        a, b = old.parameters.get(name), new.parameters.get(name)
        p = b or a
        if a is None or b is None:
            yield Change("parameter", name, old.id, ["added" if a is None else "removed"], p.file, p.line,
                         provisions=p.references)
            continue
        detail = []
        before, after = dict(a.values), dict(b.values)
        for when in sorted(set(before) | set(after)):
            if when not in after:
                detail.append(f"value from {when} removed (was {_show(before[when])})")
            elif when not in before:
                detail.append(f"from {when}: {_show(after[when])} (new)")
            elif before[when] != after[when]:
                detail.append(f"from {when}: {_show(before[when])} → {_show(after[when])}")
        if a.unit != b.unit:
            detail.append(f"unit: {a.unit} → {b.unit}")
        if a.references != b.references:
            detail.append(f"reference: {', '.join(a.references)} → {', '.join(b.references)}")
        refs = tuple(dict.fromkeys(b.references + a.references))
        if detail:
            yield Change("parameter", name, old.id, detail, b.file, b.line, provisions=refs)
        elif a.description != b.description:
            yield Change("parameter", name, old.id, ["description changed"], b.file, b.line, text_only=True,
                         provisions=refs)


def _version_changes(old: Any, new: Any) -> Iterator[Change]:
    before = {v.id: v for v in old.versions}
    after = {v.id: v for v in new.versions}
    for vid in sorted(set(before) | set(after)):
        a, b = before.get(vid), after.get(vid)
        if a == b:
            continue
        v = b or a
        if a is None or b is None:
            detail = ["added" if a is None else "removed"]
        else:
            detail = [f"{f}: {_show(getattr(a, f))} → {_show(getattr(b, f))}"
                      for f in ("effective", "label", "text", "derived_from", "changes", "reference")
                      if getattr(a, f) != getattr(b, f)] or ["note changed"]
        text_only = a is not None and b is not None and dataclasses.replace(a, note=None, label="") == \
            dataclasses.replace(b, note=None, label="")
        yield Change("version", vid, old.id, detail, f"terms/{old.id}/agreement.yaml", None,
                     text_only=text_only, provisions=(v.reference,) if v.reference else ())


def _rules(book: Any) -> dict[str, Any]:
    return {r.id: r for r in [*book.clocks, *book.derivations, *book.grounds]}


def _strip(rule: Any, fields: tuple[str, ...]) -> Any:
    blank = {f.name: (0 if f.name == "line" else () if f.name == "decisions" else "")
             for f in dataclasses.fields(rule) if f.name in fields}
    return dataclasses.replace(rule, **blank)


def _rule_changes(old_book: Any, new_book: Any) -> Iterator[Change]:
    old, new = _rules(old_book), _rules(new_book)
    for rid in sorted(set(old) | set(new)):
        a, b = old.get(rid), new.get(rid)
        r = b or a
        if a is not None and b is not None and type(a) is type(b) and \
                _strip(a, ("file", "line")) == _strip(b, ("file", "line")):
            continue
        cites: dict[str, tuple[str, ...]] = {}
        for rule in (b, a):
            for agreement, refs in (getattr(rule, "cites", None) or {}).items():
                cites[agreement] = tuple(dict.fromkeys(cites.get(agreement, ()) + tuple(refs)))
        if a is None or b is None:
            detail, text_only = ["added" if a is None else "removed"], False
        else:
            names = [f.name for f in dataclasses.fields(b) if f.name not in ("file", "line")
                     and getattr(a, f.name, None) != getattr(b, f.name, None)]
            detail = [f"{n} changed" for n in names]
            text_only = _strip(a, RULE_TEXT_FIELDS) == _strip(b, RULE_TEXT_FIELDS)
        yield Change("rule", rid, None, detail, r.file, r.line, text_only=text_only, cites=cites)


# --- which change reaches which ruling ------------------------------------------------------------

def _reach(book: Any, ground_id: str, agreement: str) -> tuple[set[str], set[str]]:
    """The rule ids a ground relies on (itself, its derivations and clocks) and every string in them."""
    rules = _rules(book)
    by_fact: dict[str, list[Any]] = defaultdict(list)
    for c in book.clocks:
        if agreement in c.agreements:
            by_fact[c.id.rsplit(".", 1)[1]].append(c)
    for d in book.derivations:
        if agreement in d.agreements:
            by_fact[d.name].append(d)
    ids: set[str] = set()
    texts: set[str] = set()
    todo = [rules[ground_id]] if ground_id in rules else []
    while todo:
        rule = todo.pop()
        if rule.id in ids:
            continue
        ids.add(rule.id)
        texts |= set(strings(dataclasses.asdict(rule)))
        for section in ("when", "absent", "until"):
            for p in getattr(rule, section, ()) or ():
                todo.extend(by_fact.get(p.fact, ()))
    return ids, texts


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _cited_in(rulings: list[dict[str, Any]], agreement: str) -> set[str]:
    out = set()
    for r in rulings:
        for s in strings(r):
            parsed = citations.parse(s)
            if parsed is not None and parsed.agreement == agreement:
                out.add(s)
    return out


@dataclass
class Move:
    """One ruling that appears, disappears or changes."""

    change: str                      # changed | added | removed
    input: Input
    contract: str
    agreement: str
    ground: str
    kind: str
    fields: dict[str, dict[str, Any]]
    base: dict[str, Any] | None
    head: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"change": self.change, "input": self.input.file, "line": self.input.line, "case": self.input.case,
                "contract": self.contract, "agreement": self.agreement, "ground": self.ground, "kind": self.kind,
                "fields": self.fields}


def _anchor(r: dict[str, Any]) -> str:
    for reason in r.get("reasons") or []:
        if isinstance(reason, dict):
            if reason.get("event"):
                return str(reason["event"])
            for e in reason.get("from_events") or []:
                if isinstance(e, dict) and e.get("event"):
                    return str(e["event"])
    return ""


def _pairs(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> Iterator[tuple[dict | None, dict | None]]:
    if len(old) <= 1 and len(new) <= 1:
        yield (old[0] if old else None, new[0] if new else None)
        return
    rest_new = list(new)
    left = []
    for r in old:
        match = next((n for n in rest_new if _anchor(n) == _anchor(r)), None)
        if match is None:
            left.append(r)
        else:
            rest_new.remove(match)
            yield r, match
    for i, r in enumerate(left):
        yield (r, rest_new[i]) if i < len(rest_new) else (r, None)
    for n in rest_new[len(left):]:
        yield None, n


def compare(inp: Input, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Move]:
    groups: dict[tuple[str, str], tuple[list, list]] = {}
    for side, rulings in ((0, old), (1, new)):
        for r in rulings:
            groups.setdefault((r.get("contract", ""), r.get("ground") or r.get("kind", "")), ([], []))[side].append(r)
    moves = []
    for (contract, ground), (a_list, b_list) in groups.items():
        for a, b in _pairs(a_list, b_list):
            r = b or a
            common = dict(contract=contract, agreement=r.get("agreement", ""), ground=ground, kind=r.get("kind", ""),
                          base=a, head=b)
            if a is None or b is None:
                fields = {k: {"base": a.get(k) if a else None, "head": b.get(k) if b else None}
                          for k in ("outcome", "amount", "citations") if (a or b).get(k) is not None}
                moves.append(Move("added" if a is None else "removed", inp, fields=fields, **common))
                continue
            unmet = a.get("outcome") == "not_grounds" and b.get("outcome") == "not_grounds"
            fields = {k: {"base": a.get(k), "head": b.get(k)} for k in (UNMET_FIELDS if unmet else FIELDS)
                      if a.get(k) != b.get(k)}
            if fields:
                moves.append(Move("changed", inp, fields=fields, **common))
    return moves


@dataclass
class Group:
    provisions: tuple[str, ...]
    causes: list[Change]
    moves: list[Move] = field(default_factory=list)
    inferred: bool = False


@dataclass
class Report:
    base: Side
    head: Side
    counts: dict[str, int]
    groups: list[Group]
    unattributed: list[Group]
    unmoved: list[Change]
    text_only: list[Change]
    errors: list[str]
    titles: dict[str, str]

    @property
    def moves(self) -> list[Move]:
        return [m for g in self.groups + self.unattributed for m in g.moves]

    def fails(self, on: str | None) -> bool:
        kinds = {m.change for m in self.moves}
        return {"changed": "changed" in kinds, "removed": "removed" in kinds,
                "any": bool(kinds) or bool(self.errors)}.get(on or "", False)


def attribute(moves: list[Move], found: list[Change], books: tuple[Any, Any]) -> tuple[list[Group], list[Group], set[int]]:
    """Groups of moves by the provisions of their causes; the unattributed; the changes used."""
    effective = [c for c in found if not c.text_only]
    groups: dict[tuple[Any, ...], Group] = {}
    unattributed: dict[tuple[int, ...], Group] = {}
    used: set[int] = set()
    for m in moves:
        reach_ids, reach_texts = set(), set()
        for book in books:
            ids, texts = _reach(book, m.ground, m.agreement)
            reach_ids |= ids
            reach_texts |= texts
        cited = _cited_in([r for r in (m.base, m.head) if r], m.agreement)
        has_amount = any(r and r.get("amount") is not None for r in (m.base, m.head))
        causes = [c for c in effective if _reaches(c, m, reach_ids, reach_texts, cited, has_amount)]
        inferred = False
        if not causes:
            touching = [c for c in effective if c.agreement in (None, m.agreement)
                        and (c.kind != "rule" or m.agreement in c.cites or not c.cites)]
            if len(touching) == 1:
                causes, inferred = touching, True
        if not causes:
            key = tuple(sorted(id(c) for c in effective))
            unattributed.setdefault(key, Group((), [c for c in effective if c.agreement in (None, m.agreement)]))
            unattributed[key].moves.append(m)
            continue
        used |= {id(c) for c in causes}
        provisions = tuple(dict.fromkeys(p for c in causes for p in c.provisions_for(m.agreement)))
        key = (provisions or tuple(c.name for c in causes), inferred)
        group = groups.setdefault(key, Group(provisions, [], inferred=inferred))
        for c in causes:
            if all(c is not x for x in group.causes):
                group.causes.append(c)
        group.moves.append(m)
    return list(groups.values()), list(unattributed.values()), used


def _reaches(c: Change, m: Move, rule_ids: set[str], texts: set[str], cited: set[str], has_amount: bool) -> bool:
    if c.kind == "rule":
        return c.name in rule_ids
    if c.kind == "law":
        return has_amount
    if c.agreement != m.agreement:
        return False
    if c.kind == "version" or c.kind == "agreement":
        return True
    if c.kind == "parameter" and c.name in texts:
        return True
    return any(_related(p, q) for p in c.provisions for q in cited)


# --- the whole run --------------------------------------------------------------------------------

def run(root: Path, base: str | None = None, head: str | None = None, events: list[Path] = (),
        scenarios: list[Path] | None = None, examples: list[Path] | None = None, jobs: int | None = None,
        scheduler: str | None = None, shown: Callable[[Iterable[Input]], Iterable[Input]] = lambda i: i,
        db: str | None = None) -> Report:
    """Build both sides, evaluate every input on each, and attribute every ruling that moved. Event
    files and the case store `db` are read contract by contract (over `jobs` worker processes, or on the
    Dask cluster at `scheduler`, when large); `shown` wraps the inputs as they are evaluated (a progress bar)."""
    from kiyaku import definitions
    from kiyaku.replay import bulk

    with sides(root, base, head) as (old, new):
        errors: list[Finding] = []
        scenario_paths = scenarios if scenarios is not None else [new.root / "tests" / "scenarios"]
        example_paths = examples if examples is not None else [new.root / "examples"]
        found_inputs = inputs(new.root, scenario_paths, list(example_paths) + list(events), errors)
        if db is not None:
            found_inputs.append(Input(db, db, None, None, store=db))
        cases = [i for i in found_inputs if i.batch is not None]
        loaded = []
        results = []
        for side in (old, new):
            with private_cache(side):
                try:
                    loaded.append(definitions.load(side.root))
                    results.append(evaluate_batches(side.root, [i.batch for i in cases]))
                except DefinitionError as exc:
                    raise DefinitionError([_on_side(side, f) for f in exc.findings]) from None
        moves: list[Move] = []
        messages = [str(f) for f in errors]
        for inp, a, b in zip(cases, *results):
            if a.errors or b.errors:
                for side, res in ((old, a), (new, b)):
                    messages += [f"{side.label}: {f}" for f in res.errors]
                continue
            moves += compare(inp, a.rulings, b.rulings)
        rulings = [sum(len(r.rulings) for r in results[0]), sum(len(r.rulings) for r in results[1])]
        with bulk.Workers(tuple(loaded), jobs, scheduler) as workers:
            for inp in shown([i for i in found_inputs if i.batch is None]):
                found, a, b, failed = compare_file(inp, workers)
                if failed:
                    messages += [f"{side.label}: {f}" for i, f in failed for side in ((old, new) if i is None else
                                                                                     ((old, new)[i],))]
                    continue
                moves += found
                rulings = [rulings[0] + a, rulings[1] + b]
        n_cases = sum(i.case is not None for i in found_inputs)
        counts = {"scenario_cases": n_cases, "event_files": sum(i.path is not None for i in found_inputs),
                  "stores": sum(i.store is not None for i in found_inputs),
                  "rulings_base": rulings[0], "rulings_head": rulings[1]}
        return report_of(old, new, loaded, moves, counts, messages)


def report_of(old: Side, new: Side, loaded: list[tuple[Any, Any]], moves: list[Move], counts: dict[str, int],
              messages: list[str]) -> Report:
    """The moves attributed to the changes between the two sides' (terms, rules) in `loaded`."""
    (old_terms, old_book), (new_terms, new_book) = loaded
    found = changes(old_terms, old_book, new_terms, new_book)
    groups, unattributed, used = attribute(moves, found, (old_book, new_book))
    titles = {}
    for c in found:
        for p in (c.provisions if c.kind != "rule" else [q for qs in c.cites.values() for q in qs]):
            titles[p] = provision_title((new_terms, old_terms), p)
    counts = counts | {"changed": sum(m.change == "changed" for m in moves),
                       "added": sum(m.change == "added" for m in moves),
                       "removed": sum(m.change == "removed" for m in moves)}
    groups.sort(key=lambda g: (g.inferred, g.provisions or tuple(c.name for c in g.causes)))
    for g in groups + unattributed:
        g.moves.sort(key=lambda m: (m.input.file, m.input.line or 0, m.contract, m.ground))
    unmoved = [c for c in found if not c.text_only and id(c) not in used]
    text_only = [c for c in found if c.text_only]
    return Report(old, new, counts, groups, unattributed, unmoved, text_only, messages, titles)


def _on_side(side: Side, f: Finding) -> Finding:
    return Finding(f"{side.label}:{f.file}" if side.extracted else f.file, f.line, f.message, f.hint)


@contextmanager
def private_cache(side: Side) -> Iterator[None]:
    """An exported side is checked without leaving its parsed terms in the user's cache."""
    if not side.extracted:
        yield
        return
    before = os.environ.get("KIYAKU_CACHE")
    os.environ["KIYAKU_CACHE"] = str(side.root / ".kiyaku-cache")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KIYAKU_CACHE", None)
        else:
            os.environ["KIYAKU_CACHE"] = before


def provision_title(sides_terms: tuple[Any, ...], pid: str) -> str:
    """第29条第1項（割増金）: the way the agreement names a provision, with its article's heading."""
    from kiyaku.terms.show import japanese_name

    for terms in sides_terms:
        agreement = terms.agreements.get(pid.split(":", 1)[0])
        if agreement is None or pid not in agreement.provisions:
            continue
        p = agreement.provisions[pid]
        heading = next((q.heading_ja for q in [p, *reversed(agreement.ancestors(pid))] if q.heading_ja), None)
        return japanese_name(agreement, p) + (f"（{heading}）" if heading else "")
    return ""


# --- output -----------------------------------------------------------------------------------------

def _value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)


def _field_lines(m: Move) -> list[str]:
    return [f"{k}: {_value(v['base'])} → {_value(v['head'])}" for k, v in m.fields.items()]


def _where(m: Move) -> str:
    if m.input.case is not None:
        return f"{m.input.file}:{m.input.line} {m.input.case}"
    return m.input.file


def _group_title(g: Group, report: Report) -> str:
    if not g.provisions:
        return " + ".join(f"{c.kind} {c.name}" for c in g.causes) + " (cites no provision)"
    return " + ".join(f"{p} {report.titles.get(p, '')}".strip() for p in g.provisions)


def _headline(report: Report) -> str:
    return f"kiyaku diff: {report.base.label} → {report.head.label}"


def _tally(report: Report) -> str:
    c = report.counts
    return (f"{c['changed']} ruling(s) changed, {c['added']} appeared, {c['removed']} disappeared "
            f"(evaluated {c['scenario_cases']} scenario case(s) and {c['event_files']} event file(s)"
            f"{_stores(c)}: "
            f"{c['rulings_base']} rulings before, {c['rulings_head']} after)")


def _stores(counts: dict[str, int]) -> str:
    return " and the case store" if counts.get("stores") else ""


def _unmet(m: Move) -> bool:
    """A ground not met wherever it is: a 'no' whose citations moved, or that came or went."""
    return all(r is None or r.get("outcome") == "not_grounds" for r in (m.base, m.head))


_FOLDED = {"changed": "not met on either side", "added": "appear, not met", "removed": "disappear, not met"}


def _split(moves: list[Move]) -> tuple[list[Move], list[tuple[str, str, list[Move]]]]:
    """The moves to list one by one, and the unmet ones folded by ground and change."""
    shown = [m for m in moves if not _unmet(m)]
    folded: dict[tuple[str, str], list[Move]] = {}
    for m in moves:
        if _unmet(m):
            what = _FOLDED[m.change] + (f": {'; '.join(_field_lines(m))}" if m.change == "changed" else "")
            folded.setdefault((m.ground, what), []).append(m)
    return shown, [(g, f, ms) for (g, f), ms in folded.items()]


def _files(moves: list[Move]) -> str:
    counts: dict[str, int] = {}
    for m in moves:
        counts[m.input.file] = counts.get(m.input.file, 0) + 1
    return ", ".join(f"{f} ×{n}" if n > 1 else f for f, n in counts.items())


def _moves_table(g: Group) -> list[str]:
    shown, folded = _split(g.moves)
    lines = []
    for m in shown:
        lines.append(f"  {m.change:<8} {_where(m)}")
        lines.append(f"           {m.contract} {m.ground}: " + "; ".join(_field_lines(m)))
    for ground, change, ms in folded:
        lines.append(f"  not met  {len(ms)} ruling(s) of {ground} {change}")
        lines.append(f"           in {_files(ms)}")
    return lines


def render_table(report: Report) -> str:
    lines = [_headline(report), ""]
    for g in report.groups:
        lines.append(_group_title(g, report) + (" (inferred: the only change that touches these rulings)" if g.inferred else ""))
        lines += [f"  {c.title()}" for c in g.causes]
        lines += _moves_table(g)
        lines.append("")
    for g in report.unattributed:
        lines.append("Moved, cause not determined; candidates:")
        lines += [f"  {c.title()}" for c in g.causes] or ["  (no change of terms/ or rules/ found)"]
        lines += _moves_table(g)
        lines.append("")
    if report.unmoved:
        lines.append("Changed, but no evaluated ruling moved:")
        lines += [f"  {_described(c, report)}" for c in report.unmoved] + [""]
    if report.text_only:
        lines.append("Changed in text only:")
        lines += [f"  {_described(c, report)}" for c in report.text_only] + [""]
    if report.errors:
        lines.append("Could not evaluate:")
        lines += [f"  {e}" for e in report.errors] + [""]
    lines.append(_tally(report))
    return "\n".join(lines) + "\n"


def _described(c: Change, report: Report) -> str:
    """A change that moved no ruling, with the provisions it stands for."""
    if c.kind == "provision":
        title = report.titles.get(c.name)
        return c.title() + (f" [{title}]" if title else "")
    provisions = c.provisions if c.kind != "rule" else tuple(dict.fromkeys(q for qs in c.cites.values() for q in qs))
    names = ", ".join(f"{p} {report.titles.get(p, '')}".strip() for p in provisions)
    return c.title() + (f" [{names}]" if names else "")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    c = report.counts
    lines = [f"### kiyaku diff: `{report.base.label}` → `{report.head.label}`", ""]
    if not report.moves:
        lines += ["No ruling moved.", ""]
    for g in report.groups + report.unattributed:
        title = _group_title(g, report) if g in report.groups else "Cause not determined"
        lines.append(f"#### {title}" + (" (inferred)" if g.inferred else ""))
        lines += [f"- {_md(c.title())}" for c in g.causes]
        lines += ["", "| | scenario / events | contract | ground | what moved |", "|---|---|---|---|---|"]
        shown, folded = _split(g.moves)
        for m in shown:
            lines.append(f"| {m.change} | {_md(_where(m))} | {_md(m.contract)} | `{m.ground}` | "
                         f"{_md('; '.join(_field_lines(m)))} |")
        for ground, change, ms in folded:
            lines.append(f"| not met ×{len(ms)} | {_md(_files(ms))} | | `{ground}` | {_md(change)} |")
        lines.append("")
    if report.unmoved:
        lines += ["#### Changed, but no evaluated ruling moved", ""]
        lines += [f"- {_md(_described(x, report))}" for x in report.unmoved] + [""]
    if report.text_only:
        lines += ["#### Changed in text only", ""]
        lines += [f"- {_md(_described(x, report))}" for x in report.text_only] + [""]
    if report.errors:
        lines += ["#### Could not evaluate", ""] + [f"- {_md(e)}" for e in report.errors] + [""]
    lines.append(f"<sub>{c['changed']} changed, {c['added']} appeared, {c['removed']} disappeared; "
                 f"{c['scenario_cases']} scenario cases and {c['event_files']} event files{_stores(c)} evaluated.</sub>")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    def group(g: Group) -> dict[str, Any]:
        return {"provisions": [{"id": p, "title": report.titles.get(p, "")} for p in g.provisions],
                "causes": [c.as_json() for c in g.causes], "inferred": g.inferred,
                "rulings": [m.as_json() for m in g.moves]}

    doc = {"base": {"label": report.base.label, "commit": report.base.rev},
           "head": {"label": report.head.label, "commit": report.head.rev},
           "counts": report.counts,
           "groups": [group(g) for g in report.groups],
           "unattributed": [group(g) for g in report.unattributed],
           "unmoved": [c.as_json() for c in report.unmoved],
           "text_only": [c.as_json() for c in report.text_only],
           "errors": report.errors}
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def render(report: Report, fmt: str) -> str:
    return {"json": render_json, "md": render_markdown}.get(fmt, render_table)(report)


__all__ = ["Change", "Group", "Input", "Move", "Report", "Side", "changes", "compare", "render", "run"]
