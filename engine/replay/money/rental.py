"""What a customer pays for a lost rental item (ts-cloudphone 第27条第4項).

A share of the list price by the whole years the service was used up to the loss
(rental_loss.depreciation), plus consumption tax when rental_loss.tax_added says so.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any, Mapping, Sequence

from kiyaku.errors import DefinitionError, Finding, InputError
from kiyaku.replay.money.arithmetic import Computation, Step, exact, finish, show, yen
from kiyaku.replay.money.clock import day
from kiyaku.replay.money.params import Params
from kiyaku.replay.money.tax import TaxRates, tax_rate, with_tax


def whole_years(since: date, until: date) -> int:
    """Anniversaries of `since` reached by `until`; a 29 February's falls on 1 March in other years."""
    return until.year - since.year - ((until.month, until.day) < (since.month, since.day))


def rental_loss(params: Params, list_price: int, used_from: date, lost_on: date,
                tax_rates: TaxRates) -> Computation:
    """The amount owed for a lost rental item, rounded once.

    `list_price` is the current list price exclusive of tax (「時価（過去ではなく、現在設定されている
    価格）を定価とします」); `used_from` the day the service began (the text does not say from when
    the length of use runs; the start of service is our reading); `lost_on` the day of the loss,
    which is also the day whose consumption-tax rate applies.
    """
    where = "money.rental_loss"
    list_price = yen(list_price, "list_price", where)
    since, until = day(used_from, "used_from", where), day(lost_on, "lost_on", where)
    if until < since:
        raise InputError(Finding(where, None, f"lost_on {until} is before used_from {since}",
                                 "check the two days: the loss cannot come before the service"))
    table = params.get("rental_loss.depreciation")
    years = whole_years(since, until)
    percent = _band(table.value, years, table.file, table.line)
    owed = Fraction(list_price) * Fraction(percent) / 100
    steps = [Step("list price, exclusive of tax (given)", "given", exact(list_price), table.cites,
                  "定価（税抜、記録された額）"),
             Step(f"whole years of use, {since} to {until}", f"{until.year} − {since.year}"
                  + (" − 1" if years != until.year - since.year else ""), exact(years), table.cites,
                  f"利用期間の年数（{since} から {until} まで）"),
             Step(f"share of the list price for {years} whole year(s) of use: {percent}%",
                  f"{show(list_price)} × {percent}%", exact(owed), table.cites,
                  f"利用期間{years}年の場合の定価に対する割合: {percent}%")]
    added = params.get("rental_loss.tax_added")
    if added.value is True:
        rate = tax_rate(tax_rates, until, where)
        owed, tax_steps = with_tax(owed, rate, until, added.cites, "the amount owed")
        steps += tax_steps
    return finish(owed, steps, params)


def _band(rows: Sequence[Mapping[str, Any]], years: int, file: str, line: int | None) -> int:
    for row in rows:
        if row["min_years"] <= years and (row["max_years"] is None or years < row["max_years"]):
            return row["percent_of_list_price"]
    raise DefinitionError(Finding(file, line, f"rental_loss.depreciation has no row for {years} "
                                  "whole years of use", "the bands must cover every year from 0"))
