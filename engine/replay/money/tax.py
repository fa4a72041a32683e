"""Consumption tax added to an amount, at the rate in force on the date the charge arose.

The rates are national law (terms/law/consumption-tax.yaml), not an agreement's words; the steps
cite the clause that adds the tax.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from kiyaku.errors import Finding, InputError
from kiyaku.replay.money.arithmetic import Step, exact, show

TAX_SOURCE = "terms/law/consumption-tax.yaml"


class TaxRates(Protocol):
    """Anything that knows the consumption-tax rate (percent) by date, such as kiyaku.terms.Terms."""

    def tax_rate(self, when: date) -> Decimal: ...


def tax_rate(rates: TaxRates, arose_on: date, where: str) -> Fraction:
    """The rate (percent) in force on `arose_on`; InputError for a day before the first rate."""
    try:
        return Fraction(rates.tax_rate(arose_on))
    except ValueError as exc:
        raise InputError(Finding(where, None, str(exc), "check the date the charge arose")) from None


WHAT_JA = {"the surcharge": "割増金", "the amount owed": "支払いを要する額"}


def with_tax(base: Fraction, rate: Fraction, arose_on: date, cites: tuple[str, ...],
             what: str, what_ja: str | None = None) -> tuple[Fraction, list[Step]]:
    """`base` plus consumption tax on it, exact (rounding comes once, on the final amount)."""
    tax = base * rate / 100
    total = base + tax
    what_ja = what_ja or WHAT_JA.get(what, what)
    return total, [
        Step(f"consumption-tax rate in force on {arose_on}, the day the charge arose ({TAX_SOURCE})",
             "national law", exact(rate), cites, f"料金が生じた日（{arose_on}）の消費税率（{TAX_SOURCE}）"),
        Step(f"consumption tax on {what}", f"{show(base)} × {show(rate)}%", exact(tax), cites,
             f"{what_ja}の消費税相当額"),
        Step(f"{what} with consumption tax", f"{show(base)} + {show(tax)}", exact(total), cites,
             f"消費税相当額を加算した{what_ja}"),
    ]
