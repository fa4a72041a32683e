"""Exact yen arithmetic: the record of a sum (Step, Computation), one rounding, input checks.

Spec "Money": integer yen, exact arithmetic, never floats; round once, at the end of each amount,
by the agreement's own rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.params import Params

# Spec product decisions, in the words rulings carry them (rules/*.yaml `decisions`).
DECISION_DAY_COUNT = ("1: each started 24-hour period counts as a day where the text does not "
                      "limit the count to whole periods")
DECISION_HOURS_FROM = "2: outage hours run from when the provider learned of the outage"
DECISION_DAY_FEE = "3: a day's fee is the monthly fee ÷ the days of the month the period starts in"
DECISION_NO_TAX = "4: compensation and fee exemptions are tax-exclusive and carry no consumption tax"
DECISION_INTEREST = "5: late interest is rate × days ÷ 365, nothing at all if paid within the grace"
DECISION_INTEREST_PARTS = ("7: a debt paid in parts bears interest part by part, each to the day before it "
                           "was paid; a part paid within the grace, or by the due date, bears none")


@dataclass(frozen=True)
class Step:
    """One intermediate figure, so that a reviewer can redo the sum by hand.

    `value` is exact: an integer or a fraction as `Fraction` writes it ("3000/29"), so
    `Fraction(step.value)` gives the figure back. `expression` is how it was obtained, for people.
    """

    label: str
    expression: str
    value: str
    cites: tuple[str, ...] = ()
    label_ja: str | None = None  # the label in Japanese, for an answer given in Japanese

    def __post_init__(self) -> None:
        object.__setattr__(self, "cites", tuple(dict.fromkeys(self.cites)))

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "label_ja": self.label_ja, "expression": self.expression,
                "value": self.value, "cites": list(self.cites)}


@dataclass(frozen=True)
class Computation:
    """An amount in integer yen (or a count, for outage days) and the steps that led to it.

    `decisions` names the spec's product decisions the sum relied on, which a ruling must state.
    """

    amount: int
    steps: tuple[Step, ...]
    decisions: tuple[str, ...] = ()

    @property
    def cites(self) -> tuple[str, ...]:
        """Every provision the steps cite, once each, in the order first cited."""
        return tuple(dict.fromkeys(c for s in self.steps for c in s.cites))

    def as_json(self) -> dict[str, Any]:
        return {"amount": self.amount, "steps": [s.as_json() for s in self.steps],
                "decisions": list(self.decisions)}


def exact(x: int | Fraction) -> str:
    """The value field of a step: parseable back into the same Fraction."""
    return str(Fraction(x))


def show(x: int | Fraction | Decimal) -> str:
    """A figure inside an expression: yen with thousands separators, fractions as n/d."""
    if isinstance(x, Decimal):
        return str(x)
    x = Fraction(x)
    return f"{x.numerator:,}" if x.denominator == 1 else str(x)


def fraction(value: int | str | Decimal) -> Fraction:
    """A parameter's number (an integer or a decimal string such as "14.6") as an exact Fraction."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{value!r} is not an exact number")
    return Fraction(Decimal(value)) if isinstance(value, str) else Fraction(value)


def sum_steps(parts: list[Step], label: str, cites: tuple[str, ...] = (),
              label_ja: str | None = None) -> tuple[Fraction, Step]:
    """The total of several steps' values, itself a step."""
    total = sum((Fraction(p.value) for p in parts), Fraction(0))
    expression = " + ".join(show(Fraction(p.value)) for p in parts) or "0"
    return total, Step(label, expression, exact(total), cites, label_ja)


ROUNDING_RULES = {"down": (math.floor, "⌊{}⌋", "rounded down (fractions of a yen cut off)", "1円未満の端数切捨て"),
                  "up": (math.ceil, "⌈{}⌉", "rounded up (fractions of a yen raised to 1 yen)", "1円未満の端数切上げ")}


def round_yen(value: Fraction, params: Params) -> tuple[int, list[Step]]:
    """Round an exact amount once, by the agreement's `rounding` parameter.

    A whole amount needs no rounding and gets no step.
    """
    rule = params.choice("rounding", tuple(ROUNDING_RULES))
    fn, pattern, label, label_ja = ROUNDING_RULES[rule.value]
    result = fn(value)
    if value.denominator == 1:
        return result, []
    return result, [Step(label, pattern.format(show(value)), exact(result), rule.cites, label_ja)]


def finish(value: Fraction, steps: list[Step], params: Params,
           decisions: tuple[str, ...] = ()) -> Computation:
    """Round the exact total once and wrap it up with its steps."""
    amount, rounding = round_yen(value, params)
    return Computation(amount, tuple(steps + rounding), decisions)


def yen(value: Any, name: str, where: str, *, positive: bool = False) -> int:
    """Check that an input amount is whole yen, not negative (or, with `positive`, above 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(Finding(where, None, f"{name} is {value!r}, not a whole number of yen",
                                 "give integer yen, without fractions (exclusive of tax unless "
                                 "the function says otherwise)"))
    if value < 0 or (positive and value == 0):
        bound = "more than 0" if positive else "0 or more"
        raise InputError(Finding(where, None, f"{name} is {value:,} yen; it must be {bound}",
                                 f"give the {_words(name)} as a whole amount of yen, {bound}"))
    return value


def fee_input(fee: int | Computation, name: str, where: str) -> tuple[int, list[Step]]:
    """A fee given as yen or as the Computation that produced it (whose steps are kept)."""
    if fee is None:
        raise InputError(Finding(where, None, f"{name} is missing",
                                 f"give the {_words(name)} in yen, exclusive of tax"))
    if isinstance(fee, Computation):
        return yen(fee.amount, name, where), list(fee.steps)
    amount = yen(fee, name, where)
    return amount, [Step(f"{_words(name)} (given, exclusive of tax)", "given", exact(amount),
                         label_ja=f"{NAMES_JA.get(name, name)}（税抜、記録された額）")]


NAMES_JA = {"monthly_fee": "月額料金"}


def _words(name: str) -> str:
    return name.replace("_", " ")
