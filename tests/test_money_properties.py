"""Properties of kiyaku.replay.money that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kiyaku.replay.money import Params, late_interest, liability_cap, outage_days, surcharge
from kiyaku.terms import load_terms

TERMS = load_terms(Path(__file__).resolve().parent.parent / "terms")
VERSION_DAY = {"smacom": date(2025, 4, 1), "ts-cloudphone": date(2015, 11, 1),
               "abphone": date(2015, 1, 1)}
PARAMS = {a: Params.of(TERMS.agreements[a], on) for a, on in VERSION_DAY.items()}
ROUND = {"down": math.floor, "up": math.ceil}

FEW = settings(max_examples=60, deadline=None)
agreements = st.sampled_from(sorted(PARAMS))
yen = st.integers(min_value=1, max_value=10_000_000)
instants = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31))
durations = st.integers(min_value=0, max_value=40 * 24 * 60).map(lambda m: timedelta(minutes=m))


@FEW
@given(agreements, instants, durations, st.integers(min_value=0, max_value=1_000_000))
def test_a_cap_never_exceeds_the_monthly_fee_times_the_counted_days(agreement, learned, span, fee):
    p = PARAMS[agreement]
    days = outage_days(p, learned, learned + span).amount
    cap = liability_cap(p, learned, learned + span, fee).amount
    assert 0 <= cap <= math.ceil(Fraction(fee * days))
    # Tighter: each day costs between fee ÷ 31 and fee ÷ 28, and rounding moves it by under 1 yen.
    assert math.floor(Fraction(fee * days, 31)) <= cap <= math.ceil(Fraction(fee * days, 28))


@FEW
@given(agreements, st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)), yen,
       st.integers(min_value=-30, max_value=10))
def test_interest_is_zero_inside_the_grace(agreement, due, principal, after):
    # Paid any day up to the 10th counted from the day after the due date (or early): nothing.
    c = late_interest(PARAMS[agreement], principal, due, paid_on=due + timedelta(days=after))
    assert c.amount == 0


@FEW
@given(agreements, st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)), yen,
       st.integers(min_value=11, max_value=2000))
def test_interest_does_not_decrease_with_the_days_after_the_grace(agreement, due, principal, after):
    p = PARAMS[agreement]
    one = late_interest(p, principal, due, paid_on=due + timedelta(days=after)).amount
    later = late_interest(p, principal, due, paid_on=due + timedelta(days=after + 1)).amount
    assert 0 <= one <= later


@FEW
@given(agreements, yen, st.dates(min_value=date(1997, 4, 1), max_value=date(2035, 12, 31)))
def test_the_surcharge_is_the_multiplier_on_the_tax_exclusive_sum_then_tax_then_one_rounding(
        agreement, evaded, arose_on):
    p = PARAMS[agreement]
    multiplier = p.get("surcharge.multiplier").value
    rate = Fraction(TERMS.tax_rate(arose_on))
    c = surcharge(p, evaded, arose_on, TERMS)
    before_tax = next(Fraction(s.value) for s in c.steps if s.label == "surcharge before tax")
    assert before_tax == multiplier * evaded
    assert c.amount == ROUND[p.get("rounding").value](multiplier * evaded * (100 + rate) / 100)
