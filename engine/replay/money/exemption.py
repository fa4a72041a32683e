"""Fees not payable for an outage, and their refund.

smacom 第22条第2項第2号の表 and 第3項; ts-cloudphone 第27条第2項第3号の表 and 第3項; abphone
第27条第2項C)の表 and 第3項. Row 1 (an outage not of the customer's making) exempts the fee for
counted 24-hour periods; row 2 (the provider's intent or gross negligence) exempts the fee for the
unusable time itself. Which row applies is for the ruling to decide; ts-cloudphone and abphone
say row 1 does not apply where row 2 does (「2欄に該当する場合を除きます」).
"""

from __future__ import annotations

from datetime import datetime

from kiyaku.replay.money.arithmetic import (DECISION_DAY_FEE, DECISION_HOURS_FROM, DECISION_NO_TAX,
                                     Computation, Step, exact, fee_input, finish, show, sum_steps,
                                     yen)
from kiyaku.replay.money.clock import hours, span_text
from kiyaku.replay.money.fees import day_fee
from kiyaku.replay.money.outage import fee_for_outage_days, month_pieces, outage_span
from kiyaku.replay.money.params import Params


def outage_exemption(params: Params, learned_at: datetime, ended_at: datetime,
                     monthly_fee: int | Computation) -> Computation:
    """Table row 1: the fee for the counted 24-hour periods is not payable.

    Threshold fee_exemption.outage_threshold_hours, day count fee_exemption.day_count; each
    period at the day fee of the month it starts in (smacom 料金表 通則5). `monthly_fee` is the
    tax-exclusive fee of the service or function that could not be used.
    """
    return _tax_exclusive(params, fee_for_outage_days(params, learned_at, ended_at, monthly_fee, "fee_exemption"))


def negligence_exemption(params: Params, learned_at: datetime, ended_at: datetime,
                         monthly_fee: int | Computation) -> Computation:
    """Table row 2: the fee for the unusable time itself, from when the provider learned of it.

    No threshold and no 24-hour periods: 「その時間に対応する…料金」. The time is taken exactly
    (minutes count), and each part of it is charged at the monthly fee ÷ (the days of the calendar
    month it falls in × 24), the daily rate of smacom 料金表 通則5 spread over the hours.
    """
    where = "money.negligence_exemption"
    fee, steps = fee_input(monthly_fee, "monthly_fee", where)
    row = _row_two(params)
    _, span_step = outage_span(params, learned_at, ended_at, row, where)
    steps.append(span_step)
    parts = []
    for year, month, span in month_pieces(learned_at, ended_at):
        fee_a_day, day_step = day_fee(params, fee, year, month)
        part = fee_a_day / 24 * hours(span)
        steps.append(day_step)
        parts.append(Step(f"fee for {span_text(span)} unusable in {year:04d}-{month:02d}",
                          f"{show(fee_a_day)} ÷ 24 × {show(hours(span))}", exact(part),
                          (row,) + day_step.cites,
                          f"{year:04d}-{month:02d} に利用できなかった {span_text(span)} に対応する料金"))
        steps.append(parts[-1])
    total, total_step = sum_steps(parts, "fee for the unusable time, exclusive of tax", (row,),
                                  "利用できなかった時間に対応する料金（税抜）")
    return _tax_exclusive(params, finish(total, steps + [total_step], params,
                                         (DECISION_HOURS_FROM, DECISION_DAY_FEE, DECISION_NO_TAX)))


def _tax_exclusive(params: Params, exemption: Computation) -> Computation:
    """The reading of decision 4 made visible: the amounts payable carry consumption tax (smacom
    料金表 通則14, ts-cloudphone 通則8, abphone 通則7), but the fee not payable is taken without it."""
    if exemption.amount == 0:
        return exemption
    payable = params.get("tax.added_on_payment")
    first, rest = exemption.steps[:1], exemption.steps[1:]
    return Computation(exemption.amount, first + (Step(
        "consumption tax: none on the exempted fee (decision 4), though the amounts payable carry it",
        "not added", "0", payable.cites, "消費税相当額: 支払いを要しない料金には加算しません（決定4）"),) + rest,
        exemption.decisions)


def exemption_refund(params: Params, exemption: Computation, paid: int) -> Computation:
    """What is refunded when an exempted fee was already paid (第22条第3項 / 第27条第3項).

    `paid` is how much of the exempted fee (tax-exclusive) the customer had already paid; the
    refund is the exempted amount, or that part of it only. No rounding: both are whole yen.
    """
    paid = yen(paid, "paid", "money.exemption_refund")
    refund_clause = _article(params) + ".3"
    refund = min(exemption.amount, paid)
    return Computation(refund, exemption.steps + (
        Step("exempted fee already paid (given, exclusive of tax)", "given", exact(paid),
             label_ja="既に支払われた、支払いを要しない料金（税抜、記録された額）"),
        Step("refund: the exempted fee, as far as it was paid", f"min({show(exemption.amount)}, "
             f"{show(paid)})", exact(refund), (refund_clause,), "返還額: 支払いを要しない料金のうち支払われた額"),
    ), exemption.decisions)


def _row_one(params: Params) -> str:
    return params.get("fee_exemption.day_count").cites[0]


def _row_two(params: Params) -> str:
    # Row 2 has no parameter of its own; it is row 1's sibling in every agreement's table
    # (smacom:22.2.2.2, ts-cloudphone:27.2.3.2, abphone:27.2.C.2).
    return _row_one(params).rsplit(".", 1)[0] + ".2"


def _article(params: Params) -> str:
    agreement, path = _row_one(params).split(":", 1)
    return f"{agreement}:{path.split('.', 1)[0]}"

