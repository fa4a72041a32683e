"""RuleBook -> durable_rules rulesets (as data), one per agreement, and the index of rule names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiyaku.rules.model import Derivation, Ground, Pattern, RuleBook

OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Compiled:
    """What a durable rule name stands for: the role it plays and the rule it came from."""

    role: str  # derive | start | end | unknown
    rule: Ground | Derivation
    detail: str = ""


TIME = "t"  # every fact's time, in seconds (Fact.message); rules write it `time`


def _field(name: str) -> str:
    return TIME if name == "time" else name


def _value(field: str, value: Any) -> dict[str, Any]:
    field = _field(field)
    if isinstance(value, str) and value.startswith("$"):
        alias, ref = value[1:].split(".", 1)
        return {field: {alias: _field(ref)}}
    if isinstance(value, dict):
        (op, arg), = value.items()
        if op == "in":
            return {"$or": [_value(field, v) for v in arg]}
        if op == "matches":
            return {"$mt": {field: arg}}
        if op == "exists":
            return {"$ex" if arg else "$nex": {field: 1}}
        return {OPS[op]: _value(field, arg)}
    return {field: value}


def _condition(p: Pattern, drop: str | None = None, lenient: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The pattern's tests; without `drop` (a field that must be missing), and with the `lenient`
    fields allowed to be missing too, so that every unrecorded deciding fact is named, not only one."""
    terms = [{"type": p.fact}]
    for f, v in p.where.items():
        if f == drop:
            terms.append({"$nex": {drop: 1}})
        elif f in lenient:
            terms.append({"$or": [_value(f, v), {"$nex": {f: 1}}]})
        else:
            terms.append(_value(f, v))
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _joins(p: Pattern) -> bool:
    return any(isinstance(v, str) and v.startswith("$") or isinstance(v, dict) and
               any(isinstance(a, str) and a.startswith("$") for a in v.values()) for v in p.where.values())


def _all(when: tuple[Pattern, ...], negated: tuple[Pattern, ...] = (), drop: tuple[str, str] | None = None,
         extra: Pattern | None = None, unknown: tuple[str, ...] = ()) -> dict[str, Any]:
    parts = []
    for p in when:
        mine = drop[1] if drop and drop[0] == p.alias else None
        # durable cannot evaluate an $or inside a join: there the other fields stay strict.
        lenient = frozenset() if _joins(p) or not mine else \
            frozenset(r.split(".", 1)[1] for r in unknown if r.split(".", 1)[0] == p.alias) - {mine}
        parts.append({p.alias: _condition(p, mine, lenient)})
    if extra is not None:
        parts.append({extra.alias: _condition(extra)})
    parts += [{f"{p.alias}$not": _condition(p)} for p in negated]
    return {"all": parts}


def compile_rules(book: RuleBook, agreement: str) -> tuple[dict[str, Any], dict[str, Compiled]]:
    """The durable ruleset for `agreement` and what each of its rule names means."""
    own = book.for_agreement(agreement)
    rules: dict[str, Any] = {}
    index: dict[str, Compiled] = {}
    for d in own.derivations:
        rules[f"derive|{d.id}"] = _all(d.when, d.absent)
        index[f"derive|{d.id}"] = Compiled("derive", d)
    for g in own.grounds:
        rules[f"start|{g.id}"] = _all(g.when, g.absent + g.until)
        index[f"start|{g.id}"] = Compiled("start", g)
        for i, p in enumerate(g.until):
            rules[f"end|{g.id}|{i}"] = _all(g.when, g.absent, extra=p)
            index[f"end|{g.id}|{i}"] = Compiled("end", g, p.alias)
        for ref in g.unknown:
            alias, field = ref.split(".", 1)
            rules[f"unknown|{g.id}|{ref}"] = _all(g.when, g.absent + g.until, drop=(alias, field),
                                                  unknown=tuple(g.unknown))
            index[f"unknown|{g.id}|{ref}"] = Compiled("unknown", g, ref)
    return rules, index


def compile_problems(book: RuleBook, agreements: list[str]) -> list[tuple[Ground | Derivation, str]]:
    """Rules the inference engine refuses (a join it cannot evaluate, a bad pattern), each with the
    rule it came from, so that `kiyaku check` finds them rather than the first contract to use them."""
    from kiyaku.replay.inference import InferenceError, RuleEngine

    found = []
    for agreement in agreements:
        rules, index = compile_rules(book, agreement)
        for name, rule in rules.items():
            try:
                RuleEngine({agreement: {name: rule}}).close()
            except (InferenceError, ValueError) as exc:
                found.append((index[name].rule, str(exc)))
    return found
