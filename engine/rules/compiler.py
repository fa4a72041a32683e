"""RuleBook -> durable_rules rulesets (as data), one per agreement, and the index of rule names."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from kiyaku.rules.model import Derivation, Ground, Pattern, RuleBook, Windows

OPS = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte", "ne": "$neq"}


@dataclass(frozen=True)
class Compiled:
    """What a durable rule name stands for: the role it plays and the rule it came from."""

    role: str  # derive | start | end | unknown | resolve
    rule: Ground | Derivation
    detail: str = ""


TIME = "t"  # every fact's time, in seconds (Fact.message); rules write it `time`


def _field(name: str) -> str:
    return TIME if name == "time" else name


def param_ref(value: Any) -> str | None:
    """The parameter a where-value names (`{param: suspension.max_months}`), if it names one."""
    if isinstance(value, dict) and len(value) == 1 and "param" in value and isinstance(value["param"], str):
        return value["param"]
    return None


def _value(field: str, value: Any, params: dict[str, Windows]) -> dict[str, Any]:
    name = param_ref(value)
    if name is not None:
        return _windowed(field, "eq", name, params)
    field = _field(field)
    if isinstance(value, str) and value.startswith("$"):
        alias, ref = value[1:].split(".", 1)
        return {field: {alias: _field(ref)}}
    if isinstance(value, dict) and len(value) > 1:  # several tests of one field: all must hold
        return {"$and": [_value(field, {op: arg}, params) for op, arg in value.items()]}
    if isinstance(value, dict):
        (op, arg), = value.items()
        if param_ref(arg) is not None:
            return _windowed(field, op, param_ref(arg), params)
        if op == "in":
            return {"$or": [_value(field, v, params) for v in arg]}
        if op == "matches":
            return {"$mt": {field: arg}}
        if op == "exists":
            return {"$ex" if arg else "$nex": {field: 1}}
        return {OPS[op]: _value(field, arg, params)}
    return {field: value}


def _windowed(field: str, op: str, name: str, params: dict[str, Windows]) -> dict[str, Any]:
    """A test against a parameter: the value in force at the fact's time. Each value holds from its
    effective date to the next one's. Before the first there is no text we hold (terms/ makes every
    parameter start with the first version whose text is in the corpus): the test is let pass, so that
    the ground is judged, and found undetermined by the version then in force."""
    windows = params[name]
    alternatives: list[dict[str, Any]] = [{"$lt": {TIME: windows[0][0]}}]
    for i, (start, value) in enumerate(windows):
        terms: list[dict[str, Any]] = [{"$gte": {TIME: start}}]
        if i + 1 < len(windows):
            terms.append({"$lt": {TIME: windows[i + 1][0]}})
        terms.append(_value(field, value if op == "eq" else {op: value}, params))
        alternatives.append({"$and": terms})
    return {"$or": alternatives}


def _condition(p: Pattern, params: dict[str, Windows], drop: str | None = None,
               lenient: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The pattern's tests; without `drop` (a field that must be missing), and with the `lenient`
    fields allowed to be missing too, so that every unrecorded deciding fact is named, not only one."""
    terms: list[dict[str, Any]] = [{"type": p.fact}]
    for f, v in p.where.items():
        if f == drop:
            terms.append({"$nex": {drop: 1}})
        elif f in lenient:
            terms.append({"$or": [_value(f, v, params), {"$nex": {f: 1}}]})
        else:
            test = _value(f, v, params)
            # One flat $and: durable evaluates a join's condition right only in that shape.
            terms.extend(test["$and"] if set(test) == {"$and"} else [test])
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _without(patterns: tuple[Pattern, ...], refs: tuple[str, ...]) -> tuple[Pattern, ...]:
    """The patterns none of whose tests compare with one of `refs` (alias.field)."""
    named = {f"${r}" for r in refs}
    return tuple(p for p in patterns
                 if not any(v in named if isinstance(v, str) else isinstance(v, dict) and named & set(
                     a for a in v.values() if isinstance(a, str)) for v in p.where.values()))


def _joins(p: Pattern) -> bool:
    return any(isinstance(v, str) and v.startswith("$") or isinstance(v, dict) and
               any(isinstance(a, str) and a.startswith("$") for a in v.values()) for v in p.where.values())


def _all(when: tuple[Pattern, ...], params: dict[str, Windows], negated: tuple[Pattern, ...] = (),
         drop: dict[str, str] | None = None, extra: Pattern | None = None,
         unknown: tuple[str, ...] = ()) -> dict[str, Any]:
    parts = []
    for p in when:
        mine = (drop or {}).get(p.alias)
        # durable cannot evaluate an $or inside a join: there the other fields stay strict.
        lenient = frozenset() if _joins(p) or not mine else \
            frozenset(r.split(".", 1)[1] for r in unknown if r.split(".", 1)[0] == p.alias) - {mine}
        parts.append({p.alias: _condition(p, params, mine, lenient)})
    if extra is not None:
        parts.append({extra.alias: _condition(extra, params)})
    parts += [{f"{p.alias}$not": _condition(p, params)} for p in negated]
    return {"all": parts}


def compile_rules(book: RuleBook, agreement: str) -> tuple[dict[str, Any], dict[str, Compiled]]:
    """The durable ruleset for `agreement` and what each of its rule names means."""
    own = book.for_agreement(agreement)
    params = book.parameters.get(agreement, {})
    rules: dict[str, Any] = {}
    index: dict[str, Compiled] = {}
    for d in own.derivations:
        rules[f"derive|{d.id}"] = _all(d.when, params, d.absent)
        index[f"derive|{d.id}"] = Compiled("derive", d)
    for g in own.grounds:
        rules[f"start|{g.id}"] = _all(g.when, params, g.absent + g.until)
        index[f"start|{g.id}"] = Compiled("start", g)
        for i, p in enumerate(g.until):
            rules[f"end|{g.id}|{i}"] = _all(g.when, params, g.absent, extra=p)
            index[f"end|{g.id}|{i}"] = Compiled("end", g, p.alias)
        for ref in g.unknown:
            if "." not in ref:
                _fact_unknown(g, ref, params, rules, index)
        for refs in _missing_together(g):
            # Patterns that compare with a missing field cannot be judged without it: left out.
            name = f"unknown|{g.id}|{'+'.join(refs)}"
            rules[name] = _all(_without(g.when, refs), params, _without(g.absent + g.until, refs),
                               drop=dict(r.split(".", 1) for r in refs), unknown=tuple(g.unknown))
            index[name] = Compiled("unknown", g, "+".join(refs))
    return rules, index


def _missing_together(g: Ground) -> list[tuple[str, ...]]:
    """The sets of unknown fields that can be missing at once, one field a fact: each gets its rule,
    so that every unrecorded deciding fact is named, whichever others are missing too. (More fields of
    one fact are covered by letting them be missing as well: see `_all`'s lenient fields.)"""
    by_alias: dict[str, list[str]] = {}
    for ref in g.unknown:
        if "." in ref:
            by_alias.setdefault(ref.split(".", 1)[0], []).append(ref)
    combos = itertools.product(*([None, *refs] for refs in by_alias.values()))
    return [tuple(r for r in combo if r) for combo in combos if any(combo)]


def _fact_unknown(g: Ground, alias: str, params: dict[str, Windows], rules: dict[str, Any],
                  index: dict[str, Compiled]) -> None:
    """A fact not recorded at all (no event of its type): undetermined while the other facts hold,
    and resolved as soon as an event of that type arrives, whatever it says."""
    missing = next(p for p in g.when if p.alias == alias)
    others = tuple(p for p in g.when if p.alias != alias)
    anything = Pattern(missing.fact, missing.alias, {})
    rules[f"unknown|{g.id}|{alias}"] = _all(others, params, g.absent + g.until + (anything,))
    index[f"unknown|{g.id}|{alias}"] = Compiled("unknown", g, alias)
    rules[f"resolve|{g.id}|{alias}"] = _all(others, params, g.absent + g.until, extra=anything)
    index[f"resolve|{g.id}|{alias}"] = Compiled("resolve", g, alias)


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
