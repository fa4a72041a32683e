"""延滞利息: late interest on a debt unpaid after its due date.

smacom 第26条, ts-cloudphone 第30条, abphone 第30条: the yearly rate (late_interest.annual_rate)
for the days from the day after the due date to the day before payment, and nothing at all if
payment comes within late_interest.grace_days (10) counted from the day after the due date.
rate × days ÷ late_interest.day_basis (365, also in leap years: spec decision 5).
A debt paid in parts (spec decision 7): each part bears interest on its own days, the grace is
applied to each part, a part paid on or before the due date bears none; one rounding at the end.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.arithmetic import (DECISION_INTEREST, DECISION_INTEREST_PARTS, Computation, Step,
                                            exact, finish, fraction, show, yen)
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Cited, Params

ONE_DAY = timedelta(days=1)
Payment = tuple[date, int]  # the day paid (Asia/Tokyo) and the yen paid


def late_interest(params: Params, principal: int, due_on: date, *, paid_on: date | None = None,
                  as_of: date | None = None, payments: list[Payment] | None = None) -> Computation:
    """Late interest on `principal` yen falling due on `due_on`, rounded once.

    The principal is the debt as billed: the clauses charge interest on 「料金その他の債務」, and
    what is billed is the tax-exclusive tariff amount plus consumption tax (smacom 料金表 通則14,
    ts-cloudphone 通則8, abphone 通則7), so it includes tax; late interest itself is not a
    principal (「延滞利息を除きます」) and carries no tax. `payments` lists what was paid toward the
    debt and when; without it, `paid_on` is the day the whole debt was paid. Whatever is not paid is
    counted as if paid on `as_of`. Date-times are read as their day in Asia/Tokyo.
    """
    where = "money.late_interest"
    principal = yen(principal, "principal", where, positive=True)
    due = day(due_on, "due_on", where)
    if payments is None:
        if paid_on is None and as_of is None:
            raise InputError(Finding(where, None, "neither paid_on nor as_of is given",
                                     "give the day of payment, or the as-of day for a debt still unpaid"))
        payments = [(paid_on, principal)] if paid_on is not None else []
    parts = _parts(principal, payments, where)
    unpaid = principal - sum(amount for _, amount, _ in parts)
    if unpaid:
        if as_of is None:
            raise InputError(Finding(where, None, f"{unpaid:,} yen of the debt is not paid and no as_of is given",
                                     "give the as-of day, to which an unpaid debt is counted"))
        parts.append((day(as_of, "as_of", where), unpaid, "unpaid; counted as if paid on the as-of day"))
    rate = params.get("late_interest.annual_rate")
    steps = [Step("principal: the debt as billed, consumption tax included (given)", "given",
                  exact(principal), rate.cites)]
    if len(parts) == 1:
        paid, _, how = parts[0]
        interest = _part(params, principal, due, paid, how, "", steps)
        return finish(interest, steps, params, (DECISION_INTEREST,))
    each = []
    for n, (paid, amount, how) in enumerate(parts, 1):
        steps.append(Step(f"part {n}: {amount:,} yen, {how} {paid}", "given", exact(amount), rate.cites))
        each.append(_part(params, amount, due, paid, how, f"part {n}: ", steps))
    total = sum(each, Fraction(0))
    steps.append(Step("interest on all the parts, before rounding", " + ".join(show(x) for x in each),
                      exact(total), rate.cites))
    return finish(total, steps, params, (DECISION_INTEREST, DECISION_INTEREST_PARTS))


def _parts(principal: int, payments: list[Payment], where: str) -> list[tuple[date, int, str]]:
    """The payments toward the debt in the order made, each counted up to what was still owed."""
    out, left = [], principal
    for paid, amount in sorted(((day(p, "paid_on", where), yen(a, "payment", where)) for p, a in payments),
                               key=lambda pa: pa[0]):
        part = min(amount, left)
        if part:
            out.append((paid, part, "paid on"))
            left -= part
    return out


def _part(params: Params, amount: int, due: date, paid: date, how: str, prefix: str,
          steps: list[Step]) -> Fraction:
    """The interest on `amount` paid (or counted as paid) on `paid`; its steps are appended."""
    rate = params.get("late_interest.annual_rate")
    grace: Cited = params.get("late_interest.grace_days")
    basis = params.get("late_interest.day_basis")
    after_due = (paid - due).days
    steps.append(Step(f"{prefix}{how} {paid}; days from the day after the due date ({due + ONE_DAY}) to that day",
                      f"{paid} − {due}", exact(after_due), rate.cites))
    if after_due <= grace.value:
        reason = "paid by the due date" if after_due <= 0 else \
            f"paid within {grace.value} days counted from the day after the due date"
        steps.append(Step(f"{prefix}no interest: {reason}", f"{after_due} ≤ {grace.value}", "0", grace.cites))
        return Fraction(0)
    days = after_due - 1
    interest = amount * fraction(rate.value) / 100 * days / fraction(basis.value)
    steps += [
        Step(f"{prefix}grace of {grace.value} days passed", f"{after_due} > {grace.value}",
             exact(grace.value), grace.cites),
        Step(f"{prefix}days of interest, {due + ONE_DAY} to {paid - ONE_DAY} (the day before payment)",
             f"{after_due} − 1", exact(days), rate.cites),
        Step(f"{prefix}interest", f"{show(amount)} × {rate.value}% × {days} ÷ {basis.value}",
             exact(interest), rate.cites + basis.cites),
    ]
    return interest
