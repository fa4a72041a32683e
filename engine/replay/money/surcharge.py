"""割増金: the surcharge on unlawfully evaded charges.

smacom 第25条, ts-cloudphone 第29条, abphone 第29条: besides the evaded sum, the multiple
(surcharge.multiplier: 2, 2, 5) of the evaded sum without consumption tax
(「消費税相当額を加算しない額とします」), with consumption tax added to that multiple. One evasion
is one 割増金, even when the charges it evaded arose on several dates: tax at each charge's own
date, one rounding at the end (spec: round once per computed amount).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.arithmetic import Computation, Step, exact, finish, fraction, round_yen, show, yen
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Params
from kiyaku.replay.money.tax import TaxRates, tax_rate, with_tax

Charge = tuple[int, date]  # the evaded sum without tax, and the day it arose


def surcharge(params: Params, evaded: int, arose_on: date, tax_rates: TaxRates) -> Computation:
    """The 割増金 alone for one evaded charge: multiplier × `evaded` (tax-exclusive yen), plus tax,
    rounded once. Tax is at the rate in force on `arose_on`, the day the evaded charge arose."""
    return surcharge_of_charges(params, [(evaded, arose_on)], tax_rates)


def surcharge_of_charges(params: Params, charges: list[Charge], tax_rates: TaxRates) -> Computation:
    """The 割増金 of one evasion of several charges: for each, multiplier × its sum plus tax at the
    rate of its own day; the total rounded once. Closing steps show the evaded sum itself, owed
    besides and not part of `amount`: each sum plus tax at the same rate, rounded once."""
    where = "money.surcharge"
    if not charges:
        raise InputError(Finding(where, None, "no evaded charge given", "give at least one charge"))
    multiplier = params.get("surcharge.multiplier")
    cites = multiplier.cites
    one = len(charges) == 1
    steps: list[Step] = []
    totals, owed = [], []
    for n, (evaded, arose_on) in enumerate(charges, 1):
        evaded = yen(evaded, "evaded", where, positive=True)
        arose_on = day(arose_on, "arose_on", where)
        en, ja = ("", "") if one else (f"charge {n} ({arose_on}): ", f"第{n}の料金（{arose_on}）: ")
        base = evaded * fraction(multiplier.value)
        steps += [Step(f"{en}evaded sum, exclusive of consumption tax (given)", "given", exact(evaded), cites,
                       f"{ja}免れた額（消費税相当額を加算しない額、記録された額）"),
                  Step(f"{en}surcharge before tax", f"{show(multiplier.value)} × {show(evaded)}", exact(base),
                       cites, f"{ja}消費税相当額を加算する前の割増金")]
        rate = tax_rate(tax_rates, arose_on, where)
        total, tax_steps = with_tax(base, rate, arose_on, cites, "the surcharge" if one else f"the surcharge on charge {n}",
                                    None if one else f"第{n}の料金に係る割増金")
        steps += tax_steps
        totals.append(total)
        owed.append((evaded, rate))
    if not one:
        steps.append(Step("the surcharge of the one evasion, before rounding", " + ".join(show(t) for t in totals),
                          exact(sum(totals, Fraction(0))), cites, "一の不法な免脱に係る割増金の合計（端数処理前）"))
    result = finish(sum(totals, Fraction(0)), steps, params)
    return Computation(result.amount, result.steps + _owed_besides(params, owed, cites))


def _owed_besides(params: Params, owed: list[tuple[int, Fraction]], cites: tuple[str, ...]) -> tuple[Step, ...]:
    """The evaded sum with tax at each charge's rate: a separate amount, so rounded on its own."""
    label = "evaded sum owed besides the surcharge, with consumption tax (not in the amount)"
    label_ja = "割増金のほかに支払う免れた額（消費税相当額を加算、金額には含みません）"
    total = sum((evaded * (100 + rate) / 100 for evaded, rate in owed), Fraction(0))
    expression = " + ".join(f"{show(evaded)} × {show(100 + rate)}%" for evaded, rate in owed)
    first = Step(label, expression, exact(total), cites, label_ja)
    _, rounding = round_yen(total, params)
    return (first,) + tuple(replace(r, label=f"{label}, {r.label}", label_ja=f"{label_ja}、{r.label_ja}")
                            for r in rounding)
