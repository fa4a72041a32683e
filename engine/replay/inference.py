"""The engine's only door to durable_rules: rulesets in, rule firings out.

Drives the C module ``durable_rules_engine`` directly: no ``Host``, so no background thread,
no wall-clock timers, less overhead (bench/inference_probe.py). durable 2.0.28 has traps at this
level, contained here (details where each is handled):
- session and message ids are compared by 32-bit hash only: our own sids, collisions refused;
- stored messages point into the JSON text they came in: that text is kept until the session closes;
- a blocked $not deletes other rules' partial matches: such rules get C rulesets of their own;
- a join's $and whose last comparison fails reads past its expression array: a last term that holds
  is appended; join conditions other than one term or one flat $and are refused;
- consuming two events in one firing overruns a frame: events are facts to durable, used up here;
- delete_state frees pointers only set once an action ran: every state runs one at creation;
- every state carries an internal fact that $nex-only conditions match: such firings are dropped;
- its message and join indexes have a fixed 512 buckets, so a long session slows with every fact:
  `make` builds it with indexes that grow (vendor/durable_rules); the plain package gives the same answers;
- every stored message holds 255 property slots inline, about 9 KB: kiyaku's build holds 64, and
  kiyaku's messages stay far below (the events schema; rules.json caps a derivation's `keep`).
Not thread-safe: one RuleEngine per thread or process.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import itertools
import json
import math
import re
import sys
from typing import Any, Callable, Collection, Iterator, Mapping, NamedTuple

import orjson
from mypy_extensions import mypyc_attr

__all__ = [
    "MAX_SESSIONS",
    "Firing",
    "IdCollisionError",
    "InferenceError",
    "RuleEngine",
    "Session",
    "SessionLimitError",
    "UnknownFactError",
    "fnv1a_32",
]

SUPPORTED_PYTHONS = ((3, 11), (3, 12))


def _unsupported(detail: str) -> ImportError:
    return ImportError(
        "kiyaku.replay.inference needs durable-rules 2.0.28, which works on CPython 3.11 and 3.12 only "
        f"(this is {sys.implementation.name} {sys.version.split()[0]}): {detail}"
    )


if sys.implementation.name != "cpython" or sys.version_info[:2] not in SUPPORTED_PYTHONS:
    raise _unsupported("run it with CPython 3.11 or 3.12")
try:
    import durable_rules_engine as _dre
except ImportError as _exc:  # on 3.13: "undefined symbol: PyEval_CallObject"
    raise _unsupported(str(_exc)) from _exc

MAX_SESSIONS = 1024  # durable's MAX_STATE_INDEX_LENGTH; the 1,025th state fails and its slot is lost

_HANDLED, _NOT_HANDLED, _OBSERVED = 0, 1, 2
_RULE_KEYS = frozenset({"all", "any", "pri", "run"})
_RESERVED_FIELDS = ("sid", "$s")  # durable's session id, and the marker of its own per-session state fact
# createStateNode leaves the action-context pointers uninitialised and deleteStateNode frees them
# unless an action has run; this rule fires on the state fact durable asserts in every new state.
_STATE_RULE = "~state"
_STATE_RULE_BODY = {"all": [{"m": {"$s": 1}}]}
_NO_ESCAPE = str.maketrans("", "", '"\\' + "".join(map(chr, range(32))))


def _encode(value: Any) -> str:
    """Compact JSON for durable. orjson is several times faster than json here, where every fact
    passes; it writes NaN and infinities as null, which durable could not compare either, so
    they are refused as json's allow_nan=False would."""
    text = orjson.dumps(value).decode()
    if "null" in text and _non_finite(value):
        raise ValueError("NaN and infinities are not JSON")
    return text


_FINITE_TYPES = frozenset({str, int, bool, type(None)})


def _non_finite(value: Any) -> bool:
    # most values are text, whole numbers and nulls: known finite by their type, without isinstance's ABCs
    if type(value) in _FINITE_TYPES:
        return False
    if isinstance(value, float):
        return not math.isfinite(value)
    if _mapping(value):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_non_finite(v) for v in value)
    return False


_decode_json = orjson.loads

Call = Callable[[int, str], tuple[int, int]]


# When mypyc compiles this module (engine/replay/__init__.py), its exceptions stay Python classes.
@mypyc_attr(native_class=False)
class InferenceError(RuntimeError):
    """durable_rules failed, or reported a state the adapter cannot trust."""


@mypyc_attr(native_class=False)
class SessionLimitError(InferenceError):
    pass


@mypyc_attr(native_class=False)
class IdCollisionError(InferenceError):
    pass


@mypyc_attr(native_class=False)
class UnknownFactError(InferenceError, LookupError):
    pass


class Firing(NamedTuple):
    rule: str
    matched: Mapping[str, Mapping[str, Any]]  # alias -> the fact/event it matched, as the caller sent it


# A Firing made without the Python-level __new__ a NamedTuple has: every firing is made here.
_firing = functools.partial(tuple.__new__, Firing)


_ERRORS = {  # rules.h, the codes a caller can cause
    102: "unexpected type", 103: "identifier too long", 104: "unexpected value", 105: "unexpected name",
    106: "too many rules", 108: "too many joins on one condition", 109: "rule without all/any",
    113: "expression too long (at most 32 terms)", 201: "invalid JSON value", 202: "invalid JSON string",
    203: "invalid JSON number", 204: "invalid JSON object", 205: "invalid JSON array",
    302: "too many properties in one message (255 in durable_rules, 64 in kiyaku's build, nested ones included)",
    303: "nested too deeply", 304: "too many messages in one match",
    311: "a message lacks a field that a rule compares with", 313: "message too large", 314: "property too large",
    501: "invalid $mt pattern",
}


def _explain(exc: Exception) -> str:
    match = re.search(r"error code: (\d+)", str(exc))
    meaning = _ERRORS.get(int(match.group(1))) if match else None
    return f"{exc} ({meaning})" if meaning else str(exc)


@functools.lru_cache(maxsize=1 << 16)
def _id_hash(text: str) -> int:
    """fnv1a_32 of message ids, which repeat from contract to contract ("0", "1", ...)."""
    return fnv1a_32(text)


_plain_id_hashes: dict[str, int | None] = {}


def _plain_id_hash(text: str) -> int | None:
    """fnv1a_32 of an id sent as it is (non-empty, printable, nothing to escape in JSON), else None;
    remembered, as ids repeat from contract to contract: the checks are made once per id text. (In a
    dict: asked for every message, and compiled, a call through functools' cache costs more.)"""
    found = _plain_id_hashes.get(text, -1)
    if found == -1:
        if len(_plain_id_hashes) > 1 << 16:
            _plain_id_hashes.clear()
        plain = bool(text) and text.isprintable() and '"' not in text and "\\" not in text
        found = _plain_id_hashes[text] = fnv1a_32(text) if plain else None
    return found


def fnv1a_32(text: str) -> int:
    """durable's 32-bit hash of message and session ids (C ``char`` is signed: bytes >= 0x80 sign-extend)."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h = ((h ^ (b | 0xFFFFFF00 if b & 0x80 else b)) * 0x01000193) & 0xFFFFFFFF
    return h


_NOT_MAPPINGS = frozenset({str, int, float, bool, list, tuple, type(None)})


def _mapping(value: Any) -> bool:
    """isinstance(value, Mapping), the kinds JSON holds answered first: checking against the ABC costs
    thousands of instructions, yes or no, and parsing the rules asks it of every node of every pattern."""
    kind = type(value)
    if kind is dict:
        return True
    return kind not in _NOT_MAPPINGS and isinstance(value, Mapping)


def _conditions(items: Any) -> Iterator[tuple[str, Any]]:
    """(alias, pattern) of every condition, flattening nested ``alias$all`` / ``alias$any`` lists."""
    for item in items if isinstance(items, list) else ():
        for alias, pattern in item.items() if _mapping(item) else ():
            if str(alias).endswith(("$all", "$any")):
                yield from _conditions(pattern)
            else:
                yield str(alias), pattern


def _keys(node: Any) -> Iterator[str]:
    if _mapping(node):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def _reference(node: Any, aliases: frozenset[str]) -> str | None:
    """An alias that ``node`` compares against (``{"field": {"alias": "field"}}``), if any."""
    if _mapping(node):
        for value in node.values():
            if _mapping(value) and len(value) == 1:
                ((alias, field),) = value.items()
                if alias in aliases and isinstance(field, str):
                    return str(alias)
            found = _reference(value, aliases)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _reference(value, aliases)
            if found:
                return found
    return None


def _guarded(pattern: Any, aliases: frozenset[str]) -> Any:
    """``pattern`` with a last $and term that always holds. When the last comparison of a join's $and
    is false, durable's reduceExpressionSequence steps over the OP_END and reads on past the
    expression array; every message carries this session's sid, so ``sid >= alias.sid`` holds."""
    alias = _reference(pattern, aliases)
    if alias and _mapping(pattern) and isinstance(pattern.get("$and"), list):
        return {"$and": [*pattern["$and"], {"$gte": {"sid": {alias: "sid"}}}]}
    return pattern


def _guard_conditions(items: Any, aliases: frozenset[str]) -> Any:
    if not isinstance(items, list):
        return items
    out = []
    for item in items:
        if _mapping(item):
            item = {alias: _guard_conditions(p, aliases) if str(alias).endswith(("$all", "$any")) else _guarded(p, aliases)
                    for alias, p in item.items()}
        out.append(item)
    return out


def _literals(pattern: Any) -> dict[str, Any]:
    """field -> value that every message matching ``pattern`` must have."""
    out: dict[str, Any] = {}
    todo = [pattern]
    while todo:
        p = todo.pop()
        if _mapping(p) and len(p) == 1:
            ((field, value),) = p.items()
            if field == "$and" and isinstance(value, list):
                todo.extend(value)
            elif not str(field).startswith("$") and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out[field] = value
    return out


def _disjoint(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # only same-kind literals: durable compares "3" and 3 as equal in places
    return any(
        f in b and (isinstance(v, str) == isinstance(b[f], str)) and v != b[f]
        for f, v in a.items()
    )


def _simple(term: Any) -> bool:
    return _mapping(term) and len(term) == 1 and not {"$and", "$or"}.intersection(_keys(term))


def _join_shape_ok(pattern: Any, aliases: frozenset[str]) -> bool:
    """Measured: durable evaluates a condition that compares with another fact right only as one term
    or one flat $and of terms. A nested $and/$or ends the enclosing group after it; an $or lets every
    message in, and one without the compared field fails the whole assert."""
    if _reference(pattern, aliases) is None or _simple(pattern):
        return True
    items = pattern.get("$and") if _mapping(pattern) and len(pattern) == 1 else None
    return isinstance(items, list) and all(_simple(item) for item in items)


class _Rule:
    def __init__(self, name: str, body: dict[str, Any], where: str, rank: tuple[int, int] = (0, 0)) -> None:
        self.name = name
        self.rank = rank  # (pri, definition order): the order firings are returned in
        conditions = list(_conditions(body.get("all", body.get("any"))))
        aliases = frozenset(alias.removesuffix("$not") for alias, _ in conditions)
        for alias, pattern in conditions:
            if not _join_shape_ok(pattern, aliases):
                raise ValueError(
                    f"rule {where}: condition {alias!r} compares with another fact inside an $or or a nested "
                    "$and, which durable 2.0.28 evaluates wrongly; use one flat $and, and one rule per alternative"
                )
        self.body = {k: _guard_conditions(v, aliases) if k in ("all", "any") else v for k, v in body.items()}
        self.literals = [_literals(p) for _, p in conditions]
        negated = [i for i, (alias, _) in enumerate(conditions) if alias.endswith("$not")]
        self.negation = bool(negated)
        # what a blocked $not deletes elsewhere: frames holding every message matched before it
        if not negated or "any" in body or len(conditions) != len(body.get("all", ())):
            self.before_not = self.literals  # nested or unusual: assume every condition
        else:
            self.before_not = self.literals[: negated[0]]
        # the literals of each condition a message must meet for the rule to fire (its $not
        # conditions need no message); None for an unusual shape (any, nesting), which is always live
        plain = "all" in body and len(conditions) == len(body["all"])
        self.needs = [lit for (alias, _), lit in zip(conditions, self.literals) if not alias.endswith("$not")] \
            if plain else None

    def possible(self, expect: Mapping[str, frozenset[str]]) -> bool:
        """Whether the rule can fire in a session whose messages carry, in each field of `expect`,
        one of the values given for it."""
        if self.needs is None:
            return True
        return all(not isinstance(lit.get(f), str) or lit[f] in values
                   for lit in self.needs for f, values in expect.items())

    def spares(self, other: _Rule) -> bool:
        """No frame of ``other`` can hold all the messages this rule matched before its $not."""
        if not self.negation:
            return True
        return any(all(_disjoint(mine, theirs) for theirs in other.literals) for mine in self.before_not)


def _filter(rules: list[_Rule]) -> tuple[str, frozenset[str]] | None:
    """A field every condition of these rules tests for a string literal, with the values allowed:
    a message with another string there can match nothing in this partition and need not be sent
    (with many partitions, most messages concern few of them). None when no such field exists."""
    literals = [lit for r in rules for lit in r.literals]
    common = set.intersection(*(set(f for f, v in lit.items() if isinstance(v, str)) for lit in literals)) \
        if literals else set()
    if not common:
        return None
    field = "type" if "type" in common else sorted(common)[0]
    return field, frozenset(lit[field] for lit in literals)


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not name or name.startswith("~") or name.translate(_NO_ESCAPE) != name:
        raise ValueError(
            f"{kind} name must be a non-empty string, not starting with '~', without quotes, "
            f"backslashes or control characters: {name!r}"
        )
    return name


def _parse(name: str, rules: Mapping[str, Mapping[str, Any]]) -> list[_Rule]:
    """A caller's ruleset, checked, in definition order."""
    _check_name("ruleset", name)
    if not isinstance(rules, Mapping) or not rules:
        raise ValueError(f"ruleset {name!r} must be a non-empty mapping of rule name -> rule")
    parsed = []
    for index, (rule_name, rule) in enumerate(rules.items()):
        _check_name("rule", rule_name)
        keys = list(rule) if isinstance(rule, Mapping) else rule
        if not isinstance(rule, Mapping) or set(rule) - _RULE_KEYS or ("all" in rule) == ("any" in rule):
            raise ValueError(
                f"rule {name}.{rule_name}: expected exactly one of 'all'/'any' and an optional 'pri' "
                f"('count', 'cap' and 'dist' are not supported); got {keys!r}"
            )
        pri = rule.get("pri", 0)
        if type(pri) is not int or not 0 <= pri < 2**31:
            raise ValueError(f"rule {name}.{rule_name}: 'pri' must be an int >= 0 (durable reads it unsigned), got {pri!r}")
        body = {k: v for k, v in rule.items() if k != "run"}  # the caller's dict is never touched
        parsed.append(_Rule(rule_name, body, where=f"{name}.{rule_name}", rank=(pri, index)))
    return parsed


class _Ruleset:
    """Rules of one caller ruleset, spread over as few C rulesets ("partitions") as is safe.

    When a ``$not`` becomes blocked, durable deletes every partial match that holds all the
    messages matched before the ``$not`` and sits at a higher node index, in *any* rule of the C
    ruleset, and every such pending firing (events.c, deleteDownstreamFrames). A negation rule
    thus silently kills later joins on the same facts and other negations' re-firing. Rules that
    could be hit go to separate C rulesets: a rule joins the first partition where, both ways,
    some condition before a $not requires a literal (``{"t": "invoice"}``) that every condition
    of the other rule contradicts.
    """

    def __init__(self, name: str, rules: list[_Rule]) -> None:
        self.name = name
        partitions: list[list[_Rule]] = []
        self.rank = {r.name: r.rank for r in rules}
        for new in rules:
            for part in partitions:
                if all(new.spares(old) and old.spares(new) for old in part):
                    part.append(new)
                    break
            else:
                partitions.append([new])
        self.partitions = [[r.name for r in part] for part in partitions]
        self.filters = [_filter(part) for part in partitions]
        self._filter_fields = sorted({f[0] for f in self.filters if f is not None})
        self._wanted: dict[tuple[Any, ...], list[int]] = {}
        self._routes: dict[str, list[tuple[int, int]]] = {}
        self.handles: list[int] = []
        self.sessions: dict[int, Session] = {}  # sid hash -> open session
        try:
            for number, part in enumerate(partitions):
                definition = {r.name: r.body for r in part}
                definition[_STATE_RULE] = _STATE_RULE_BODY
                try:
                    encoded = json.dumps(definition, ensure_ascii=False, allow_nan=False)
                    self.handles.append(_dre.create_ruleset(f"{name}.{number}", encoded))
                except (_dre.error, TypeError, ValueError) as exc:
                    rules_in = sorted(definition)
                    raise InferenceError(f"durable_rules rejected ruleset {name!r} (rules {rules_in}): {_explain(exc)}") from exc
        except BaseException:
            self.delete()
            raise

    def partitions_for(self, message: Mapping[str, Any]) -> list[int]:
        """The partitions a message could match anything in, by the filter fields' values (cached)."""
        fields = self._filter_fields
        if not fields:
            return list(range(len(self.handles)))
        key = (message.get(fields[0]),) if len(fields) == 1 else tuple(message.get(f) for f in fields)
        cacheable = all(v is None or type(v) is str for v in key)
        found = self._wanted.get(key) if cacheable else None
        if found is None:
            values = dict(zip(self._filter_fields, key))
            found = [part for part, f in enumerate(self.filters)
                     if f is None or not isinstance(values[f[0]], str) or values[f[0]] in f[1]]
            if cacheable:
                self._wanted[key] = found
        return found

    def route(self, message: Mapping[str, Any]) -> list[tuple[int, int]]:
        """(partition, C handle) of each partition a message could match anything in (cached by the
        message's value of the filter field, when there is one and it is text)."""
        key = message.get(self._filter_fields[0]) if len(self._filter_fields) == 1 else None
        found = self._routes.get(key) if type(key) is str else None
        if found is None:
            found = [(part, self.handles[part]) for part in self.partitions_for(message)]
            if type(key) is str:
                self._routes[key] = found
        return found

    def delete(self) -> None:
        for session in list(self.sessions.values()):
            session.close()
        while self.handles:
            _dre.delete_ruleset(self.handles.pop())


class _Definition:
    """A caller ruleset as given, and the C rulesets built from it: all of its rules, and for
    sessions that say which messages they will send (`RuleEngine.session`'s `expect`), only the
    rules that such messages can fire ("views", built on first use and kept)."""

    def __init__(self, name: str, rules: Mapping[str, Mapping[str, Any]], build: bool) -> None:
        self.name = name
        self.rules = _parse(name, rules)
        self.views: dict[frozenset[str], _Ruleset] = {}  # by the rules they hold
        self._promised: dict[Any, _Ruleset] = {}  # by what sessions were promised
        self.keys: set[str] = set()  # of the open sessions, on every view
        if build:
            self.full  # noqa: B018 - built now, so that durable's refusal of a rule is raised here

    @property
    def full(self) -> _Ruleset:
        return self.view(None)

    def view(self, expect: Mapping[str, frozenset[str]] | None) -> _Ruleset:
        promise = None if expect is None else frozenset(expect.items())
        found = self._promised.get(promise)
        if found is None:
            live = self.rules if expect is None else [r for r in self.rules if r.possible(expect)]
            key = frozenset(r.name for r in live)
            found = self.views.get(key)
            if found is None:
                found = self.views[key] = _Ruleset(self.name, live)
            self._promised[promise] = found
        return found

    def delete(self) -> None:
        for view in self.views.values():
            view.delete()
        self.views.clear()
        self._promised.clear()


_malloc_tuned = False


def _keep_freed_memory_in_heap() -> None:
    """Every new durable state mallocs and clears ~12 KB per join node (hash indexes), and
    delete_state frees it. With glibc's default thresholds that memory is handed back to the OS
    and faulted in again for each session: measured 39k instead of 70k facts/s (at random, by
    heap layout). So keep blocks up to 32 MiB in the heap and trim only past 64 MiB free.
    Process-wide, once, glibc only."""
    global _malloc_tuned
    if _malloc_tuned or not sys.platform.startswith("linux"):
        return
    _malloc_tuned = True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 64 << 20)


class RuleEngine:
    """Compiled rulesets; opens one :class:`Session` per contract."""

    def __init__(self, rulesets: Mapping[str, Mapping[str, Mapping[str, Any]]], build: bool = True) -> None:
        """Rules are checked at once; with `build` (the default) durable compiles them at once too,
        so that a rule it refuses is raised here. Without it, durable compiles only what sessions use,
        when they first use it (for a caller whose rules are known good)."""
        _keep_freed_memory_in_heap()
        self._rulesets: dict[str, _Definition] = {}
        self._sids = itertools.count(1)
        try:
            for name, rules in rulesets.items():
                self._rulesets[name] = _Definition(name, rules, build)
        except BaseException:
            self.close()
            raise

    @property
    def rulesets(self) -> tuple[str, ...]:
        return tuple(self._rulesets)

    def session(self, ruleset: str, key: str, expect: Mapping[str, Collection[str]] | None = None) -> Session:
        """A session on `ruleset` for the contract `key`. With `expect` (field -> values), the caller
        promises that every message it sends has one of those values in each such field (for example
        the types of fact a contract can come to hold): the session then runs only the rules such
        messages can fire, and refuses a message that breaks the promise. A new durable state costs
        in proportion to the rules it holds, and a message goes only to rules that can use it."""
        definition = self._rulesets.get(ruleset)
        if definition is None:
            raise KeyError(f"no ruleset {ruleset!r} (have {sorted(self._rulesets)}), or the engine is closed")
        if not isinstance(key, str):
            raise TypeError(f"session key must be a str, got {type(key).__name__}")
        if key in definition.keys:
            raise ValueError(f"a session for {key!r} is already open on ruleset {ruleset!r}; close it first")
        promised = None if expect is None else {f: frozenset(values) for f, values in expect.items()}
        rs = definition.view(promised)
        if len(rs.sessions) >= MAX_SESSIONS:
            raise SessionLimitError(
                f"ruleset {ruleset!r} already has {MAX_SESSIONS} open sessions, durable's hard limit; close some first"
            )
        # durable tells sessions apart by a 32-bit hash of the sid alone: the caller's key is never
        # sent; sids are ours, and one whose hash an open session already has is skipped.
        while True:
            sid = str(next(self._sids))
            sid_hash = fnv1a_32(sid)
            if sid_hash not in rs.sessions:
                break
        session = Session(rs, definition.keys, key, sid, sid_hash, promised)
        rs.sessions[sid_hash] = session
        definition.keys.add(key)
        return session

    def close(self) -> None:
        """Close every open session and free the C rulesets."""
        for definition in self._rulesets.values():
            definition.delete()
        self._rulesets.clear()

    def __enter__(self) -> RuleEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session:
    """The working memory of one contract. Close it (or use ``with``) to free durable's state."""

    __slots__ = (
        "key", "_rs", "_keys", "_sid", "_sid_tail", "_sid_hash", "_expect", "_ids", "_anon", "_events", "_payloads",
        "_serial", "_touched", "_broken", "_closed",
    )

    def __init__(self, rs: _Ruleset, keys: set[str], key: str, sid: str, sid_hash: int,
                 expect: dict[str, frozenset[str]] | None = None) -> None:
        self.key = key
        self._rs = rs
        self._keys = keys  # the open sessions' keys on this ruleset, which this one leaves on closing
        self._sid = sid
        self._sid_tail = f',"sid":"{sid}"}}'  # sids are digits: nothing to escape
        self._sid_hash = sid_hash
        self._expect = tuple(expect.items()) if expect else ()
        # id hash -> (id text, is a live fact). durable finds messages by a 32-bit hash of the id only,
        # and its state fact "sid-<sid>" lives in the same index.
        self._ids: dict[int, tuple[str, bool]] = {fnv1a_32(f"sid-{sid}"): (f"sid-{sid}", False)}
        self._anon: set[str] = set()  # ids made up here, removed from what is returned
        # Events go to durable as facts, and are used up here: when one firing uses up two events,
        # durable's deleteMessageFromFrame runs past the frame and can clobber the next pending one.
        self._events: set[Any] = set()  # ids of posted events not used up yet
        # durable keeps pointers to the id and sid inside the JSON text it was given (copyMessage
        # rebases every other string); freeing that text makes joins on "id" read freed memory.
        self._payloads: list[str] = []
        self._serial = itertools.count(1)
        self._touched: set[int] = set()  # partitions that hold a state for this session
        self._broken: str | None = None
        self._closed = False

    def assert_fact(self, fact: Mapping[str, Any]) -> list[Firing]:
        """Add a fact; it stays until retracted. A fact without an ``id`` gets one derived from its content."""
        return self._send(fact, is_fact=True)

    def post(self, event: Mapping[str, Any]) -> list[Firing]:
        """Add an event: the first firing (in firing order) that matches it uses it up; until then it
        waits for partners like a fact. An event without an ``id`` gets a serial one."""
        return self._send(event, is_fact=False)

    def retract_fact(self, fact: Mapping[str, Any]) -> list[Firing]:
        """Remove a fact, found by its ``id`` (by its content if it was asserted without one)."""
        self._check_usable(fact)
        value, text = self._id_of(fact, is_fact=True)
        text_hash = fnv1a_32(text)
        if self._ids.get(text_hash) != (text, True):
            raise UnknownFactError(f"session {self.key!r}: no live fact with id {value!r} to retract")
        firings = self._call(_dre.retract_fact, self._retraction(value), value, self._touched_partitions())
        del self._ids[text_hash]
        self._anon.discard(text)
        return firings

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._rs.sessions.get(self._sid_hash) is self:
            del self._rs.sessions[self._sid_hash]
            self._keys.discard(self.key)
            for part in sorted(self._touched):
                handle = self._rs.handles[part]
                try:
                    _dre.delete_state(handle, self._sid)
                except _dre.error:
                    if not self._broken:  # else the failed message may never have created it
                        raise
        self._ids.clear()
        self._anon.clear()
        self._events.clear()
        self._payloads.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_usable(self, message: Any) -> None:
        if self._closed:
            raise InferenceError(f"session {self.key!r} is closed")
        if self._broken:
            raise InferenceError(f"session {self.key!r} is unusable after an earlier failure: {self._broken}")
        if type(message) is not dict and not isinstance(message, Mapping):
            raise TypeError(f"session {self.key!r}: expected a mapping, got {type(message).__name__}")

    def _id_of(self, message: Mapping[str, Any], is_fact: bool) -> tuple[Any, str]:
        """The id to send, and the text durable hashes for it (the JSON text between the quotes)."""
        if "id" in message:
            value = message["id"]
            if type(value) is int:
                return value, str(value)
            if type(value) is str and value:
                if value.isprintable() and '"' not in value and "\\" not in value:
                    return value, value
                return value, _encode(value)[1:-1]
            raise TypeError(f"session {self.key!r}: 'id' must be a non-empty str or an int, got {value!r}")
        if is_fact:  # derived from the content, so that retract_fact finds it again
            canonical = json.dumps(message, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            text = "~" + hashlib.blake2b(canonical.encode(), digest_size=10).hexdigest()
            return text, text
        while True:
            text = f"~{next(self._serial)}"
            if fnv1a_32(text) not in self._ids:
                return text, text

    def _retraction(self, mid: Any) -> str:
        return _encode({"id": mid, "sid": self._sid})

    def _touched_partitions(self) -> list[tuple[int, int]]:
        return [(part, self._rs.handles[part]) for part in sorted(self._touched)]

    def _send(self, message: Mapping[str, Any], is_fact: bool) -> list[Firing]:
        # every message passes here: the common case (an open session, a dict) is checked first
        if self._closed or self._broken or type(message) is not dict:
            self._check_usable(message)
            message = dict(message)
        if "sid" in message or "$s" in message:
            field = "sid" if "sid" in message else "$s"
            raise ValueError(f"session {self.key!r}: field {field!r} is reserved by durable_rules; rename it")
        for field, values in self._expect:
            value = message.get(field)
            if type(value) is not str or value not in values:
                raise InferenceError(f"session {self.key!r}: a message with {field} {value!r}, which the "
                                     "session was promised it would not get")
        value = message.get("id")
        if type(value) is str and (text_hash := _plain_id_hash(value)) is not None:
            text = value
        else:  # an int id, one with characters to escape, or none: not the common case
            value, text = self._id_of(message, is_fact)
            text_hash = _id_hash(text)
        known = self._ids.get(text_hash)
        if known is not None:
            if known[0] == text:
                raise IdCollisionError(f"session {self.key!r}: id {value!r} was already used in this session")
            raise IdCollisionError(
                f"session {self.key!r}: ids {value!r} and {known[0]!r} have the same 32-bit FNV-1a hash, "
                "so durable_rules would take one for the other; give one of them another id"
            )
        try:
            # the message with its id, and the sid spliced onto the end (an object with an id is never empty);
            # looked at as text: `in` on bytes costs several times as much (it first tries the needle as a number)
            body = orjson.dumps(message if "id" in message else {**message, "id": value})[:-1].decode()
            if "null" in body and _non_finite(message):
                raise ValueError("NaN and infinities are not JSON")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"session {self.key!r}: message {value!r} is not JSON-encodable: {exc}") from exc
        self._ids[text_hash] = (text, is_fact)
        if "id" not in message:
            self._anon.add(text)
        parts = self._rs.route(message)
        if not parts:  # no rule of this session can use it: durable never sees it (its id is kept, above)
            return []
        if not is_fact:
            self._events.add(value)
        return self._call(_dre.assert_fact, body + self._sid_tail, value, parts)

    def _call(self, call: Call, payload: str, mid: Any, parts: list[tuple[int, int]]) -> list[Firing]:
        found: list[tuple[Firing, tuple[Any, ...]]] = []
        stored = False
        touched = self._touched
        try:
            for part, handle in parts:
                first = part not in touched
                if first:
                    touched.add(part)
                code, state = call(handle, payload)
                if code == _HANDLED:
                    stored = True
                    self._drain(handle, state, found)
                elif code == _NOT_HANDLED:
                    if first:  # a new state asserts its state fact, which fires _STATE_RULE
                        self._drain(handle, state, found)
                elif code == _OBSERVED:
                    raise IdCollisionError(f"session {self.key!r}: durable_rules had already seen message {mid!r}")
                else:
                    raise InferenceError(f"session {self.key!r}: unexpected durable_rules result {code} for message {mid!r}")
            if not stored:
                self._events.discard(mid)  # matched nothing: durable did not keep it
            if not found:
                return []
            if len(found) == 1 and not self._events:  # one firing on facts: nothing to order or use up
                return [found[0][0]]
            return self._use_up_events(found)
        except _dre.error as exc:
            self._broken = f"durable_rules failed on message {mid!r}: {_explain(exc)}"
            raise InferenceError(f"session {self.key!r}: {self._broken}") from exc
        except BaseException as exc:
            # the partitions may now disagree about this message: refuse to go on
            self._broken = f"{type(exc).__name__} on message {mid!r}: {exc}"
            raise
        finally:
            if stored and call is not _dre.retract_fact:
                self._payloads.append(payload)

    def _use_up_events(self, found: list[tuple[Firing, tuple[Any, ...]]]) -> list[Firing]:
        """durable's event semantics, across partitions: in firing order (pri, then definition order,
        then durable's order within a rule) the first firing that matched an event uses it up, and
        later ones that matched it are dropped. Retracting used-up events can fire $not rules again."""
        rank = self._rs.rank
        firings: list[Firing] = []
        while found:
            if len(found) > 1 and len(self._rs.handles) > 1:
                found.sort(key=lambda pair: rank[pair[0].rule])
            if not self._events:  # facts only: nothing to use up
                firings.extend(firing for firing, _ in found)
                return firings
            used: dict[Any, None] = {}
            for firing, events in found:
                if not any(event in used for event in events):
                    firings.append(firing)
                    used.update(dict.fromkeys(events))
            found = []
            for event in used:
                self._events.discard(event)
                retraction = self._retraction(event)
                for _, handle in self._touched_partitions():
                    code, state = _dre.retract_fact(handle, retraction)
                    self._drain(handle, state, found)
        return firings

    def _drain(self, handle: int, state: int, out: list[tuple[Firing, tuple[Any, ...]]]) -> None:
        started = _dre.start_action_for_state(handle, state)
        if started is None:
            return
        state_fact, messages = started
        if '"exception"' in state_fact:
            _dre.abandon_action(handle, state)
            raise InferenceError(f"session {self.key!r}: durable_rules stored an exception in the state: {state_fact}")
        anon, live_events = self._anon, self._events
        while messages is not None:
            try:
                for rule, frame in _decode_json(messages).items():
                    events = []
                    for message in frame.values():
                        if "$s" in message:
                            break  # durable's state fact (also matched by $nex-only conditions): not the caller's
                        del message["sid"]
                        if live_events or anon:
                            mid = message["id"]
                            if mid in live_events:
                                events.append(mid)
                            if mid in anon:
                                del message["id"]
                    else:
                        out.append((_firing((rule, frame)), tuple(events)))
            except BaseException:
                _dre.abandon_action(handle, state)
                raise
            messages = _dre.complete_and_start_action(handle, state)
