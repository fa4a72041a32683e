"""The liability cap for an outage the provider is responsible for.

smacom 第28条第1項・第2項; ts-cloudphone and abphone 第33条第1項–第3項. Whether the cap applies at
all (smacom 第28条第3項: intent or gross negligence; 第33条第1項 ただし書 and 第4項: the service
line, force majeure) is for the ruling to decide; this module only does the sum.
"""

from __future__ import annotations

from datetime import datetime

from kiyaku.replay.money.arithmetic import Computation
from kiyaku.replay.money.outage import fee_for_outage_days
from kiyaku.replay.money.params import Params


def liability_cap(params: Params, learned_at: datetime, ended_at: datetime,
                  monthly_fee: int | Computation) -> Computation:
    """The most the provider compensates: the fee for the outage's counted days.

    Counted from `learned_at`, when the provider learned the service was wholly unusable, to
    `ended_at`; nothing below liability.outage_threshold_hours (24, 8, 12 hours); days by
    liability.day_count; each day at the monthly fee ÷ the days of the month its 24-hour period
    starts in; tax-exclusive, no tax (spec decisions 1–4), rounded once by `rounding`.
    `monthly_fee` is smacom's 月額基本利用料 or, for the others, the sum of the service's charges
    in its tariff (「料金表（料金）に規定する料金の合計額」), exclusive of tax.
    """
    return fee_for_outage_days(params, learned_at, ended_at, monthly_fee, "liability")
