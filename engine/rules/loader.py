"""Read rules/ into a RuleBook, checking every name, citation and parameter against terms/."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any, Iterator

from kiyaku import citations, schema
from kiyaku.errors import DefinitionError, Finding
from kiyaku.replay.events import COMMON, TOKYO, vocabulary
from kiyaku.rules.compiler import compile_problems, param_ref
from kiyaku.rules.model import Clock, Derivation, Ground, Pattern, RuleBook, State, Windows
from kiyaku.terms import Terms
from kiyaku.yamlio import Mapping, YamlSyntaxError, load_file


def rule_id(root: Path, path: Path, name: str) -> str:
    """rules/shared/suspension.yaml + payment_after_demand -> shared.suspension.payment_after_demand."""
    return ".".join(path.relative_to(root).with_suffix("").parts + (name,))


def load_rules(root: Path, terms: Terms) -> RuleBook:
    """Load and check rules/ at `root`; raise DefinitionError listing every finding."""
    findings: list[Finding] = []
    book = RuleBook()
    docs = []
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root.parent))
        if path.is_dir() or path.name == "README.md":
            continue
        if path.suffix != ".yaml":
            findings.append(Finding(rel, None, "unexpected file in rules/", "rules/ holds *.yaml rule files"))
            continue
        try:
            doc = load_file(path, rel)
        except YamlSyntaxError as exc:
            findings.append(exc.finding)
            continue
        problems = schema.check(doc, "rules", rel)
        findings.extend(problems)
        if not problems:
            docs.append((path, rel, doc))
    for path, rel, doc in docs:
        _read(root, path, rel, doc, book)
    known = set(vocabulary()["$defs"]["types"]) | {c.id.rsplit(".", 1)[1] for c in book.clocks} \
        | {d.name for d in book.derivations} | {"invoice_paid"}
    for path, rel, doc in docs:
        findings.extend(_check(doc, rel, known, terms, book))
    if not findings:
        book.parameters = _parameters(book, terms)
    if not findings:
        findings = [Finding(rule.file, rule.line, f"{rule.id}: the inference engine refuses it: {why}",
                            "see rules/README.md for what a pattern may say")
                    for rule, why in compile_problems(book, sorted(terms.agreements))]
    if findings:
        raise DefinitionError(findings)
    return book


def _patterns(items: list[Any] | None) -> tuple[Pattern, ...]:
    return tuple(Pattern(p["fact"], p.get("as", p["fact"]), dict(p.get("where", {}))) for p in items or [])


def _read(root: Path, path: Path, rel: str, doc: Mapping, book: RuleBook) -> None:
    agreements = tuple(doc["agreements"])
    considered = tuple(doc.get("considered_if", ()))
    for name, c in doc.get("clocks", {}).items():
        book.clocks.append(Clock(rule_id(root, path, name), c["description"], c["on"], dict(c["at"]),
                                 agreements, rel, doc["clocks"].line_of(name)))
    for name, d in doc.get("derive", {}).items():
        book.derivations.append(Derivation(rule_id(root, path, name), name, d["description"],
                                           _patterns(d["when"]), _patterns(d.get("absent")),
                                           dict(d.get("keep", {})), agreements, rel, doc["derive"].line_of(name),
                                           unrecorded=dict(d.get("unrecorded", {}))))
    for name, g in doc.get("grounds", {}).items():
        book.grounds.append(Ground(
            id=rule_id(root, path, name), kind=g["kind"], outcome=g["outcome"], modality=g["modality"],
            summary=g["summary"], requires=g["requires"],
            cites={a: tuple(c) for a, c in g["cites"].items()},
            when=_patterns(g["when"]), absent=_patterns(g.get("absent")), until=_patterns(g.get("until")),
            unknown=dict(g.get("unknown", {})), period=dict(g.get("period", {})),
            notice=dict(g.get("notice", {})), decisions=tuple(g.get("decisions", ())),
            agreements=tuple(g.get("agreements", agreements)),
            considered_if=tuple(g.get("considered_if", considered)), file=rel,
            line=doc["grounds"].line_of(name),
            amount=dict(g.get("amount", {})),
            ja={"summary": g.get("summary_ja"), "requires": g.get("requires_ja"),
                "unknown": dict(g.get("unknown_ja", {}))},
            unrecorded=dict(g.get("unrecorded", {})), term=g.get("term"),
            cites_from=tuple(g.get("cites_from", ()))))
    for name, st in doc.get("states", {}).items():
        book.states.append(State(
            id=rule_id(root, path, name), summary=st["summary"], since=st.get("since"), until=_patterns(st.get("until")),
            cite=st.get("cite"), rulings=dict(st.get("rulings", {})), agreements=agreements, file=rel,
            line=doc["states"].line_of(name), ja={"summary": st.get("summary_ja")}))


def _parameters(book: RuleBook, terms: Terms) -> dict[str, dict[str, Windows]]:
    """The values of every parameter a where-test names, by agreement, each from the instant its
    effective date begins in Asia/Tokyo (a fact's time is compared with it)."""
    names = {name for rule in [*book.derivations, *book.grounds] for p in _all_patterns(rule)
             for name in _param_names(p.where)}
    out: dict[str, dict[str, Windows]] = {}
    for agreement in terms.agreements.values():
        out[agreement.id] = {
            name: tuple((int(datetime.combine(d, time(), TOKYO).timestamp()), v)
                        for d, v in agreement.parameters[name].values)
            for name in names if name in agreement.parameters}
    return out


def _all_patterns(rule: Ground | Derivation) -> tuple[Pattern, ...]:
    return rule.when + rule.absent + (rule.until if isinstance(rule, Ground) else ())


def _param_names(where: dict[str, Any]) -> Iterator[str]:
    for value in where.values():
        for v in [value, *(value.values() if isinstance(value, dict) else ())]:
            if param_ref(v) is not None:
                yield param_ref(v)


def _check(doc: Mapping, rel: str, known: set[str], terms: Terms, book: RuleBook) -> list[Finding]:
    out: list[Finding] = []
    agreements = doc["agreements"]
    types = vocabulary()["$defs"]["types"]

    def cite_ok(agreement: str, ref: str, line: int) -> None:
        provision = terms.provision(ref)
        if citations.parse(ref) is None:
            out.append(Finding(rel, line, f"malformed citation {ref!r}", f"write {citations.describe_form()}"))
        elif not ref.startswith(f"{agreement}:") or provision is None:
            out.append(Finding(rel, line, f"unknown citation {ref}",
                               f"`kiyaku terms list {agreement}` lists the provisions of {agreement}"))

    def param_ok(name: str, line: int, serves: Any = agreements) -> None:
        for a in serves:
            if name not in terms.agreements[a].parameters:
                out.append(Finding(rel, line, f"unknown parameter {name} for {a}",
                                   f"parameters of {a} are in terms/{a}/parameters.yaml"))

    def patterns_ok(items: Any, where: str, line_doc: Mapping, aliases: set[str]) -> None:
        for i, p in enumerate(items or []):
            line = items.item_lines[i]
            if p["fact"] not in known:
                out.append(Finding(rel, line, f"{where}: unknown event type or fact {p['fact']!r}",
                                   "event types are listed in docs/events.md; facts are clocks and derive names"))
            for field, value in p.get("where", {}).items():
                for name in _param_names({field: value}):
                    param_ok(name, line)
                if isinstance(value, str) and value.startswith("$"):
                    alias = value[1:].split(".", 1)[0]
                    if alias not in aliases:
                        out.append(Finding(rel, line, f"{where}: {value} names no earlier pattern",
                                           f"earlier patterns: {', '.join(sorted(aliases)) or 'none'}"))
            aliases.add(p.get("as", p["fact"]))

    for name, c in doc.get("clocks", {}).items():
        line = doc["clocks"].line_of(name)
        if c["on"] not in known:
            out.append(Finding(rel, line, f"clock {name}: unknown event type {c['on']!r}"))
        for key in ("months", "hours", "days"):
            if key in c["at"]:
                param_ok(c["at"][key], line)
        if "months_of" in c["at"] and c["on"] in types and c["at"]["months_of"] not in types[c["on"]]["properties"]:
            out.append(Finding(rel, line, f"clock {name}: {c['on']} events have no field {c['at']['months_of']!r}",
                               "months_of names the field of the `on` event that gives the number of months"))
        if "days_before" in c["at"] and "days" not in c["at"]:
            out.append(Finding(rel, line, f"clock {name}: days_before needs days",
                               "write days: <parameter>, the number of days counted back"))
    for name, d in doc.get("derive", {}).items():
        aliases: set[str] = set()
        patterns_ok(d["when"], f"derive {name}", d, aliases)
        patterns_ok(d.get("absent"), f"derive {name}", d, set(aliases))
        out.extend(_unsaid(d, f"derive {name}", rel, doc["derive"].line_of(name)))
    for name, g in doc.get("grounds", {}).items():
        line = doc["grounds"].line_of(name)
        # A ground in a shared file may serve only some of the file's agreements (wording that differs).
        serves = g.get("agreements", agreements)
        foreign = [a for a in serves if a not in agreements]
        if foreign:
            out.append(Finding(rel, line, f"ground {name} serves {', '.join(foreign)}, which the file does not",
                               f"a ground's agreements are some of the file's: {', '.join(agreements)}"))
        missing = [a for a in serves if a not in g["cites"]]
        if missing:
            out.append(Finding(rel, line, f"ground {name} cites nothing for {', '.join(missing)}",
                               "every ground cites the provisions that say so, for each of its agreements"))
        extra = [a for a in g["cites"] if a not in serves]
        if extra:
            out.append(Finding(rel, g["cites"].line_of(extra[0]), f"ground {name} cites {', '.join(extra)}, "
                               "which it does not serve", f"it serves {', '.join(serves)}"))
        for a, refs in g["cites"].items():
            for ref in refs:
                cite_ok(a, ref, g["cites"].line_of(a))
        for a, refs in g.get("notice", {}).get("cites", {}).items():
            for ref in refs:
                cite_ok(a, ref, g["notice"]["cites"].line_of(a))
        aliases = set()
        patterns_ok(g["when"], f"ground {name}", g, aliases)
        for key in ("absent", "until"):
            patterns_ok(g.get(key), f"ground {name}", g, set(aliases))
        for ref in g.get("unknown", {}):
            if ref.split(".", 1)[0] not in aliases:
                out.append(Finding(rel, g["unknown"].line_of(ref), f"ground {name}: unknown names {ref}, "
                                   "not a field of a pattern", "write alias.field, or the alias of a `when` fact"))
            elif "." not in ref:
                out.extend(_fact_unknown_problems(g, ref, name, rel, g["unknown"].line_of(ref)))
        out.extend(_unsaid(g, f"ground {name}", rel, line))
        out.extend(_cites_from_problems(g, name, rel, line))
        if "amount" in g:
            out.extend(_amount_problems(g["amount"], name, aliases, rel, g.line_of("amount")))
        if "max_months" in g.get("period", {}):
            param_ok(g["period"]["max_months"], g["period"].line_of("max_months"), serves)
        out.extend(_japanese_problems(g, name, rel))
    for name, st in doc.get("states", {}).items():
        if ("since" in st) == ("rulings" in st):
            out.append(Finding(rel, doc["states"].line_of(name), f"state {name}: give either since or rulings",
                               "since: an event that begins the state; rulings: the kind of ruling it is"))
        if "since" in st and st["since"] not in known:
            out.append(Finding(rel, st.line_of("since"), f"state {name}: unknown event type {st['since']!r}",
                               "event types are listed in docs/events.md"))
        patterns_ok(st.get("until"), f"state {name}", st, {"since"})
    return out


def _japanese_problems(g: Mapping, name: str, rel: str) -> list[Finding]:
    """Every text a ruling or an answer shows must also be written in Japanese (`kiyaku ask --lang ja`)."""
    out = []
    hint = "write it from the agreement's own words, beside the English"
    unknown, unknown_ja = g.get("unknown", {}), g.get("unknown_ja", {})
    for ref in unknown:
        if ref not in unknown_ja:
            out.append(Finding(rel, unknown.line_of(ref), f"ground {name}: unknown {ref} has no unknown_ja text", hint))
    for ref in unknown_ja:
        if ref not in unknown:
            out.append(Finding(rel, unknown_ja.line_of(ref), f"ground {name}: unknown_ja names {ref}, which unknown does not"))
    if "explanation" in g.get("notice", {}) and "explanation_ja" not in g["notice"]:
        out.append(Finding(rel, g["notice"].line_of("explanation"), f"ground {name}: notice has no explanation_ja", hint))
    if "until" in g.get("period", {}) and "until_ja" not in g["period"]:
        out.append(Finding(rel, g.line_of("period"), f"ground {name}: period has no until_ja", hint))
    return out


def _unsaid(rule: Mapping, what: str, rel: str, line: int) -> Iterator[Finding]:
    """Tests of an optional event field that do not say what an unrecorded value means: the field
    must be `unknown` (the answer is then undetermined, naming it), tested with `exists`, or
    listed under `unrecorded` with what its absence means. Otherwise a missing value would silently
    count as a test that fails."""
    types = vocabulary()["$defs"]["types"]
    said = set(rule.get("unknown", {})) | set(rule.get("unrecorded", {}))
    for section in ("when", "absent", "until"):
        for p in rule.get(section) or []:
            spec = types.get(p["fact"])
            if spec is None:
                continue  # clocks, derived facts and the ledger's invoice_paid carry their fields always
            required = set(COMMON) | set(spec.get("required", [])) | {"eid", "time"}
            alias = p.get("as", p["fact"])
            for field, test in p.get("where", {}).items():
                exists = isinstance(test, dict) and set(test) == {"exists"}
                if field in required or exists or f"{alias}.{field}" in said:
                    continue
                yield Finding(rel, line, f"{what}: {section} {p['fact']} tests {field}, which events may leave "
                              "unrecorded, without saying what an unrecorded value means",
                              f"list {alias}.{field} under unknown (the answer is then undetermined, naming it)"
                              if section == "when" else
                              f"list {alias}.{field} under unrecorded, saying what its absence means")


def _cites_from_problems(g: Mapping, name: str, rel: str, line: int) -> Iterator[Finding]:
    """`cites_from` names a citation field of a `when` event: alias.field."""
    types = vocabulary()["$defs"]["types"]
    facts = {p.get("as", p["fact"]): p["fact"] for p in g["when"]}
    for ref in g.get("cites_from", []):
        alias, _, field = ref.partition(".")
        spec = types.get(facts.get(alias, ""), {}).get("properties", {}).get(field, {})
        if spec.get("$ref") != "#/$defs/citation":
            yield Finding(rel, line, f"ground {name}: cites_from {ref} is not a citation field of a `when` event",
                          "write alias.field of an event field holding a citation (breach.obligation, suspension.ground)")


def _fact_unknown_problems(g: Mapping, alias: str, name: str, rel: str, line: int) -> list[Finding]:
    """An unknown fact (a `when` alias, no field): nothing else may compare with it, since while it
    is missing the other facts are matched without it."""
    uses = [p.get("as", p["fact"]) for key in ("when", "absent", "until") for p in g.get(key) or []
            if p.get("as", p["fact"]) != alias and any(
                isinstance(v, str) and v.startswith(f"${alias}.") or isinstance(v, dict) and any(
                    isinstance(a, str) and a.startswith(f"${alias}.") for a in v.values())
                for v in p.get("where", {}).values())]
    if uses:
        return [Finding(rel, line, f"ground {name}: unknown {alias} is compared with by {', '.join(uses)}",
                        "an unknown fact may be named only when no other pattern compares with it")]
    return []


def _amount_problems(amount: Mapping, ground: str, aliases: set[str], rel: str, line: int) -> list[Finding]:
    from kiyaku.replay.amounts import CALCULATORS

    out = []
    if amount["compute"] not in CALCULATORS:
        out.append(Finding(rel, line, f"ground {ground}: no calculator {amount['compute']!r}",
                           f"calculators: {', '.join(sorted(CALCULATORS))}"))
    if amount["of"] not in aliases:
        out.append(Finding(rel, line, f"ground {ground}: amount of {amount['of']!r} names no pattern of `when`",
                           f"patterns: {', '.join(sorted(aliases))}"))
    return out
