"""延滞利息: late interest on a debt unpaid after its due date.

smacom 第26条, ts-cloudphone 第30条, abphone 第30条: the yearly rate (late_interest.annual_rate)
for the days from the day after the due date to the day before payment, and nothing at all if
payment comes within late_interest.grace_days (10) counted from the day after the due date.
rate × days ÷ late_interest.day_basis (365, also in leap years: spec decision 5).
"""

from __future__ import annotations

from datetime import date, timedelta

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.arithmetic import (DECISION_INTEREST, Computation, Step, exact, finish, fraction,
                                     show, yen)
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Params

ONE_DAY = timedelta(days=1)


def late_interest(params: Params, principal: int, due_on: date, *, paid_on: date | None = None,
                  as_of: date | None = None) -> Computation:
    """Late interest on `principal` yen falling due on `due_on`, rounded once.

    The principal is the debt as billed: the clauses charge interest on 「料金その他の債務」, and
    what is billed is the tax-exclusive tariff amount plus consumption tax (smacom 料金表 通則14,
    ts-cloudphone 通則8, abphone 通則7), so it includes tax; late interest itself is not a
    principal (「延滞利息を除きます」) and carries no tax. A debt not yet paid (`paid_on` None) is
    counted as if paid on `as_of`. Date-times are read as their day in Asia/Tokyo.
    """
    where = "money.late_interest"
    principal = yen(principal, "principal", where, positive=True)
    due = day(due_on, "due_on", where)
    if paid_on is None and as_of is None:
        raise InputError(Finding(where, None, "neither paid_on nor as_of is given",
                                 "give the day of payment, or the as-of day for a debt still unpaid"))
    paying, name = (paid_on, "paid_on") if paid_on is not None else (as_of, "as_of")
    paid = day(paying, name, where)
    how = "paid on" if paid_on is not None else "unpaid; counted as if paid on the as-of day"
    how_ja = "支払日" if paid_on is not None else "未払い（基準日に支払われたものとして計算）"
    rate = params.get("late_interest.annual_rate")
    grace = params.get("late_interest.grace_days")
    basis = params.get("late_interest.day_basis")
    steps = [Step("principal: the debt as billed, consumption tax included (given)", "given",
                  exact(principal), rate.cites, "元本: 請求された債務（消費税込、記録された額）"),
             Step(f"{how} {paid}; days from the day after the due date ({due + ONE_DAY}) to that day",
                  f"{paid} − {due}", exact((paid - due).days), rate.cites,
                  f"{how_ja} {paid}: 支払期日の翌日（{due + ONE_DAY}）からその日までの日数")]
    decisions = (DECISION_INTEREST,)
    after_due = (paid - due).days
    if after_due <= grace.value:
        if paid_on is None:  # not paid yet: the grace has not run out, which is all that can be said
            reason = f"still within {grace.value} days counted from the day after the due date (unpaid so far)"
            reason_ja = f"支払期日の翌日から起算して{grace.value}日以内（現時点で未払い）"
        elif after_due <= 0:
            reason, reason_ja = "paid by the due date", "支払期日までに支払い"
        else:
            reason = f"paid within {grace.value} days counted from the day after the due date"
            reason_ja = f"支払期日の翌日から起算して{grace.value}日以内に支払い"
        steps.append(Step(f"no interest: {reason}", f"{after_due} ≤ {grace.value}", "0",
                          grace.cites, f"延滞利息なし: {reason_ja}"))
        return Computation(0, tuple(steps), decisions)
    days = after_due - 1
    interest = principal * fraction(rate.value) / 100 * days / fraction(basis.value)
    steps += [
        Step(f"grace of {grace.value} days passed", f"{after_due} > {grace.value}",
             exact(grace.value), grace.cites, f"{grace.value}日以内に支払いなし"),
        Step(f"days of interest, {due + ONE_DAY} to {paid - ONE_DAY} (the day before payment)",
             f"{after_due} − 1", exact(days), rate.cites,
             f"延滞利息の日数: {due + ONE_DAY} から {paid - ONE_DAY}（支払いの日の前日）まで"),
        Step("interest", f"{show(principal)} × {rate.value}% × {days} ÷ {basis.value}",
             exact(interest), rate.cites + basis.cites, "延滞利息"),
    ]
    return finish(interest, steps, params, decisions)

