"""Outages: their hours, the 24-hour periods that count as days, and the fee for those days.

The liability cap (liability.py) and the fee exemption (exemption.py) share this arithmetic; they
differ only in which parameters (`liability.*` or `fee_exemption.*`) set the threshold and the
day count.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Literal

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.arithmetic import (DECISION_DAY_COUNT, DECISION_DAY_FEE, DECISION_HOURS_FROM,
                                     DECISION_NO_TAX, Computation, Step, exact, fee_input, finish,
                                     show, sum_steps)
from kiyaku.replay.money.clock import (HOUR, TOKYO, elapsed, hours, instant, span_text, tokyo,
                                when_text)
from kiyaku.replay.money.fees import day_fee
from kiyaku.replay.money.params import Params

PERIOD = timedelta(hours=24)
Basis = Literal["liability", "fee_exemption"]
BASES = ("liability", "fee_exemption")
# The parameters each basis reads, named in full so that `kiyaku check` sees them used.
THRESHOLD = {"liability": "liability.outage_threshold_hours",
             "fee_exemption": "fee_exemption.outage_threshold_hours"}
DAY_COUNT = {"liability": "liability.day_count", "fee_exemption": "fee_exemption.day_count"}
DAY_COUNTS = ("whole_periods", "started_periods")


def outage_span(params: Params, learned_at: datetime, ended_at: datetime, clause: str,
                where: str) -> tuple[timedelta, Step]:
    """The outage's length from when the provider learned of it (parameter outage.hours_from).

    `clause` is the provision being applied, which says so in its own words (「当社が知った時刻から
    起算して」); the step cites it before the parameter's reference.
    """
    span = elapsed(instant(learned_at, "learned_at", where), instant(ended_at, "ended_at", where))
    if span < timedelta(0):
        raise InputError(Finding(where, None, f"the outage ends ({when_text(ended_at)}) before the "
                                 f"provider learned of it ({when_text(learned_at)})",
                                 "check the two times: the end must not come before the start"))
    start = params.choice("outage.hours_from", ("provider_learned",))
    step = Step("outage hours, counted from when the provider learned of it",
                f"{when_text(learned_at)} to {when_text(ended_at)} (Asia/Tokyo): {span_text(span)}",
                exact(hours(span)), (clause,) + start.cites, "当社が知った時刻から起算した、全く利用できない状態の時間")
    return span, step


def outage_days(params: Params, learned_at: datetime, ended_at: datetime,
                basis: Basis = "liability") -> Computation:
    """How many days an outage counts for; `amount` is a number of days, not yen.

    Below the threshold (`<basis>.outage_threshold_hours`, 「…時間以上その状態が連続したときに限り」)
    it counts for 0. Above it, `<basis>.day_count` turns the hours into days: whole_periods
    counts only whole 24-hour periods (smacom 第28条第2項, 第22条第2項第2号の表 1欄:
    「24時間の倍数である部分に限ります」), started_periods counts every 24-hour period begun
    (ts-cloudphone and abphone 第33条第2項, 第27条第2項の表 1欄; spec decision 1).
    """
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, not {basis!r}")
    where = f"money.outage_days({basis})"
    threshold = params.get(THRESHOLD[basis])
    span, hours_step = outage_span(params, learned_at, ended_at, threshold.cites[0], where)
    met = span >= threshold.value * HOUR
    verdict, sign, verdict_ja = ("met", "≥", "満たす") if met else ("not met", "<", "満たさない")
    steps = [hours_step,
             Step(f"threshold: {threshold.value} hours or more in a row ({verdict})",
                  f"{show(hours(span))} {sign} {threshold.value}", exact(threshold.value),
                  threshold.cites, f"{threshold.value}時間以上その状態が連続したとき（{verdict_ja}）")]
    decisions = (DECISION_HOURS_FROM,)
    if not met:
        return Computation(0, tuple(steps + [Step("days counted: none below the threshold",
                                                  "0", "0", threshold.cites, "計算する日数: 時間に満たないためなし")]),
                           decisions)
    rule = params.choice(DAY_COUNT[basis], DAY_COUNTS)
    if rule.value == "whole_periods":
        days, text, text_ja = span // PERIOD, "whole 24-hour periods only", "24時間の倍数である部分に限ります"
        expression = f"⌊{show(hours(span))} ÷ 24⌋"
    else:
        days, text, text_ja = -(-span // PERIOD), "each 24-hour period begun counts", "24時間ごとに日数を計算（始まった期間を1日とします）"
        expression = f"⌈{show(hours(span))} ÷ 24⌉"
        decisions += (DECISION_DAY_COUNT,)
    steps.append(Step(f"days counted ({text})", expression, exact(days), rule.cites, f"計算した日数（{text_ja}）"))
    return Computation(days, tuple(steps), decisions)


def period_starts(learned_at: datetime, days: int) -> tuple[datetime, ...]:
    """When each counted 24-hour period starts, in Asia/Tokyo: learned_at, then every 24 hours."""
    start = tokyo(learned_at).astimezone(timezone.utc)
    return tuple((start + k * PERIOD).astimezone(TOKYO) for k in range(days))


def fee_for_outage_days(params: Params, learned_at: datetime, ended_at: datetime,
                        monthly_fee: int | Computation, basis: Basis) -> Computation:
    """The monthly fee's share for the days an outage counts for, tax-exclusive, rounded once.

    Each counted 24-hour period is charged at the day fee of the calendar month it starts in
    (fee.daily_rate_basis; smacom 料金表 通則5, spec decision 3), so an outage across a month end
    uses each period's own month. No consumption tax is added (spec decision 4).
    """
    where = f"money.{'liability_cap' if basis == 'liability' else 'outage_exemption'}"
    fee, steps = fee_input(monthly_fee, "monthly_fee", where)
    days = outage_days(params, learned_at, ended_at, basis)
    steps += days.steps
    decisions = days.decisions + (DECISION_DAY_FEE, DECISION_NO_TAX)
    if days.amount == 0:
        return Computation(0, tuple(steps), decisions)
    starts = period_starts(learned_at, days.amount)
    per_month = Counter((t.year, t.month) for t in starts)
    clause = days.steps[-1].cites  # the day-count rule: 「その日数に対応する…料金」
    parts = []
    for (year, month), count in per_month.items():
        fee_a_day, step = day_fee(params, fee, year, month)
        listed = ", ".join(when_text(t) for t in starts if (t.year, t.month) == (year, month))
        parts.append(Step(f"{count} counted day(s) starting in {year:04d}-{month:02d} ({listed})",
                          f"{show(fee_a_day)} × {count}", exact(fee_a_day * count),
                          clause + step.cites, f"{year:04d}-{month:02d} に始まる{count}日分（{listed}）"))
        steps.append(step)
        steps.append(parts[-1])
    total, total_step = sum_steps(parts, "fee for the counted days, exclusive of tax", clause,
                                  "その日数に対応する料金（税抜）")
    return finish(total, steps + [total_step], params, decisions)


def month_pieces(learned_at: datetime, ended_at: datetime) -> list[tuple[int, int, timedelta]]:
    """The outage cut at calendar-month boundaries (Asia/Tokyo): (year, month, time in that month)."""
    pieces = []
    t, end = tokyo(learned_at), tokyo(ended_at)
    while t < end:
        next_month = datetime(t.year + t.month // 12, t.month % 12 + 1, 1, tzinfo=TOKYO)
        upto = min(next_month, end)
        pieces.append((t.year, t.month, elapsed(t, upto)))
        t = upto
    return pieces
