"""RuleBook -> durable_rules rulesets (as data), one per agreement, and the index of rule names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.rules.model import Derivation, Ground, Pattern, RuleBook

OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Compiled:
    """What a durable rule name stands for: the role it plays and the rule it came from."""

    role: str  # derive | start | end | unknown
    rule: Ground | Derivation
    detail: str = ""


def _value(field: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value.startswith("$"):
        alias, ref = value[1:].split(".", 1)
        return {field: {alias: ref}}
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


def _condition(p: Pattern, drop: str | None = None) -> dict[str, Any]:
    terms = [{"type": p.fact}] + [_value(f, v) for f, v in p.where.items() if f != drop]
    if drop:
        terms.append({"$nex": {drop: 1}})
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _all(when: tuple[Pattern, ...], negated: tuple[Pattern, ...] = (), drop: tuple[str, str] | None = None,
         extra: Pattern | None = None) -> dict[str, Any]:
    parts = [{p.alias: _condition(p, drop[1] if drop and drop[0] == p.alias else None)} for p in when]
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
            rules[f"unknown|{g.id}|{ref}"] = _all(g.when, g.absent + g.until, drop=(alias, field))
            index[f"unknown|{g.id}|{ref}"] = Compiled("unknown", g, ref)
    return rules, index
