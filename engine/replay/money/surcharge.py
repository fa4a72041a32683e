"""割増金: the surcharge on unlawfully evaded charges.

smacom 第25条, ts-cloudphone 第29条, abphone 第29条: besides the evaded sum, the multiple
(surcharge.multiplier: 2, 2, 5) of the evaded sum without consumption tax
(「消費税相当額を加算しない額とします」), with consumption tax added to that multiple.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

from kiyaku.replay.money.arithmetic import (Computation, Step, exact, finish, fraction, round_yen, show,
                                     yen)
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Params
from kiyaku.replay.money.tax import TaxRates, tax_rate, with_tax


def surcharge(params: Params, evaded: int, arose_on: date, tax_rates: TaxRates) -> Computation:
    """The 割増金 alone: multiplier × `evaded` (tax-exclusive yen), plus tax, rounded once.

    Tax is at the rate in force on `arose_on`, the day the evaded charge arose. A closing step
    shows the evaded sum itself, owed besides and not part of `amount`: `evaded` plus tax at the
    same rate, rounded by the same rule.
    """
    where = "money.surcharge"
    evaded = yen(evaded, "evaded", where, positive=True)
    arose_on = day(arose_on, "arose_on", where)
    multiplier = params.get("surcharge.multiplier")
    cites = multiplier.cites
    base = evaded * fraction(multiplier.value)
    steps = [Step("evaded sum, exclusive of consumption tax (given)", "given", exact(evaded), cites,
                  "免れた額（消費税相当額を加算しない額、記録された額）"),
             Step("surcharge before tax", f"{show(multiplier.value)} × {show(evaded)}", exact(base),
                  cites, "消費税相当額を加算する前の割増金")]
    rate = tax_rate(tax_rates, arose_on, where)
    total, tax_steps = with_tax(base, rate, arose_on, cites, "the surcharge")
    result = finish(total, steps + tax_steps, params)
    return Computation(result.amount, result.steps + _owed_besides(params, evaded, rate, cites))


def _owed_besides(params: Params, evaded: int, rate: Fraction,
                  cites: tuple[str, ...]) -> tuple[Step, ...]:
    """The evaded sum with tax at the same rate: a separate amount, so rounded on its own."""
    owed = evaded * (100 + rate) / 100
    label = "evaded sum owed besides the surcharge, with consumption tax (not in the amount)"
    label_ja = "割増金のほかに支払う免れた額（消費税相当額を加算、金額には含みません）"
    first = Step(label, f"{show(evaded)} × {show(100 + rate)}%", exact(owed), cites, label_ja)
    _, rounding = round_yen(owed, params)
    return (first,) + tuple(replace(r, label=f"{label}, {r.label}", label_ja=f"{label_ja}、{r.label_ja}")
                            for r in rounding)
