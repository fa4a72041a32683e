"""From the facts a monetary ground matched to the inputs of an engine/money calculator.

A rule names its calculator (`amount: {compute: liability_cap, of: outage}`); this is the one
place that knows which facts each calculator reads: the outage and when it ended, the monthly fee
in force when it was learned of, the invoice and its payment, the evaded charge, the lost item.
Every agreement goes through the same code; what differs is in its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterator

from kiyaku.replay import money
from kiyaku.errors import Finding, InputError
from kiyaku.replay.evaluator import Fact
from kiyaku.terms import Agreement, Terms


class Missing(Exception):
    """A fact the amount needs was not recorded; the ruling is undetermined and says what to record,
    in English and in Japanese."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.ja = ja


@dataclass(frozen=True)
class Context:
    agreement: Agreement
    terms: Terms
    facts: list[Fact]
    as_of: datetime
    # The contract's facts by type and by field (Outcome's indexes), so that a sum does not scan the
    # whole history: without them, a contract's rulings cost grows with the square of its events.
    index: Any = None

    def params(self, on: datetime) -> money.Params:
        return _params(self.agreement, on.date())

    def _candidates(self, type_: str, fields: dict[str, Any]) -> list[Fact]:
        if self.index is None:
            return [f for f in self.facts if f.type == type_]
        if fields:
            name, value = next(iter(fields.items()))
            return self.index.having(type_, name, value)
        return self.index.of_type(type_)

    def having(self, type_: str, **fields: Any) -> Iterator[Fact]:
        """The facts of a type with these field values, up to the as-of time, in the order they came."""
        return (f for f in self._candidates(type_, fields) if f.time <= self.as_of
                and all(f.data.get(k) == v for k, v in fields.items()))

    def first(self, type_: str, **fields: Any) -> Fact | None:
        return next(self.having(type_, **fields), None)

    def latest(self, type_: str, until: datetime) -> Fact | None:
        return next((f for f in reversed(self._candidates(type_, {})) if f.time <= until), None)


_kept_params: dict[tuple[int, date], tuple[Agreement, money.Params]] = {}


def _params(agreement: Agreement, on: date) -> money.Params:
    """The agreement's parameters in force on a day, worked out once per day (many sums share a day)."""
    found = _kept_params.get((id(agreement), on))
    if found is None or found[0] is not agreement:
        if len(_kept_params) > 4096:
            _kept_params.clear()
        found = _kept_params[(id(agreement), on)] = (agreement, money.Params.of(agreement, on))
    return found[1]


def _outage_end(outage: Fact, ctx: Context) -> datetime:
    """When the outage ended, or the as-of time for one still going on."""
    ended = ctx.first("outage_ended", outage=outage.data["eid"])
    return ended.time if ended else ctx.as_of


def _monthly_fee(at: datetime, ctx: Context, params: money.Params) -> int | money.Computation:
    """The monthly fee in force at `at` (the latest fee_set up to then)."""
    fee = ctx.latest("fee_set", at)
    if fee is None:
        raise Missing(f"the monthly fee in force on {at.date()}: record a fee_set event before then "
                      "(monthly_fee in yen, tax excluded; for smacom, items with price-table codes and quantities)",
                      f"{at.date()} 時点の月額料金: それ以前の fee_set イベントを記録してください"
                      "（monthly_fee に税抜の円額、smacom は料金表のコードと数量を items に）")
    if "items" in fee.data:
        return money.price_table_fee(params, {i["code"]: i["quantity"] for i in fee.data["items"]})
    if "monthly_fee" in fee.data:
        return fee.data["monthly_fee"]
    raise Missing("the monthly fee: the fee_set event gives neither monthly_fee nor items",
                  "月額料金: fee_set イベントに monthly_fee も items もありません")


def _outage_amount(calculator: Callable[..., money.Computation]) -> Callable[[Fact, Context], money.Computation]:
    def compute(outage: Fact, ctx: Context) -> money.Computation:
        params = ctx.params(outage.time)
        return calculator(params, outage.time, _outage_end(outage, ctx), _monthly_fee(outage.time, ctx, params))
    return compute


def _late_interest(overdue: Fact, ctx: Context) -> money.Computation:
    """Each payment toward the invoice reduces the debt from its day (spec decision 7)."""
    invoice = ctx.first("invoice", eid=overdue.data["invoice"])
    assert invoice is not None, "the rules join an overdue to its invoice"
    payments = [(f.time, f.data["amount"]) for f in ctx.having("payment", invoice=invoice.data["eid"])]
    due = datetime.fromisoformat(invoice.data["due_date"]).date()
    return _kept_interest(ctx.params(overdue.time), invoice.data["amount"], due, tuple(payments), ctx.as_of)


_kept_interests: dict[tuple[Any, ...], money.Computation] = {}


def _kept_interest(params: money.Params, principal: Any, due: date, payments: tuple[Any, ...],
                   as_of: datetime) -> money.Computation:
    """money.late_interest, remembered: across a customer base the same bills (amount, due date) are
    paid on the same days, and at one as-of time their interest is the same sum, steps and all (a
    Computation is immutable). What fails is not remembered: it is raised again each time."""
    # only whole yen: a key never takes True for 1 or 6578.0 for 6578, which the calculator refuses
    plain = type(principal) is int and all(type(amount) is int for _, amount in payments)
    key = (params, principal, due, payments, as_of)  # Params by identity: one per day
    found = _kept_interests.get(key) if plain else None
    if found is None:
        found = money.late_interest(params, principal, due, payments=list(payments), as_of=as_of)
        if plain:
            if len(_kept_interests) > 4096:
                _kept_interests.clear()
            _kept_interests[key] = found
    return found


def _surcharge(evaded: Fact, ctx: Context) -> money.Computation:
    """One evasion, one 割増金, however many charges it covers."""
    single = {"amount_excluding_tax", "charge_date"} & evaded.data.keys()
    if bool(single) == ("charges" in evaded.data) or len(single) == 1:
        raise InputError(Finding("money.surcharge", None, "give either amount_excluding_tax and charge_date "
                                 "(one charge) or charges (several), not both and not neither",
                                 "see the charge_evaded event in docs/events.md"))
    charges = evaded.data.get("charges") or [evaded.data]
    evaded_sums = [(c["amount_excluding_tax"], datetime.fromisoformat(c["charge_date"]).date()) for c in charges]
    # The multiplier of the terms in force when the evasion is judged; the tax rate of the day each charge arose.
    return money.surcharge_of_charges(ctx.params(evaded.time), evaded_sums, ctx.terms)


def _rental_loss(lost: Fact, ctx: Context) -> money.Computation:
    started = ctx.first("service_started")
    if started is None:
        raise Missing("when the service began, from which the years of use run: record the service_started event",
                      "使用年数を数える起点となるサービスの提供開始日: service_started イベントを記録してください")
    return money.rental_loss(ctx.params(lost.time), lost.data["list_price"], started.time.date(), lost.time.date(),
                             ctx.terms)


def _month_fee(started: Fact, ctx: Context) -> money.Computation:
    """The fee for the calendar month of the as-of time, by the agreement's part-month rule."""
    params = ctx.params(ctx.as_of)
    ended = ctx.first("termination") or ctx.first("cancellation")
    return money.month_charge(params, _monthly_fee(ctx.as_of, ctx, params), ctx.as_of.year, ctx.as_of.month, started_on=started.time.date(),
                              ended_on=ended.time.date() if ended else None)


def _rebilling_fee(rebill: Fact, ctx: Context) -> money.Computation:
    """smacom 料金表 第2表 第2, once for each bill issued again, taxed at the rate of its day."""
    return money.table_fee(ctx.params(rebill.time), "rebilling", rebill.time, ctx.terms)


CALCULATORS: dict[str, Callable[[Fact, Context], money.Computation]] = {
    "liability_cap": _outage_amount(money.liability_cap),
    "outage_exemption": _outage_amount(money.outage_exemption),
    "negligence_exemption": _outage_amount(money.negligence_exemption),
    "late_interest": _late_interest,
    "surcharge": _surcharge,
    "rental_loss": _rental_loss,
    "monthly_fee": _month_fee,
    "rebilling_fee": _rebilling_fee,
}


def compute(name: str, fact: Fact, ctx: Context) -> money.Computation:
    """The amount `name` for the matched `fact`; bad input is reported at the event behind it."""
    try:
        return CALCULATORS[name](fact, ctx)
    except InputError as exc:
        event = fact.event
        if event is None:
            raise
        raise InputError([Finding(event.file, event.line, f"{event.type} {event.id}: {f.message}", f.hint)
                          for f in exc.findings]) from None
