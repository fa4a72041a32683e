"""Lint for terms/ and rules/ that load cleanly: what is valid but cannot be what the author meant.

Run by `kiyaku check` after loading; every finding is a warning (`file:line: warning: …`):

- never-fires: a rule whose `when` needs a fact nothing produces for one of its agreements (a
  derivation or clock written for other agreements only, or one that itself never fires);
- never-holds: a `where` test the event vocabulary rules out (a field the fact does not have, an
  enum value not allowed, a value of the wrong type, an order test on a non-number, a regular
  expression no allowed value matches, `$alias.field` naming a field the alias lacks);
- uncited: a provision of a kind the product covers (engine/coverage.yaml) that no rule cites;
- unused-parameter: a parameter that no rule names and no code of the engine (engine/**/*.py)
  or report template (reports/) names as a string.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema

from kiyaku import citations
from kiyaku.errors import location
from kiyaku.replay.events import vocabulary
from kiyaku.rules.compiler import param_ref
from kiyaku.rules.model import Derivation, Ground, Pattern, RuleBook
from kiyaku.terms import Terms
from kiyaku.terms.show import japanese_name
from kiyaku.yamlio import YamlSyntaxError, load_file, load_text

LEDGER_FACTS = {"invoice_paid": {"invoice": {"type": "string"}}}  # recorded by the evaluator's ledger
EVERY_FACT = {"time": None}  # rules compare any fact's time as `time`
EVENT_EXTRA = {"eid": {"type": "string"}}  # every event fact carries its id as eid


@dataclass(frozen=True)
class LintWarning:
    file: str
    line: int | None
    code: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        tail = f" ({self.hint})" if self.hint else ""
        return f"{location(self.file, self.line)}: warning: {self.message}{tail} [{self.code}]"


def lint(root: Path, terms: Terms, book: RuleBook) -> list[LintWarning]:
    """Every warning for the terms and rules at `root` (already loaded and valid)."""
    docs = _rule_docs(root / "rules")
    out = list(never_fires(book, terms))
    out += never_holds(book)
    out += uncited(terms, docs, coverage())
    out += unused_parameters(root, terms, docs)
    return sorted(out, key=lambda w: (w.file, w.line or 0, w.code, w.message))


# --- rules that can never fire -------------------------------------------------------------------

def produced(book: RuleBook, agreement: str) -> dict[str, str]:
    """The facts that can exist for `agreement`, each with what produces it."""
    facts = {t: "an event" for t in vocabulary()["$defs"]["types"]}
    facts.update({t: "the payment ledger" for t in LEDGER_FACTS})
    changed = True
    while changed:
        changed = False
        for c in book.clocks:
            name = c.id.rsplit(".", 1)[1]
            if agreement in c.agreements and c.on in facts and name not in facts:
                facts[name] = f"clock {c.id}"
                changed = True
        for d in book.derivations:
            if agreement in d.agreements and d.name not in facts and all(p.fact in facts for p in d.when):
                facts[d.name] = f"derivation {d.id}"
                changed = True
    return facts


def never_fires(book: RuleBook, terms: Terms) -> Iterator[LintWarning]:
    made = {a: produced(book, a) for a in terms.agreements}
    rules: list[Ground | Derivation] = [*book.derivations, *book.grounds]
    for rule in rules:
        stuck: dict[str, list[str]] = {}
        for a in rule.agreements:
            for p in rule.when:
                if a in made and p.fact not in made[a]:
                    stuck.setdefault(p.fact, []).append(a)
        for fact, agreements in stuck.items():
            others = sorted(a for a, facts in made.items() if fact in facts)
            what = "ground" if isinstance(rule, Ground) else "derivation"
            hint = (f"{fact} is produced for {', '.join(others)} only" if others
                    else f"nothing produces {fact}: no event type, clock or derivation of that name fires")
            yield LintWarning(rule.file, rule.line, "never-fires",
                          f"{what} {rule.id} can never fire for {', '.join(agreements)}: its `when` needs "
                          f"{fact}, which nothing produces for {'it' if len(agreements) == 1 else 'them'}", hint)


# --- where-tests the event vocabulary rules out ----------------------------------------------------

def fields_of(book: RuleBook, fact: str) -> dict[str, Any] | None:
    """The fields a fact carries, each with its JSON Schema (None: any value); None when unknown."""
    types = vocabulary()["$defs"]["types"]
    if fact in types:
        return {**types[fact].get("properties", {}), **EVENT_EXTRA, **EVERY_FACT}
    if fact in LEDGER_FACTS:
        return {**LEDGER_FACTS[fact], **EVERY_FACT}
    if any(c.id.rsplit(".", 1)[1] == fact for c in book.clocks):
        return {"of": {"type": "string"}, **EVERY_FACT}
    keeps = [d.keep for d in book.derivations if d.name == fact]
    if keeps:
        return {**{k: None for keep in keeps for k in keep}, **EVERY_FACT}
    return None


def _allowed(value: Any, schema: dict[str, Any] | None) -> bool:
    if schema is None:
        return True
    full = {"$defs": vocabulary()["$defs"], **schema}
    return jsonschema.Draft202012Validator(full).is_valid(value)


def _enum(schema: dict[str, Any] | None) -> list[Any] | None:
    if not schema:
        return None
    if "$ref" in schema:
        schema = vocabulary()["$defs"].get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema.get("enum")


def _numeric(schema: dict[str, Any] | None) -> bool:
    if schema is None:
        return True
    if "$ref" in schema:
        schema = vocabulary()["$defs"].get(schema["$ref"].rsplit("/", 1)[1], {})
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or ["integer"]
    return bool({"integer", "number"} & set(kinds))


def never_holds(book: RuleBook) -> Iterator[LintWarning]:
    rules: list[Ground | Derivation] = [*book.derivations, *book.grounds]
    for rule in rules:
        what = "ground" if isinstance(rule, Ground) else "derivation"
        aliases = {p.alias: p.fact for p in rule.when}
        sections = [("when", rule.when), ("absent", rule.absent)] + (
            [("until", rule.until)] if isinstance(rule, Ground) else [])
        for section, patterns in sections:
            for p in patterns:
                for problem in _pattern_problems(book, p, {**aliases, p.alias: p.fact}):
                    effect = {"when": "so the rule can never fire",
                              "absent": "so the fact always counts as absent",
                              "until": "so this never ends the ground"}[section]
                    yield LintWarning(rule.file, rule.line, "never-holds",
                                  f"{what} {rule.id}, {section} {p.fact}: {problem}, {effect}",
                                  "see docs/events.md for the fields and values of each event")


def _pattern_problems(book: RuleBook, p: Pattern, aliases: dict[str, str]) -> Iterator[str]:
    fields = fields_of(book, p.fact)
    if fields is None:
        return
    for field, tests in p.where.items():
        for op, arg in _tests(tests):
            yield from _test_problems(book, p, aliases, fields, field, op, arg)


def _tests(test: Any) -> list[tuple[str, Any]]:
    """(operator, argument) of each test a where-entry makes: a value is `eq`, a mapping one or more."""
    if isinstance(test, dict) and test and set(test) <= OPERATORS:
        return list(test.items())
    return [("eq", test)]


OPERATORS = {"in", "ne", "gt", "gte", "lt", "lte", "exists", "matches"}


def _test_problems(book: RuleBook, p: Pattern, aliases: dict[str, str], fields: dict[str, Any],
                   field: str, op: str, arg: Any) -> Iterator[str]:
    if field not in fields:
        if not ((op == "exists" and not arg) or op == "ne"):
            yield f"{p.fact} has no field {field!r} (its fields: {', '.join(sorted(fields)) or 'none'})"
        return
    schema = fields[field]
    if param_ref(arg) is not None:  # a parameter's value: checked against terms/ by the loader
        return
    values = arg if op == "in" and isinstance(arg, list) else [arg] if op in ("eq", "in") else []
    for v in values:
        if isinstance(v, str) and v.startswith("$"):
            yield from _reference_problems(book, v, aliases)
        elif not _allowed(v, schema):
            enum = _enum(schema)
            allowed = f"one of {', '.join(map(str, enum))}" if enum else json_type(schema)
            yield f"{field} is never {v!r} ({p.fact}.{field} is {allowed})"
    if op in ("gt", "gte", "lt", "lte"):
        if isinstance(arg, str) and arg.startswith("$"):
            yield from _reference_problems(book, arg, aliases)
        if not _numeric(schema):
            yield f"{field} is compared with {op} but is not a number ({json_type(schema)})"
    if op == "matches" and isinstance(arg, str):
        enum = _enum(schema)
        if enum and not any(isinstance(e, str) and re.fullmatch(arg, e) for e in enum):
            yield f"{field} never matches {arg!r} (it is one of {', '.join(map(str, enum))})"


def _reference_problems(book: RuleBook, ref: str, aliases: dict[str, str]) -> Iterator[str]:
    alias, _, field = ref[1:].partition(".")
    fact = aliases.get(alias)
    fields = fields_of(book, fact) if fact else None
    if fields is not None and field not in fields:
        yield f"{ref} names a field {fact} does not have (its fields: {', '.join(sorted(fields)) or 'none'})"


def json_type(schema: dict[str, Any] | None) -> str:
    if not schema:
        return "any value"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return {"flag": "true or false", "yen": "integer yen", "date": "a date YYYY-MM-DD",
                "citation": "a citation"}.get(name, name)
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    return str(schema.get("type", "any value"))


# --- provisions of covered kinds that no rule cites ------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    headings: dict[str, tuple[str, ...]]
    provisions: dict[str, tuple[str, ...]]
    exempt: dict[str, str]


@cache
def coverage() -> Coverage:
    text = resources.files("kiyaku").joinpath("coverage.yaml").read_text("utf-8")
    doc = load_text(text, "engine/coverage.yaml")
    kinds = doc.get("kinds") or {}
    return Coverage({k: tuple(v.get("headings", ())) for k, v in kinds.items()},
                    {k: tuple(v.get("provisions", ())) for k, v in kinds.items()},
                    dict(doc.get("exempt") or {}))


def cited(docs: list[tuple[str, Any]]) -> set[str]:
    """Every provision named under a `cites:` key anywhere in rules/."""
    out: set[str] = set()

    def walk(node: Any, under: bool) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, under or k == "cites")
        elif isinstance(node, list):
            for v in node:
                walk(v, under)
        elif under and isinstance(node, str):
            out.add(node)

    for _, doc in docs:
        walk(doc, False)
    return out


def covered(terms: Terms, cov: Coverage) -> dict[str, str]:
    """Covered provision id -> its kind (the top of each covered subtree only)."""
    out: dict[str, str] = {}
    patterns = {kind: [re.compile(h) for h in hs] for kind, hs in cov.headings.items()}
    for agreement in terms.agreements.values():
        for p in agreement.walk():
            for kind, regexes in patterns.items():
                if p.heading_ja and any(r.search(p.heading_ja) for r in regexes):
                    out.setdefault(p.id, kind)
    for kind, ids in cov.provisions.items():
        for pid in ids:
            if terms.provision(pid) is not None:
                out.setdefault(pid, kind)
    return out


def uncited(terms: Terms, docs: list[tuple[str, Any]], cov: Coverage) -> Iterator[LintWarning]:
    refs = cited(docs)
    hit: set[str] = set()  # cited, or with something cited below it
    for ref in refs:
        while ref:
            hit.add(ref)
            parsed = citations.parse(ref)
            ref = parsed.parent if parsed else None
    for top, kind in sorted(covered(terms, cov).items()):
        agreement = terms.agreements[top.split(":", 1)[0]]
        todo = [top]
        while todo:
            pid = todo.pop(0)
            p = agreement.provisions[pid]
            if pid.rsplit(".", 1)[-1].startswith("note-") or pid in cov.exempt:
                continue
            if pid not in hit:
                label = japanese_name(agreement, p) + (f"（{p.heading_ja}）" if p.heading_ja else "")
                yield LintWarning(p.file, p.line, "uncited",
                              f"{pid} {label} is a {kind.replace('_', ' ')} provision no rule cites",
                              "cite it in a rule, or exempt it in engine/coverage.yaml with the reason")
                continue
            todo.extend(p.children)


# --- parameters nothing uses --------------------------------------------------------------------

def unused_parameters(root: Path, terms: Terms, docs: list[tuple[str, Any]]) -> Iterator[LintWarning]:
    named_in_code = code_strings() | template_strings(root / "reports")
    for agreement in terms.agreements.values():
        in_rules = set()
        for _, doc in docs:
            if agreement.id in (doc.get("agreements") or []):
                in_rules |= set(strings(doc))
        for name, p in agreement.parameters.items():
            if name not in in_rules and name not in named_in_code and not p.for_reference:
                yield LintWarning(p.file, p.line, "unused-parameter",
                              f"parameter {name} of {agreement.id} is used by no rule and no calculator",
                              "name it where it is used, or remove it")


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from strings(v)


@cache
def code_strings() -> frozenset[str]:
    """Every string constant in the engine's Python code."""
    out: set[str] = set()
    for path in Path(__file__).resolve().parents[1].rglob("*.py"):
        try:
            tree = ast.parse(path.read_text("utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        out.update(n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str))
    return frozenset(out)


def template_strings(folder: Path) -> frozenset[str]:
    out: set[str] = set()
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".j2", ".jinja", ".html", ".md"):
                out.update(re.findall(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text("utf-8", "replace")))
    return frozenset(out)


def _rule_docs(folder: Path) -> list[tuple[str, Any]]:
    docs = []
    for path in sorted(folder.rglob("*.yaml")) if folder.is_dir() else []:
        try:
            docs.append((str(path), load_file(path)))
        except YamlSyntaxError:
            continue
    return docs

