"""kiyaku.replay.inference: durable_rules' semantics as the engine relies on them, and the traps it contains."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator

import pytest

from kiyaku.replay import events, inference
from kiyaku.replay.inference import (
    MAX_SESSIONS,
    Firing,
    IdCollisionError,
    InferenceError,
    RuleEngine,
    Session,
    SessionLimitError,
    UnknownFactError,
    fnv1a_32,
)

ROOT = Path(__file__).resolve().parent.parent
INVOICE = {"invoice": {"t": "invoice"}}
PAYMENT_OF_INVOICE = {"$and": [{"t": "payment"}, {"invoice": {"invoice": "id"}}]}  # payment.invoice == invoice.id
PAID = {"all": [INVOICE, {"payment": PAYMENT_OF_INVOICE}]}
UNPAID = {"all": [INVOICE, {"payment$not": PAYMENT_OF_INVOICE}]}
UNCREDITED = {"all": [INVOICE, {"credit$not": {"$and": [{"t": "credit"}, {"invoice": {"invoice": "id"}}]}}]}
DUE = {"all": [INVOICE, {"due": {"$and": [{"t": "due"}, {"invoice": {"invoice": "id"}}]}}]}


@pytest.fixture
def open_session() -> Iterator[Any]:
    engines: list[RuleEngine] = []

    def make(rules: dict[str, Any], key: str = "contract-1") -> Session:
        engine = RuleEngine({"rs": rules})
        engines.append(engine)
        return engine.session("rs", key)

    yield make
    for engine in engines:
        engine.close()


def fired(firings: list[Firing]) -> list[tuple[str, dict[str, Any]]]:
    return [(f.rule, {alias: dict(m) for alias, m in f.matched.items()}) for f in firings]


def names(firings: list[Firing]) -> list[str]:
    return [f.rule for f in firings]


# --- facts, events, joins -------------------------------------------------------------------

def test_join_fires_once_per_combination_of_facts_newest_first(open_session: Any) -> None:
    s = open_session({"j": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]}})
    a1, a2, b1, b2 = ({"id": i, "t": i[0]} for i in ("a1", "a2", "b1", "b2"))
    assert s.assert_fact(a1) == []  # no partner yet: held silently
    assert s.assert_fact(a2) == []
    assert fired(s.assert_fact(b1)) == [("j", {"a": a2, "b": b1}), ("j", {"a": a1, "b": b1})]
    # a fact asserted later joins every earlier fact again
    assert fired(s.assert_fact(b2)) == [("j", {"a": a2, "b": b2}), ("j", {"a": a1, "b": b2})]


def test_join_ignores_arrival_order(open_session: Any) -> None:
    s = open_session({"paid": PAID})
    assert s.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"}) == []
    assert s.assert_fact({"id": "i2", "t": "invoice"}) == []  # no payment for i2
    assert fired(s.assert_fact({"id": "i1", "t": "invoice"})) == [
        ("paid", {"invoice": {"id": "i1", "t": "invoice"}, "payment": {"id": "p1", "t": "payment", "invoice": "i1"}})
    ]


def test_every_matching_rule_fires_on_a_fact(open_session: Any) -> None:
    s = open_session({"one": {"all": [{"m": {"t": "a"}}]}, "two": {"all": [{"m": {"t": "a"}}]}})
    assert names(s.assert_fact({"t": "a", "n": 1})) == ["one", "two"]
    assert names(s.assert_fact({"t": "a", "n": 2})) == ["one", "two"]


def test_an_event_is_consumed_by_the_first_rule_that_fires(open_session: Any) -> None:
    s = open_session({
        "j": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]},
        "one": {"all": [{"m": {"t": "a"}}]},
        "late": {"pri": 1, "all": [{"m": {"t": "c"}}]},
        "early": {"all": [{"m": {"t": "c"}}]},
    })
    assert s.post({"id": "b1", "t": "b"}) == []  # held until a partner comes
    assert s.post({"id": "b2", "t": "b"}) == []
    assert fired(s.post({"id": "a1", "t": "a"})) == [("j", {"a": {"id": "a1", "t": "a"}, "b": {"id": "b2", "t": "b"}})]
    assert fired(s.post({"id": "a2", "t": "a"})) == [("j", {"a": {"id": "a2", "t": "a"}, "b": {"id": "b1", "t": "b"}})]
    assert names(s.post({"id": "a3", "t": "a"})) == ["one"]  # both b's were used up
    assert names(s.post({"t": "c"})) == ["early"]  # "late" never sees it
    assert names(s.post({"t": "c"})) == ["early"]  # events without id get distinct ones


def test_retraction_prevents_later_firings(open_session: Any) -> None:
    s = open_session({"j": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]}})
    s.assert_fact({"id": "a1", "t": "a"})
    s.assert_fact({"id": "a2", "t": "a"})
    assert s.retract_fact({"id": "a1"}) == []  # by id alone
    assert fired(s.assert_fact({"id": "b1", "t": "b"})) == [("j", {"a": {"id": "a2", "t": "a"}, "b": {"id": "b1", "t": "b"}})]
    s.retract_fact({"id": "a2", "t": "a"})
    assert s.assert_fact({"id": "b2", "t": "b"}) == []
    assert names(s.assert_fact({"id": "a1", "t": "a"})) == ["j", "j"]  # a retracted id can be asserted again


def test_facts_without_id_are_retracted_by_content(open_session: Any) -> None:
    s = open_session({"j": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]}})
    s.assert_fact({"t": "a", "x": [1, 2]})
    assert fired(s.assert_fact({"t": "b"})) == [("j", {"a": {"t": "a", "x": [1, 2]}, "b": {"t": "b"}})]  # no made-up ids
    with pytest.raises(IdCollisionError, match="already used"):
        s.assert_fact({"x": [1, 2], "t": "a"})  # same content, any key order
    s.retract_fact({"x": [1, 2], "t": "a"})
    assert s.assert_fact({"id": "b2", "t": "b"}) == []
    with pytest.raises(UnknownFactError):
        s.retract_fact({"t": "a", "x": [1, 2]})


def test_unmatched_facts_and_events_are_no_firings(open_session: Any) -> None:
    s = open_session({"r": {"all": [{"m": {"t": "a"}}]}})
    assert s.assert_fact({"t": "zzz"}) == []
    assert s.post({"t": "zzz"}) == []
    assert s.post({"nothing": None, "nested": {"t": "a"}}) == []
    assert names(s.assert_fact({"t": "a"})) == ["r"]


# --- negation ---------------------------------------------------------------------------------

def test_negation_fires_at_once_is_not_undone_and_refires_on_retraction(open_session: Any) -> None:
    s = open_session({"unpaid": UNPAID})
    i1 = {"id": "i1", "t": "invoice"}
    assert fired(s.assert_fact(i1)) == [("unpaid", {"invoice": i1})]
    assert s.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"}) == []  # nothing says "undo"
    assert s.assert_fact({"id": "p1b", "t": "payment", "invoice": "i1"}) == []
    # durable re-fires on *every* retraction of a blocking fact, even while another one (p1b) remains
    assert fired(s.retract_fact({"id": "p1"})) == [("unpaid", {"invoice": i1})]
    assert fired(s.retract_fact({"id": "p1b"})) == [("unpaid", {"invoice": i1})]
    s.assert_fact({"id": "p9", "t": "payment", "invoice": "i9"})
    assert s.retract_fact({"id": "p9"}) == []  # a payment of another invoice never blocked i1
    # a payment that arrives first blocks its invoice only
    s.assert_fact({"id": "p3", "t": "payment", "invoice": "i3"})
    assert s.assert_fact({"id": "i3", "t": "invoice"}) == []
    assert names(s.assert_fact({"id": "i4", "t": "invoice"})) == ["unpaid"]


def test_a_session_of_thousands_of_facts_joins_and_negates_as_a_short_one(open_session: Any) -> None:
    # A long history: thousands of facts in one session, well past the 512 hash buckets durable starts
    # its message and frame indexes with. Every firing must still pair exactly the right facts.
    s = open_session({"unpaid": UNPAID, "paid": PAID})
    n = 5000
    for k in range(n):
        invoice = {"id": f"i{k}", "t": "invoice"}
        assert fired(s.assert_fact(invoice)) == [("unpaid", {"invoice": invoice})]
    for k in range(n - 2, -1, -2):  # every even invoice paid, the last first
        payment = {"id": f"p{k}", "t": "payment", "invoice": f"i{k}"}
        assert fired(s.assert_fact(payment)) == [("paid", {"invoice": {"id": f"i{k}", "t": "invoice"},
                                                           "payment": payment})]
    for k in range(0, n, 4):  # a quarter of them withdrawn: those invoices are unpaid again
        assert fired(s.retract_fact({"id": f"p{k}"})) == [("unpaid", {"invoice": {"id": f"i{k}", "t": "invoice"}})]
    late = {"id": "p4999", "t": "payment", "invoice": "i4999"}
    assert fired(s.assert_fact(late)) == [("paid", {"invoice": {"id": "i4999", "t": "invoice"}, "payment": late})]


def test_a_wide_message_is_matched_and_one_wider_than_durables_slots_is_refused_clearly(open_session: Any) -> None:
    # durable holds a message's properties (its sid included) in fixed slots: 255 in the plain package,
    # 64 in kiyaku's build (vendor/durable_rules/smaller-messages.patch), the last one never usable
    slots = 64 if "+kiyaku." in metadata.version("durable_rules") else 255
    s = open_session({"wide": {"all": [{"m": {"t": "wide"}}]}})
    wide = {"id": "w1", "t": "wide", **{f"f{k}": k for k in range(slots - 4)}}  # with the sid: slots - 1
    assert fired(s.assert_fact(wide)) == [("wide", {"m": wide})]
    wider = {"id": "w2", "t": "wide", **{f"f{k}": k for k in range(slots - 3)}}
    with pytest.raises(InferenceError, match=r"too many properties in one message"):
        s.assert_fact(wider)


def test_every_message_of_the_replay_is_far_from_durables_slots() -> None:
    # An event's message is its fields less agreement and note, plus t and eid (evaluator.Fact), plus
    # durable's sid; a derivation's is id, type, t, sid and what it keeps (at most 16, rules.json).
    # None may come near the 63 usable slots of kiyaku's build; nested fields would take slots too.
    vocab = events.vocabulary()
    for name, spec in vocab["$defs"]["types"].items():
        fields = vocab["properties"] | spec["properties"]
        resolved = [vocab["$defs"][f["$ref"].rsplit("/", 1)[1]] if "$ref" in f else f for f in fields.values()]
        assert all(f.get("type") != "object" for f in resolved), name
        assert len(fields) - 2 + 3 <= 32, name
    derivation = json.loads((ROOT / "engine/schemas/rules.json").read_text("utf-8"))["$defs"]["derivation"]
    assert derivation["properties"]["keep"]["maxProperties"] + 4 <= 32


def test_a_negation_does_not_disable_other_rules(open_session: Any) -> None:
    # In one durable ruleset, a blocked $not deletes the partial matches of every later rule that
    # holds the same invoice: "paid" and "due" never fire and "uncredited" never fires again.
    s = open_session({"unpaid": UNPAID, "uncredited": UNCREDITED, "paid": PAID, "due": DUE})
    i1 = {"id": "i1", "t": "invoice"}
    assert names(s.assert_fact(i1)) == ["unpaid", "uncredited"]
    assert names(s.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"})) == ["paid"]
    assert s.assert_fact({"id": "c1", "t": "credit", "invoice": "i1"}) == []
    assert names(s.assert_fact({"id": "d1", "t": "due", "invoice": "i1"})) == ["due"]
    assert names(s.retract_fact({"id": "c1"})) == ["uncredited"]
    assert names(s.retract_fact({"id": "p1"})) == ["unpaid"]


def test_an_event_is_used_up_across_durable_rulesets(open_session: Any) -> None:
    # "unpaid" shares its invoice condition with "log", so it runs in a durable ruleset of its own;
    # the event is still used up once, in firing order, as in a single durable ruleset
    s = open_session({"log": {"all": [{"m": {"t": "invoice"}}]}, "unpaid": UNPAID})
    assert names(s.post({"id": "i1", "t": "invoice"})) == ["log"]
    s = open_session({"log": {"pri": 1, "all": [{"m": {"t": "invoice"}}]}, "unpaid": UNPAID}, "k2")
    assert names(s.post({"id": "i1", "t": "invoice"})) == ["unpaid"]


def test_an_event_that_is_used_up_stops_blocking_a_negation(open_session: Any) -> None:
    s = open_session({"log_payment": {"all": [{"m": {"t": "payment"}}]}, "unpaid": UNPAID})
    assert names(s.assert_fact({"id": "i1", "t": "invoice"})) == ["unpaid"]
    assert names(s.post({"id": "p1", "t": "payment", "invoice": "i1"})) == ["log_payment", "unpaid"]


def test_events_joined_with_events_are_used_up_together(open_session: Any) -> None:
    s = open_session({"pair": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}, {"c": {"t": "c"}}]},
                      "single_b": {"pri": 1, "all": [{"m": {"t": "b"}}]}})
    for n in range(3):
        s.post({"id": f"a{n}", "t": "a"})
    assert names(s.post({"id": "b0", "t": "b"})) == ["single_b"]
    assert names(s.post({"id": "b1", "t": "b"})) == ["single_b"]
    s.assert_fact({"id": "b2", "t": "b"})  # a fact in the same role is never used up
    assert fired(s.post({"id": "c0", "t": "c"})) == [
        ("pair", {"a": {"id": "a2", "t": "a"}, "b": {"id": "b2", "t": "b"}, "c": {"id": "c0", "t": "c"}})]
    assert fired(s.post({"id": "c1", "t": "c"})) == [
        ("pair", {"a": {"id": "a1", "t": "a"}, "b": {"id": "b2", "t": "b"}, "c": {"id": "c1", "t": "c"}})]


def test_rules_that_a_negation_cannot_touch_share_one_durable_ruleset() -> None:
    rules = {
        "paid": PAID,
        "unacked": {"all": [{"incident": {"t": "incident"}}, {"ack$not": {"$and": [{"t": "ack"}, {"of": {"incident": "id"}}]}}]},
        "unpaid": UNPAID,  # its invoice is in "paid"'s frames: needs a ruleset of its own
        "unsigned": {"all": [{"o": {"t": "order"}}, {"s$not": {"$and": [{"t": "signature"}, {"of": {"o": "id"}}]}}]},
    }
    with RuleEngine({"rs": rules}) as engine:
        assert engine._rulesets["rs"].full.partitions == [["paid", "unacked", "unsigned"], ["unpaid"]]


def test_a_message_goes_only_to_the_partitions_that_test_its_type() -> None:
    rules = {"paid": PAID, "unpaid": UNPAID,
             "flagged": {"all": [{"m": {"$and": [{"t": "alert"}, {"level": "high"}]}}]}}
    with RuleEngine({"rs": rules}) as engine:
        rs = engine._rulesets["rs"].full
        assert rs.partitions == [["paid", "flagged"], ["unpaid"]]
        assert rs.partitions_for({"t": "alert"}) == [0]
        assert rs.partitions_for({"t": "invoice"}) == [0, 1]
        assert rs.partitions_for({"t": "noise"}) == []
        assert rs.partitions_for({"t": 3}) == [0, 1]  # not a string: durable may still compare it
        with engine.session("rs", "k") as s:
            assert s.assert_fact({"id": "n", "t": "noise"}) == []  # touches no partition
            assert names(s.assert_fact({"id": "a", "t": "alert", "level": "high"})) == ["flagged"]
            assert names(s.assert_fact({"id": "i", "t": "invoice"})) == ["unpaid"]
            assert names(s.assert_fact({"id": "p", "t": "payment", "invoice": "i"})) == ["paid"]


# --- conditions -------------------------------------------------------------------------------

def test_cross_fact_references_and_comparisons(open_session: Any) -> None:
    deadline = {"deadline": {"t": "deadline"}}
    s = open_session({
        "late": {"all": [deadline, {"payment": {"$and": [{"t": "payment"}, {"$gt": {"time": {"deadline": "time"}}}]}}]},
        "on_time": {"all": [deadline, {"payment": {"$and": [{"t": "payment"}, {"$lte": {"time": {"deadline": "time"}}}]}}]},
        "beyond_grace": {"all": [deadline, {"payment": {"$and": [
            {"t": "payment"}, {"$gt": {"time": {"$add": {"$l": {"deadline": "time"}, "$r": 5}}}}]}}]},
        "overpaid": {"all": [{"m": {"$and": [{"t": "pay"}, {"$gt": {"paid": {"$m": "due"}}}]}}]},  # same fact
    })
    assert s.assert_fact({"id": "p1", "t": "payment", "time": 12}) == []
    assert names(s.assert_fact({"id": "d", "t": "deadline", "time": 10})) == ["late"]
    assert names(s.assert_fact({"id": "p2", "t": "payment", "time": 16})) == ["late", "beyond_grace"]
    assert names(s.assert_fact({"id": "p3", "t": "payment", "time": 10})) == ["on_time"]
    assert names(s.assert_fact({"t": "pay", "paid": 5, "due": 3})) == ["overpaid"]
    assert s.assert_fact({"t": "pay", "paid": 1, "due": 3}) == []


def test_join_conditions_are_one_term_or_one_flat_and(open_session: Any) -> None:
    s = open_session({
        "flat": {"all": [INVOICE, {"p": {"$and": [{"invoice": {"invoice": "id"}}, {"t": "payment"}, {"kind": "a"},
                                                  {"$gt": {"amount": {"invoice": "amount"}}}]}}]},
        "single": {"all": [INVOICE, {"p": {"credit_for": {"invoice": "id"}}}]},
    })
    s.assert_fact({"id": "i1", "t": "invoice", "amount": 100})
    for n, (kind, amount, expected) in enumerate([("a", 150, ["flat"]), ("b", 150, []), ("a", 50, []), ("a", 101, ["flat"])]):
        assert names(s.assert_fact({"id": f"p{n}", "t": "payment", "invoice": "i1", "kind": kind, "amount": amount})) == expected
    assert names(s.assert_fact({"id": "c1", "credit_for": "i1"})) == ["single"]
    assert s.assert_fact({"id": "c2", "credit_for": "i2"}) == []


REF = {"invoice": {"invoice": "id"}}


@pytest.mark.parametrize("pattern", [
    {"$and": [{"t": "payment"}, {"$or": [{"kind": "a"}, {"kind": "b"}]}, REF]},  # 12 of 36 wrong when allowed
    {"$and": [{"t": "payment"}, {"$and": [{"kind": "a"}, {"x": 1}]}, REF]},
    {"$and": [{"t": "payment"}, {"$or": [REF, {"$gt": {"amount": {"invoice": "amount"}}}]}]},
    {"$or": [REF, {"$gt": {"amount": {"invoice": "amount"}}}]},  # every message enters: error 311
    {"$or": [{"kind": "a"}, REF]},
])
def test_join_conditions_durable_gets_wrong_are_rejected(pattern: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="compares with another fact inside an \\$or or a nested \\$and"):
        RuleEngine({"rs": {"r": {"all": [INVOICE, {"p": pattern}]}}})


def test_a_fact_without_a_field_that_a_join_compares_with_breaks_its_session(open_session: Any) -> None:
    late = {"all": [{"deadline": {"t": "deadline"}},
                    {"payment": {"$and": [{"t": "payment"}, {"$gt": {"time": {"deadline": "time"}}}]}}]}
    s = open_session({"late": late})
    s.assert_fact({"id": "d", "t": "deadline"})  # no "time"
    with pytest.raises(InferenceError, match="lacks a field that a rule compares with"):
        s.assert_fact({"id": "p", "t": "payment", "time": 3})
    s = open_session({"late": late}, "k2")
    s.assert_fact({"id": "d", "t": "deadline", "time": 10})
    assert s.assert_fact({"id": "p", "t": "payment"}) == []  # the matched fact's own missing field: no match


def test_filter_operators(open_session: Any) -> None:
    s = open_session({
        "or": {"all": [{"m": {"$or": [{"t": "a"}, {"t": "b"}]}}]},
        "ex": {"all": [{"m": {"$and": [{"t": "c"}, {"$ex": {"x": 1}}]}}]},
        "nex": {"all": [{"m": {"$and": [{"t": "c"}, {"$nex": {"x": 1}}]}}]},
        "mt": {"all": [{"m": {"$mt": {"name": "INV-%d+"}}}]},
        "neq": {"all": [{"m": {"$and": [{"t": "d"}, {"$neq": {"v": 3}}]}}]},
        "lt": {"all": [{"m": {"$and": [{"t": "d"}, {"$lt": {"v": 3}}]}}]},
        "gte": {"all": [{"m": {"$and": [{"t": "d"}, {"$gte": {"v": 3}}]}}]},
        "neq_missing": {"all": [{"m": {"$and": [{"t": "e"}, {"$neq": {"v": 3}}]}}]},
        "nested": {"all": [{"m": {"$or": [{"$and": [{"t": "f"}, {"k": 1}]}, {"$and": [{"t": "f"}, {"$gt": {"j": 1}}]}]}}]},
    })
    assert names(s.assert_fact({"t": "a"})) == ["or"]
    assert names(s.assert_fact({"t": "b"})) == ["or"]
    assert names(s.assert_fact({"t": "c", "x": 0})) == ["ex"]  # exists, even when falsy
    assert names(s.assert_fact({"t": "c"})) == ["nex"]
    assert names(s.assert_fact({"name": "INV-123"})) == ["mt"]  # $mt matches the whole string
    assert s.assert_fact({"name": "INV-12x"}) == []
    assert names(s.assert_fact({"t": "d", "v": 2})) == ["neq", "lt"]
    assert names(s.assert_fact({"t": "d", "v": 2.5})) == ["neq", "lt"]
    assert names(s.assert_fact({"t": "d", "v": 3})) == ["gte"]
    assert s.assert_fact({"t": "e"}) == []  # a missing field is not "not equal"
    assert names(s.assert_fact({"t": "f", "k": 1})) == ["nested"]  # nesting is fine without joins
    assert names(s.assert_fact({"t": "f", "j": 2})) == ["nested"]
    assert s.assert_fact({"t": "f", "k": 2, "j": 1}) == []


def test_nex_only_conditions_do_not_match_durables_own_state_fact(open_session: Any) -> None:
    s = open_session({"untyped": {"all": [{"m": {"$nex": {"t": 1}}}]}})
    assert s.assert_fact({"t": "x"}) == []  # durable's first-message state fact {"$s": 1} also has no "t"
    assert fired(s.assert_fact({"u": 1})) == [("untyped", {"m": {"u": 1}})]


def test_any_fires_per_branch_and_again_for_combinations(open_session: Any) -> None:
    s = open_session({"either": {"any": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]}})
    assert fired(s.assert_fact({"t": "a"})) == [("either", {"a": {"t": "a"}})]
    assert fired(s.assert_fact({"t": "b"})) == [("either", {"b": {"t": "b"}}), ("either", {"a": {"t": "a"}, "b": {"t": "b"}})]


def test_pri_orders_firings_and_ties_keep_definition_order(open_session: Any) -> None:
    s = open_session({
        "second": {"pri": 1, "all": [{"m": {"t": "c"}}]},
        "first": {"all": [{"m": {"t": "c"}}]},
        "negated": {"all": [{"m": {"t": "c"}}, {"n$not": {"$and": [{"t": "n"}, {"of": {"m": "id"}}]}}]},
        "last": {"pri": 7, "all": [{"m": {"t": "c"}}]},
        "also_first": {"pri": 0, "all": [{"m": {"t": "c"}}]},
    })
    assert names(s.assert_fact({"id": "c1", "t": "c"})) == ["first", "negated", "also_first", "second", "last"]


def test_firing_order_is_deterministic_across_engines_and_sessions() -> None:
    rules = {"unpaid": UNPAID, "paid": PAID, "due": DUE, "any": {"all": [{"m": {"$ex": {"t": 1}}}]},
             "pair": {"all": [{"a": {"t": "invoice"}}, {"b": {"t": "invoice"}}]}}
    script: list[tuple[str, dict[str, Any]]] = []
    for i in range(6):
        script += [("assert_fact", {"id": f"i{i}", "t": "invoice"}), ("post", {"t": "due", "invoice": f"i{i % 3}"})]
    script += [("assert_fact", {"id": f"p{i}", "t": "payment", "invoice": f"i{i}"}) for i in range(0, 6, 2)]
    script += [("retract_fact", {"id": "p2"}), ("retract_fact", {"id": "i1"})]

    def run(engine: RuleEngine, key: str) -> list[list[tuple[str, dict[str, Any]]]]:
        with engine.session("rs", key) as s:
            return [fired(getattr(s, op)(message)) for op, message in script]

    with RuleEngine({"rs": rules}) as e1, RuleEngine({"rs": rules}) as e2:
        reference = run(e1, "a")
        assert sum(map(len, reference)) > 40
        for n in range(5):  # other sessions, other internal ids
            e2.session("rs", f"filler-{n}").assert_fact({"t": "invoice", "id": "x"})
        assert run(e2, "b") == reference
        assert run(e1, "c") == reference


# --- identity: sessions and messages ----------------------------------------------------------

def test_session_keys_with_colliding_hashes_do_not_share_state() -> None:
    assert fnv1a_32("contract-61672") == fnv1a_32("contract-1928400")  # shared one state in plain durable
    with RuleEngine({"rs": {"paid": PAID}}) as engine:
        s1 = engine.session("rs", "contract-61672")
        s2 = engine.session("rs", "contract-1928400")
        s1.assert_fact({"id": "i1", "t": "invoice"})
        assert s2.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"}) == []
        assert s2.assert_fact({"id": "i1", "t": "invoice"}) != []  # same id, other session: fine
        assert names(s1.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"})) == ["paid"]


def test_internal_session_ids_skip_hashes_of_open_sessions() -> None:
    a, b = 5976534171, 872728751638
    assert fnv1a_32(str(a)) == fnv1a_32(str(b))
    with RuleEngine({"rs": {"paid": PAID}}) as engine:
        engine._sids = iter([a, b, b + 1])
        s1 = engine.session("rs", "one")
        s2 = engine.session("rs", "two")
        assert (s1._sid, s2._sid) == (str(a), str(b + 1))
        s1.assert_fact({"id": "i1", "t": "invoice"})
        assert s2.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"}) == []


def test_one_open_session_per_key() -> None:
    with RuleEngine({"rs": {"paid": PAID}}) as engine:
        s = engine.session("rs", "k")
        with pytest.raises(ValueError, match="already open"):
            engine.session("rs", "k")
        s.close()
        engine.session("rs", "k").close()


def test_message_ids_with_colliding_hashes_are_rejected_naming_both(open_session: Any) -> None:
    assert fnv1a_32("pay-4b938a5e06") == fnv1a_32("pay-1732cc4bdd")
    s = open_session({"paid": PAID})
    s.assert_fact({"id": "pay-4b938a5e06", "t": "payment", "invoice": "i1"})
    with pytest.raises(IdCollisionError, match="'pay-1732cc4bdd' and 'pay-4b938a5e06'"):
        s.post({"id": "pay-1732cc4bdd", "t": "payment", "invoice": "i1"})
    with pytest.raises(IdCollisionError, match="already used"):
        s.assert_fact({"id": "pay-4b938a5e06", "t": "payment", "invoice": "i2"})
    with pytest.raises(IdCollisionError, match="already used"):
        s.post({"id": 7})
        s.post({"id": "7"})  # durable keys on the JSON text of the id


def test_fnv1a_32_is_durables_hash() -> None:
    # constants compiled into durable's rete.c (HASH_PRI, HASH_LT, HASH_AND)
    assert (fnv1a_32("pri"), fnv1a_32("$lt"), fnv1a_32("$and")) == (1450887882, 542787579, 3746487396)
    # C char is signed: bytes >= 0x80 are sign-extended (checked against durable's duplicate detection)
    assert fnv1a_32("é868efc48a4ü") == fnv1a_32("é183a8837e3ü")


# --- lifecycle and limits ---------------------------------------------------------------------

def test_many_more_than_1024_sessions_in_sequence() -> None:
    with RuleEngine({"rs": {"paid": PAID, "unpaid": UNPAID}}) as engine:
        for n in range(3 * MAX_SESSIONS):
            with engine.session("rs", f"contract-{n}") as s:
                assert names(s.assert_fact({"id": "i1", "t": "invoice"})) == ["unpaid"]
                assert names(s.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"})) == ["paid"]


def test_open_sessions_are_capped_at_1024() -> None:
    with RuleEngine({"rs": {"paid": PAID}}) as engine:
        sessions = [engine.session("rs", f"k{n}") for n in range(MAX_SESSIONS)]
        for s in sessions:
            s.assert_fact({"id": "i1", "t": "invoice"})
        with pytest.raises(SessionLimitError, match="1024"):
            engine.session("rs", "one too many")
        sessions[0].close()
        s = engine.session("rs", "one too many")
        s.assert_fact({"id": "i1", "t": "invoice"})
        assert names(s.assert_fact({"id": "p1", "t": "payment", "invoice": "i1"})) == ["paid"]


def test_joins_on_id_survive_the_json_text_being_freed() -> None:
    # durable keeps pointers into the JSON text it is given for "id" and "sid"; once Python frees
    # that text, joins on "id" read freed memory (missed firings or a crash).
    with RuleEngine({"rs": {"paid": PAID}}) as engine:
        for n in range(2000):
            with engine.session("rs", f"c{n}") as s:
                s.assert_fact({"id": f"inv-{n}", "t": "invoice", "pad": "x" * (n % 97)})
                churn = [json.dumps({"k": "y" * k}) for k in range(60)]
                del churn
                assert names(s.assert_fact({"id": f"pay-{n}", "t": "payment", "invoice": f"inv-{n}"})) == ["paid"], n


def test_closing_sessions_that_never_fired() -> None:
    # delete_state frees pointers that durable initialises only when an action runs
    with RuleEngine({"rs": {"paid": PAID, "unpaid": UNPAID}}) as engine:
        for n in range(3000):
            s = engine.session("rs", f"c{n}")
            s.assert_fact({"id": "x", "t": "nothing", "pad": "z" * (n % 300)})
            churn = [bytes(n % 700) for _ in range(20)]
            del churn
            s.close()
        for n in range(50):
            engine.session("rs", f"untouched{n}").close()


def test_a_message_durable_rejects_breaks_only_its_session() -> None:
    with RuleEngine({"rs": {"r": {"all": [{"m": {"t": "a"}}]}}}) as engine:
        s = engine.session("rs", "k")
        s.assert_fact({"t": "b"})
        with pytest.raises(InferenceError, match="too many properties in one message"):
            s.assert_fact({"t": "a", "nested": {f"f{i}": i for i in range(300)}})  # nested ones count
        with pytest.raises(InferenceError, match="unusable"):
            s.assert_fact({"t": "a"})
        s.close()
        first = engine.session("rs", "first message fails")
        with pytest.raises(InferenceError):
            first.post({f"f{i}": i for i in range(300)})
        first.close()
        with engine.session("rs", "k") as s:
            assert names(s.assert_fact({"t": "a"})) == ["r"]


def test_durable_never_sees_an_event(open_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # a firing that uses up two durable events makes deleteMessageFromFrame run past the frame into
    # the next pending one; events are facts to durable and are used up by the adapter
    def refuse(*args: Any) -> None:
        raise AssertionError("assert_event called")

    monkeypatch.setattr(inference._dre, "assert_event", refuse)
    s = open_session({"pair": {"all": [{"a": {"t": "a"}}, {"b": {"t": "b"}}]}})
    s.post({"t": "a"})
    assert names(s.post({"t": "b"})) == ["pair"]


VALGRIND_SCENARIO = """
    import json
    from kiyaku.replay.inference import RuleEngine
    invoice = {"invoice": {"t": "invoice"}}
    rules = {
        "paid": {"all": [invoice, {"p": {"$and": [{"t": "payment"}, {"invoice": {"invoice": "id"}}]}}]},
        "unpaid": {"all": [invoice, {"p$not": {"$and": [{"t": "payment"}, {"invoice": {"invoice": "id"}}]}}]},
        "late": {"all": [{"d": {"t": "deadline"}}, {"p": {"$and": [{"t": "payment"}, {"$gt": {"time": {"d": "time"}}}]}}]},
        "early": {"all": [{"d": {"t": "deadline"}}, {"p": {"$and": [
            {"$lt": {"time": {"$sub": {"$l": {"d": "time"}, "$r": 1}}}}, {"t": "payment"}]}}]},
        "ping": {"all": [{"m": {"t": "ping"}}]},
    }
    fired = 0
    with RuleEngine({"rs": rules}) as engine:
        for n in range(40):
            with engine.session("rs", f"c{n}") as s:
                for i in range(3):
                    fired += len(s.assert_fact({"id": f"i{i}", "t": "invoice"}))
                fired += len(s.assert_fact({"id": "d", "t": "deadline", "time": 10}))
                churn = [json.dumps({"x": "y" * k}) for k in range(50)]
                for i, time in enumerate((5, 10, 15)):
                    fired += len(s.assert_fact({"id": f"p{i}", "t": "payment", "invoice": f"i{i}", "time": time}))
                fired += len(s.retract_fact({"id": "p1"}))
                fired += len(s.post({"t": "ping"}))
    print("fired", fired)
"""


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_durable_reads_no_memory_it_should_not(tmp_path: Path) -> None:
    script = tmp_path / "scenario.py"
    script.write_text(textwrap.dedent(VALGRIND_SCENARIO))
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONPATH=str(root))
    run = subprocess.run(["valgrind", "--num-callers=6", sys.executable, str(script)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert "fired 400" in run.stdout, run.stdout + run.stderr[-2000:]
    reports = re.split(r"\n==\d+== \n", run.stderr)  # one block per valgrind report
    in_durable = [r for r in reports if re.search(r"^==\d+== [A-Z]", r, re.M) and "durable_rules_engine" in r]
    assert in_durable == [], in_durable[0]


def test_exception_stored_in_durable_state_is_raised() -> None:
    with RuleEngine({"rs": {"a": {"all": [{"m": {"t": "a"}}]}}}) as engine:
        s = engine.session("rs", "k")
        s.assert_fact({"t": "b"})
        handle = engine._rulesets["rs"].full.handles[0]
        inference._dre.update_state(handle, json.dumps({"sid": s._sid, "id": f"sid-{s._sid}", "$s": 1, "exception": "boom"}))
        with pytest.raises(InferenceError, match="exception.*boom"):
            s.assert_fact({"t": "a"})


def test_closed_sessions_and_engines_refuse_work() -> None:
    engine = RuleEngine({"rs": {"paid": PAID}})
    s = engine.session("rs", "k")
    s.assert_fact({"id": "i1", "t": "invoice"})
    s.close()
    s.close()
    with pytest.raises(InferenceError, match="closed"):
        s.assert_fact({"id": "i2", "t": "invoice"})
    live = engine.session("rs", "k2")
    live.assert_fact({"id": "i1", "t": "invoice"})
    engine.close()
    with pytest.raises(InferenceError, match="closed"):
        live.post({"t": "x"})
    with pytest.raises(KeyError):
        engine.session("rs", "k3")


# --- input checks -----------------------------------------------------------------------------

def test_caller_data_is_not_mutated(open_session: Any) -> None:
    rules = {"paid": dict(PAID, run="ignored"), "unpaid": UNPAID}
    before = copy.deepcopy(rules)
    s = open_session(rules)
    fact = {"t": "invoice", "lines": [{"sku": "a"}]}
    matched = s.assert_fact(fact)[0].matched["invoice"]
    assert rules == before and fact == {"t": "invoice", "lines": [{"sku": "a"}]}
    assert matched == fact and matched is not fact


@pytest.mark.parametrize("rule, message", [
    ({"all": [{"m": {"t": "a"}}], "count": 2}, "not supported"),
    ({"all": [{"m": {"t": "a"}}], "any": []}, "exactly one"),
    ({"all": [{"m": {"t": "a"}}], "pri": -1}, "pri"),
    ({"all": [{"m": {"$mt": {"t": "INV%-%d+"}}}]}, r"error code: 501 \(invalid \$mt pattern\)"),
])
def test_bad_rules_are_rejected(rule: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, InferenceError), match=message):
        RuleEngine({"rs": {"r": rule}})


@pytest.mark.parametrize("name", ["", '"quoted"', "~internal", "back\\slash"])
def test_bad_rule_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        RuleEngine({"rs": {name: {"all": [{"m": {"t": "a"}}]}}})


def test_bad_messages_are_rejected(open_session: Any) -> None:
    s = open_session({"r": {"all": [{"m": {"t": "a"}}]}})
    with pytest.raises(ValueError, match="'sid' is reserved"):
        s.assert_fact({"t": "a", "sid": "other-contract"})
    with pytest.raises(ValueError, match="reserved"):
        s.post({"$s": 1})
    with pytest.raises(TypeError, match="'id'"):
        s.assert_fact({"t": "a", "id": 1.5})
    with pytest.raises(TypeError, match="JSON"):
        s.assert_fact({"t": "a", "when": object()})
    with pytest.raises(TypeError, match="mapping"):
        s.post([("t", "a")])  # type: ignore[arg-type]
    with pytest.raises(UnknownFactError):
        s.retract_fact({"id": "never-asserted"})
    s.post({"id": "e1", "t": "zzz"})
    with pytest.raises(UnknownFactError):
        s.retract_fact({"id": "e1"})  # an event is not a fact
    assert names(s.assert_fact({"t": "a"})) == ["r"]  # still usable
