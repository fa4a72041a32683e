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
from kiyaku.replay.money.params import Params

ONE_DAY = timedelta(days=1)
Payment = tuple[date, int]  # the day paid (Asia/Tokyo) and the yen paid
PAID = ("paid on", "支払日")
UNPAID = ("unpaid; counted as if paid on the as-of day", "未払い（基準日に支払われたものとして計算）")


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
        parts.append((day(as_of, "as_of", where), unpaid, UNPAID))
    rate = params.get("late_interest.annual_rate")
    steps = [Step("principal: the debt as billed, consumption tax included (given)", "given",
                  exact(principal), rate.cites, "元本: 請求された債務（消費税込、記録された額）")]
    if len(parts) == 1:
        paid, _, how = parts[0]
        interest = _part(params, principal, due, paid, how, ("", ""), steps)
        return finish(interest, steps, params, (DECISION_INTEREST,))
    each = []
    for n, (paid, amount, how) in enumerate(parts, 1):
        steps.append(Step(f"part {n}: {amount:,} yen, {how[0]} {paid}", "given", exact(amount), rate.cites,
                          f"第{n}の部分: {amount:,}円、{how[1]} {paid}"))
        each.append(_part(params, amount, due, paid, how, (f"part {n}: ", f"第{n}の部分: "), steps))
    total = sum(each, Fraction(0))
    steps.append(Step("interest on all the parts, before rounding", " + ".join(show(x) for x in each),
                      exact(total), rate.cites, "各部分の延滞利息の合計（端数処理前）"))
    return finish(total, steps, params, (DECISION_INTEREST, DECISION_INTEREST_PARTS))


def _parts(principal: int, payments: list[Payment], where: str) -> list[tuple[date, int, tuple[str, str]]]:
    """The payments toward the debt in the order made, each counted up to what was still owed."""
    out, left = [], principal
    for paid, amount in sorted(((day(p, "paid_on", where), yen(a, "payment", where)) for p, a in payments),
                               key=lambda pa: pa[0]):
        part = min(amount, left)
        if part:
            out.append((paid, part, PAID))
            left -= part
    return out


def _part(params: Params, amount: int, due: date, paid: date, how: tuple[str, str], prefix: tuple[str, str],
          steps: list[Step]) -> Fraction:
    """The interest on `amount` paid (or counted as paid) on `paid`; its steps are appended."""
    rate = params.get("late_interest.annual_rate")
    grace = params.get("late_interest.grace_days")
    basis = params.get("late_interest.day_basis")
    en, ja = prefix
    after_due = (paid - due).days
    steps.append(Step(f"{en}{how[0]} {paid}; days from the day after the due date ({due + ONE_DAY}) to that day",
                      f"{paid} − {due}", exact(after_due), rate.cites,
                      f"{ja}{how[1]} {paid}: 支払期日の翌日（{due + ONE_DAY}）からその日までの日数"))
    if after_due <= grace.value:
        if how is UNPAID:  # not paid yet: the grace has not run out, which is all that can be said
            reason = f"still within {grace.value} days counted from the day after the due date (unpaid so far)"
            reason_ja = f"支払期日の翌日から起算して{grace.value}日以内（現時点で未払い）"
        elif after_due <= 0:
            reason, reason_ja = "paid by the due date", "支払期日までに支払い"
        else:
            reason = f"paid within {grace.value} days counted from the day after the due date"
            reason_ja = f"支払期日の翌日から起算して{grace.value}日以内に支払い"
        steps.append(Step(f"{en}no interest: {reason}", f"{after_due} ≤ {grace.value}", "0", grace.cites,
                          f"{ja}延滞利息なし: {reason_ja}"))
        return Fraction(0)
    days = after_due - 1
    interest = amount * fraction(rate.value) / 100 * days / fraction(basis.value)
    steps += [
        Step(f"{en}grace of {grace.value} days passed", f"{after_due} > {grace.value}",
             exact(grace.value), grace.cites, f"{ja}{grace.value}日以内に支払いなし"),
        Step(f"{en}days of interest, {due + ONE_DAY} to {paid - ONE_DAY} (the day before payment)",
             f"{after_due} − 1", exact(days), rate.cites,
             f"{ja}延滞利息の日数: {due + ONE_DAY} から {paid - ONE_DAY}（支払いの日の前日）まで"),
        Step(f"{en}interest", f"{show(amount)} × {rate.value}% × {days} ÷ {basis.value}",
             exact(interest), rate.cites + basis.cites, f"{ja}延滞利息"),
    ]
    return interest
