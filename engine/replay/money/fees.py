"""Monthly fees: smacom's price table, a day's share of a month, and the charge for a part month."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Mapping

from kiyaku.errors import DefinitionError, Finding, InputError
from kiyaku.replay.money.arithmetic import (DECISION_DAY_FEE, Computation, Step, exact, fee_input, finish,
                                     show, sum_steps)
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Params
from kiyaku.replay.money.tax import TaxRates, tax_rate, with_tax

PRICE_KINDS = ("monthly", "initial", "additional_work")
PRICE_KINDS_JA = {"monthly": "月額基本利用料", "initial": "初期費用", "additional_work": "追加工事費用"}
PART_MONTH_RULES = ("whole_months", "days_of_use")
DAILY_RATE_BASES = ("days_in_month_of_period_start",)


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def day_fee(params: Params, monthly_fee: int, year: int, month: int) -> tuple[Fraction, Step]:
    """A day's share of a monthly fee: the fee ÷ the days of that calendar month.

    smacom 料金表 通則5 (「料金月の日数により行います」); the spec's decision 3 applies it to the
    other agreements (parameter fee.daily_rate_basis).
    """
    basis = params.choice("fee.daily_rate_basis", DAILY_RATE_BASES)
    days = days_in_month(year, month)
    fee = Fraction(monthly_fee, days)
    return fee, Step(f"day fee for {year:04d}-{month:02d}", f"{show(monthly_fee)} ÷ {days}",
                     exact(fee), basis.cites, f"{year:04d}-{month:02d} の日額")


def price_table_fee(params: Params, lines: Mapping[str, int], kind: str = "monthly") -> Computation:
    """The sum of price-table lines × quantities, exclusive of tax (smacom 料金表 第1表).

    `lines` maps a code of parameter price_table to a quantity (operators, licences, numbers…);
    every line must be of `kind`: monthly (2-1. 月額基本利用料), initial (2-2. 初期費用) or
    additional_work (2-3. 追加工事費用). For the initial fee per fixed number, the quantity is the
    count beyond 20 numbers, as the table's unit says. ts-cloudphone's and abphone's tariffs are
    not in the corpus: give their stated fee, in yen, to the calculators instead.
    """
    where = "money.price_table_fee"
    if "price_table" not in params:  # the input asks for a table this agreement's corpus does not hold
        raise InputError(Finding(where, None, f"{params.agreement} has no price table in the corpus in force on "
                                 f"{params.on}", "give the fee_set's monthly_fee in yen instead of items"))
    table = {row["code"]: row for row in params.get("price_table").value}
    if kind not in PRICE_KINDS:
        raise InputError(Finding(where, None, f"kind {kind!r} is not a kind of price",
                                 "use one of " + ", ".join(PRICE_KINDS)))
    if not lines:
        raise InputError(Finding(where, None, "no price-table lines given",
                                 "give at least one code with its quantity"))
    steps = [_price_line(table, code, quantity, kind, where) for code, quantity in lines.items()]
    total, step = sum_steps(steps, f"{kind} fee, exclusive of tax",
                            label_ja=f"{PRICE_KINDS_JA.get(kind, kind)}（税抜）")
    return finish(total, [_tax_exclusive_table(params)] + steps + [step], params)


def _tax_exclusive_table(params: Params) -> Step:
    """smacom 料金表 通則1: the table shows amounts without consumption tax (税別額), as the
    calculators take them; a table stated with tax would need them changed."""
    shown = params.get("tax.fees_tax_exclusive")
    if shown.value is not True:
        raise DefinitionError(Finding(shown.file, shown.line, f"tax.fees_tax_exclusive is {shown.value!r}",
                                      "the money calculators read the price table as tax-exclusive (税別額)"))
    return Step("the price table's amounts are exclusive of consumption tax (税別額)", "tax included: none",
                "0", shown.cites, "料金表の料金額は税別額です（消費税相当額を含みません）")


def _price_line(table: Mapping[str, Mapping], code: str, quantity: int, kind: str,
                where: str) -> Step:
    row = table.get(code)
    if row is None:
        codes = ", ".join(c for c, r in table.items() if r["kind"] == kind)
        raise InputError(Finding(where, None, f"no price-table line {code!r}",
                                 f"the {kind} codes are {codes}"))
    if row["kind"] != kind:
        raise InputError(Finding(where, None, f"{code} is a {row['kind']} price, not {kind}",
                                 f"compute {row['kind']} prices separately (kind={row['kind']!r})"))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InputError(Finding(where, None, f"quantity of {code} is {quantity!r}",
                                 f"give a whole number, 0 or more, of {row['unit_ja']}"))
    amount = row["amount"] * quantity
    return Step(f"{row['name_ja']} × {quantity} ({row['unit_ja']})",
                f"{show(row['amount'])} × {quantity}", exact(amount), (row["reference"],),
                f"{row['name_ja']} × {quantity}（{row['unit_ja']}）")


def month_charge(params: Params, monthly_fee: int | Computation, year: int, month: int, *,
                 started_on: date | None = None, ended_on: date | None = None) -> Computation:
    """The monthly fee charged for calendar month `year`-`month`, exclusive of tax.

    `started_on` is the day the service began, `ended_on` the day the contract was terminated
    (解除があった日); None means outside the month. The part-month rule is parameter
    fee.part_month:
    - whole_months (smacom 第22条第1項, 料金表 通則4): no pro-rating; the month the service starts
      in is free unless the contract ends in that same month, and the fee is charged in full up
      to the month holding the day before termination;
    - days_of_use (ts-cloudphone and abphone 第27条第1項, 料金表 通則2): the fee ÷ the days of the
      month × the days from the start to the day before termination (spec decision 3).
    """
    where = "money.month_charge"
    fee, steps = fee_input(monthly_fee, "monthly_fee", where)
    first, last = date(year, month, 1), date(year, month, days_in_month(year, month))
    if started_on and ended_on and ended_on <= started_on:
        raise InputError(Finding(where, None, f"ended_on {ended_on} is not after started_on "
                                 f"{started_on}", "give the day the contract was terminated"))
    rule = params.choice("fee.part_month", PART_MONTH_RULES)
    if rule.value == "whole_months":
        share, step = _whole_months(first, last, started_on, ended_on, rule.cites)
        decisions: tuple[str, ...] = ()
    else:
        basis = params.choice("fee.daily_rate_basis", DAILY_RATE_BASES)
        share, step = _days_of_use(first, last, started_on, ended_on, rule.cites + basis.cites)
        decisions = (DECISION_DAY_FEE,)
    steps.append(step)
    charge = fee * share
    steps.append(Step(f"fee charged for {year:04d}-{month:02d}", f"{show(fee)} × {show(share)}",
                      exact(charge), rule.cites, f"{year:04d}-{month:02d} の料金"))
    return finish(charge, steps, params, decisions)


def _whole_months(first: date, last: date, started_on: date | None, ended_on: date | None,
                  cites: tuple[str, ...]) -> tuple[Fraction, Step]:
    """smacom: a whole month or nothing (通則4(1), (2); 第22条第1項)."""
    month = f"{first:%Y-%m}"
    if (started_on and started_on > last) or (ended_on and ended_on <= first):
        return Fraction(0), Step(f"{month} is outside the contract (last month charged is the one "
                                 "holding the day before termination)", "none", "0", cites,
                                 f"{month} は契約期間外（解除があった日の前日を含む歴月まで）")
    if started_on and started_on >= first:
        if ended_on and ended_on <= last:
            return Fraction(1), Step(f"service started and ended in {month}: one month's fee",
                                     "whole month", "1", cites, f"{month} に提供開始及び解除: 1か月分の料金")
        return Fraction(0), Step(f"service started in {month}: that month is not charged",
                                 "none", "0", cites, f"{month} に提供開始: その月の料金は要しません")
    return Fraction(1), Step(f"{month} charged in full (no pro-rating)", "whole month", "1", cites,
                             f"{month} は1か月分の料金（日割りは行いません）")


def _days_of_use(first: date, last: date, started_on: date | None, ended_on: date | None,
                 cites: tuple[str, ...]) -> tuple[Fraction, Step]:
    """ts-cloudphone and abphone: the days used, from the start to the day before termination."""
    since = max(first, started_on or first)
    until = min(last, ended_on - timedelta(days=1) if ended_on else last)
    used = max(0, (until - since).days + 1)
    days = (last - first).days + 1
    share = Fraction(used, days)
    span = f"{since} to {until}" if used else "none"
    return share, Step(f"share of {first:%Y-%m} used (days of use: {span})", f"{used} ÷ {days}",
                       exact(share), cites, f"{first:%Y-%m} のうち利用した日数の割合（利用日: {span}）")


def table_fee(params: Params, code: str, arose_on: date | datetime, tax_rates: TaxRates) -> Computation:
    """A fee of smacom's 料金表 第2表 (parameter fee_table) charged once, with consumption tax at the
    rate of the day it arose when the terms add tax to what is payable (tax.added_on_payment)."""
    where = "money.table_fee"
    arose_on = day(arose_on, "arose_on", where)
    row = next((r for r in params.get("fee_table").value if r["code"] == code), None)
    if row is None:
        raise InputError(Finding(where, None, f"no fee {code!r} in fee_table", "use a code of parameter fee_table"))
    amount = row["amount"]
    steps = [Step(f"{row['name_ja']} ({row['unit_ja']}), exclusive of tax", "fee_table", exact(amount),
                  (row["reference"],), f"{row['name_ja']}（{row['unit_ja']}、税別）")]
    payable = params.get("tax.added_on_payment")
    if payable.value is not True:
        return finish(Fraction(amount), steps, params)
    total, tax_steps = with_tax(Fraction(amount), tax_rate(tax_rates, arose_on, where), arose_on, payable.cites,
                                "the fee", "手数料")
    return finish(total, steps + tax_steps, params)
