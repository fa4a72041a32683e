"""kiyaku.replay.money against sums worked out by hand from the agreements' text.

Each case writes its arithmetic out in a comment. Parameters come from terms/ (smacom from
2025-04-01, ts-cloudphone from 2015-11-01, abphone from 2015-01-01); times without an offset are
Asia/Tokyo.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from fractions import Fraction

import pytest

from kiyaku.errors import DefinitionError, InputError
from kiyaku.replay.money import (Computation, Params, exemption_refund, late_interest, liability_cap,
                          month_charge, negligence_exemption, outage_days, outage_exemption,
                          price_table_fee, rental_loss, surcharge)

VERSION_DAY = {"smacom": date(2025, 4, 1), "ts-cloudphone": date(2015, 11, 1),
               "abphone": date(2015, 1, 1)}


@pytest.fixture(scope="module")
def params(terms):
    return {a: Params.of(terms.agreements[a], on) for a, on in VERSION_DAY.items()}


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def step(c: Computation, label_start: str) -> Fraction:
    """The value of the first step whose label starts so."""
    return Fraction(next(s.value for s in c.steps if s.label.startswith(label_start)))


# ---------------------------------------------------------------------------------------- outages

@pytest.mark.parametrize("agreement, learned, ended, days", [
    # smacom 第28条: 24 hours or more, whole 24-hour periods only.
    ("smacom", "2025-06-10T09:00", "2025-06-11T08:59", 0),   # 23 h 59 min < 24
    ("smacom", "2025-06-10T09:00", "2025-06-11T09:00", 1),   # 24 h: ⌊24/24⌋ = 1
    ("smacom", "2025-06-10T09:00", "2025-06-12T08:59", 1),   # 47 h 59 min: ⌊47.98/24⌋ = 1
    ("smacom", "2025-06-10T09:00", "2025-06-12T09:00", 2),   # 48 h: 2
    # ts-cloudphone 第33条: 8 hours or more, each started 24-hour period counts (decision 1).
    ("ts-cloudphone", "2016-06-10T09:00", "2016-06-10T16:59", 0),  # 7 h 59 min < 8
    ("ts-cloudphone", "2016-06-10T09:00", "2016-06-10T17:00", 1),  # 8 h: ⌈8/24⌉ = 1
    ("ts-cloudphone", "2016-06-10T09:00", "2016-06-11T09:00", 1),  # 24 h: ⌈24/24⌉ = 1
    ("ts-cloudphone", "2016-06-10T09:00", "2016-06-11T09:01", 2),  # 24 h 1 min: 2
    # abphone 第33条: 12 hours or more, each started period counts.
    ("abphone", "2016-06-10T09:00", "2016-06-10T20:59", 0),        # 11 h 59 min < 12
    ("abphone", "2016-06-10T09:00", "2016-06-10T21:00", 1),        # 12 h: 1
    ("abphone", "2016-06-10T09:00", "2016-06-12T09:30", 3),        # 48 h 30 min: ⌈48.5/24⌉ = 3
])
def test_outage_days_turn_on_at_each_threshold(params, agreement, learned, ended, days):
    assert outage_days(params[agreement], t(learned), t(ended)).amount == days


def test_the_fee_exemption_threshold_is_its_own_parameter(params):
    # abphone 第27条第2項C)の表 1欄: 12 hours, as for liability; 11 h 59 min counts for nothing.
    c = outage_days(params["abphone"], t("2016-06-10T09:00"), t("2016-06-10T20:59"), "fee_exemption")
    assert c.amount == 0
    assert "abphone:27.2.C.1" in c.cites


def test_outage_hours_are_real_time_whatever_the_offset(params):
    # 2025-06-30T15:00Z is 2025-07-01 00:00 in Tokyo; to 2025-07-02 00:00 Tokyo is 24 h.
    c = outage_days(params["smacom"], datetime(2025, 6, 30, 15, tzinfo=timezone.utc),
                    t("2025-07-02T00:00"))
    assert c.amount == 1
    assert step(c, "outage hours") == 24


# ------------------------------------------------------------------------------- liability cap

def test_smacom_cap_across_a_month_end_uses_each_periods_own_month(params):
    # 72 h from 2025-06-29 12:00: periods start 06-29 12:00 and 06-30 12:00 (June, 30 days) and
    # 07-01 12:00 (July, 31 days). Monthly fee 5,980 (コンタクトセンター アドバンス × 1).
    # 5,980 × 2 ÷ 30 + 5,980 ÷ 31 = 1196/3 + 5980/31 = (37,076 + 17,940) / 93 = 55016/93
    # = 591.57… → cut off (通則7): 591.
    c = liability_cap(params["smacom"], t("2025-06-29T12:00"), t("2025-07-02T12:00"), 5980)
    assert c.amount == 591
    assert step(c, "fee for the counted days") == Fraction(55016, 93)
    assert step(c, "day fee for 2025-06") == Fraction(5980, 30)
    assert step(c, "day fee for 2025-07") == Fraction(5980, 31)


def test_smacom_cap_in_a_leap_february(params):
    # 71 h 30 min from 2028-02-28 10:00: two whole periods, starting 02-28 and 02-29 (2028 is a
    # leap year: February has 29 days). 3,000 × 2 ÷ 29 = 6000/29 = 206.89… → 206.
    leap = liability_cap(params["smacom"], t("2028-02-28T10:00"), t("2028-03-02T09:30"), 3000)
    assert leap.amount == 206
    # The same 71 h 30 min in 2027 (no 29 February: it ends on 03-03): the second period starts
    # on 03-01, in March. 3,000 ÷ 28 + 3,000 ÷ 31 = 750/7 + 3000/31
    # = (23,250 + 21,000) / 217 = 44250/217 = 203.91… → 203.
    plain = liability_cap(params["smacom"], t("2027-02-28T10:00"), t("2027-03-03T09:30"), 3000)
    assert plain.amount == 203


def test_smacom_cap_below_24_hours_is_nothing(params):
    c = liability_cap(params["smacom"], t("2025-06-10T09:00"), t("2025-06-11T08:59"), 5980)
    assert c.amount == 0
    assert "smacom:28.1" in c.cites


def test_ts_cloudphone_cap_counts_started_periods_in_their_months(params):
    # 25 h from 2016-01-31 20:00: ⌈25/24⌉ = 2 periods, starting 01-31 20:00 (January, 31 days)
    # and 02-01 20:00 (February 2016, 29 days). 5,000 ÷ 31 + 5,000 ÷ 29
    # = (145,000 + 155,000) / 899 = 300000/899 = 333.70… → cut off (通則4): 333.
    c = liability_cap(params["ts-cloudphone"], t("2016-01-31T20:00"), t("2016-02-01T21:00"), 5000)
    assert c.amount == 333


def test_abphone_rounds_up_where_the_others_cut_off(params):
    # 32 h from 2016-02-28 20:00: 2 started periods, both in February 2016 (29 days).
    # 5,000 × 2 ÷ 29 = 10000/29 = 344.82…: ts-cloudphone cuts it off (344), abphone rounds it
    # up (通則3: 345).
    learned, ended = t("2016-02-28T20:00"), t("2016-03-01T04:00")
    assert liability_cap(params["ts-cloudphone"], learned, ended, 5000).amount == 344
    assert liability_cap(params["abphone"], learned, ended, 5000).amount == 345


def test_the_cap_carries_no_tax_and_names_its_decisions(params):
    c = liability_cap(params["abphone"], t("2016-02-28T20:00"), t("2016-03-01T04:00"), 5000)
    assert not any("consumption" in s.label for s in c.steps)
    assert [d.split(":")[0] for d in c.decisions] == ["2", "1", "3", "4"]


# ------------------------------------------------------------------------------ fee exemption

def test_smacom_row_1_exemption_and_its_refund(params):
    # 第22条第2項第2号の表 1欄: 47 h 59 min counts one whole period, starting 2025-06-10 (June,
    # 30 days). Monthly fee from the price table: コンタクトセンターベーシック × 3 = 1,980 × 3
    # = 5,940. 5,940 ÷ 30 = 198, exactly: no rounding step.
    fee = price_table_fee(params["smacom"], {"contact_center_basic": 3})
    c = outage_exemption(params["smacom"], t("2025-06-10T09:00"), t("2025-06-12T08:59"), fee)
    assert c.amount == 198
    assert not any(s.label.startswith("rounded") for s in c.steps)
    assert "smacom:22.2.2.1" in c.cites
    # 第3項: already paid in full → the whole 198 comes back; only 100 paid → 100.
    assert exemption_refund(params["smacom"], c, 5940).amount == 198
    refund = exemption_refund(params["smacom"], c, 100)
    assert refund.amount == 100
    assert "smacom:22.3" in refund.cites


def test_gross_negligence_exempts_the_hours_themselves_across_a_month_end(params):
    # 第22条第2項第2号の表 2欄: no threshold, the unusable time itself. 2025-05-31 22:00 to
    # 2025-06-01 01:30, monthly fee 3,100.
    # May: 2 h at 3,100 ÷ 31 ÷ 24 = 100/24 an hour → 200/24 = 25/3.
    # June: 1.5 h at 3,100 ÷ 30 ÷ 24 = 310/72 an hour → 465/72 = 155/24.
    # 25/3 + 155/24 = 200/24 + 155/24 = 355/24 = 14.79…: smacom 14, abphone 15.
    learned, ended = t("2025-05-31T22:00"), t("2025-06-01T01:30")
    smacom = negligence_exemption(params["smacom"], learned, ended, 3100)
    assert smacom.amount == 14
    assert step(smacom, "fee for the unusable time") == Fraction(355, 24)
    assert "smacom:22.2.2.2" in smacom.cites
    abphone = negligence_exemption(params["abphone"], learned, ended, 3100)
    assert abphone.amount == 15
    assert "abphone:27.2.C.2" in abphone.cites


def test_gross_negligence_has_no_threshold(params):
    # 30 minutes in May 2016: 3,100 ÷ 31 ÷ 24 × 0.5 = 100/48 = 2.08…: ts-cloudphone 2 (row 1
    # would give nothing below 8 hours).
    c = negligence_exemption(params["ts-cloudphone"], t("2016-05-10T09:00"),
                             t("2016-05-10T09:30"), 3100)
    assert c.amount == 2
    assert "ts-cloudphone:27.2.3.2" in c.cites


# ----------------------------------------------------------------------------------- surcharge

def test_smacom_surcharge_is_twice_the_tax_exclusive_sum_plus_tax(params, terms):
    # 第25条: 2 × 10,000 = 20,000; tax at 10% (2025) = 2,000; 割増金 22,000. The evaded sum,
    # owed besides, is 10,000 + 10% = 11,000.
    c = surcharge(params["smacom"], 10000, date(2025, 6, 30), terms)
    assert c.amount == 22000
    assert step(c, "surcharge before tax") == 20000
    assert c.steps[-1].label.startswith("evaded sum owed besides")
    assert Fraction(c.steps[-1].value) == 11000


def test_surcharges_round_by_each_agreements_rule(params, terms):
    # Evaded 3,333 on 2016-03-15 (8%).
    # ts-cloudphone 第29条: 2 × 3,333 = 6,666; × 1.08 = 7,199.28 → cut off: 7,199.
    # abphone 第29条: 5 × 3,333 = 16,665; × 1.08 = 17,998.2 → rounded up: 17,999.
    assert surcharge(params["ts-cloudphone"], 3333, date(2016, 3, 15), terms).amount == 7199
    assert surcharge(params["abphone"], 3333, date(2016, 3, 15), terms).amount == 17999


@pytest.mark.parametrize("arose_on, rate, amount", [
    # ts-cloudphone, evaded 1,000: 2 × 1,000 = 2,000, plus tax at the rate of the day it arose.
    # The calculator takes the tax date apart from the version's date, so the switch-over days
    # of the law are checked even where they precede the version in the corpus.
    (date(2014, 3, 31), 5, 2100),    # 2,000 × 1.05
    (date(2014, 4, 1), 8, 2160),     # 2,000 × 1.08
    (date(2019, 9, 30), 8, 2160),
    (date(2019, 10, 1), 10, 2200),   # 2,000 × 1.10
])
def test_surcharge_tax_follows_the_day_the_charge_arose(params, terms, arose_on, rate, amount):
    c = surcharge(params["ts-cloudphone"], 1000, arose_on, terms)
    assert c.amount == amount
    assert step(c, "consumption-tax rate") == rate


def test_abphone_surcharge_either_side_of_the_2019_rate_change(params, terms):
    # 5 × 1,001 = 5,005. At 8%: 5,405.4 → 5,406. At 10%: 5,505.5 → 5,506 (rounded up).
    assert surcharge(params["abphone"], 1001, date(2019, 9, 30), terms).amount == 5406
    assert surcharge(params["abphone"], 1001, date(2019, 10, 1), terms).amount == 5506


# ------------------------------------------------------------------------------- late interest

@pytest.mark.parametrize("paid_on, amount", [
    (date(2025, 5, 31), 0),    # on the due date: not overdue
    (date(2025, 6, 10), 0),    # the 10th day from the day after the due date: no interest at all
    # The 11th day: interest from 06-01 to 06-10, 10 days. 12,345 × 14.5% × 10 ÷ 365
    # = 17,900.25 ÷ 365 = 49.04… → 49.
    (date(2025, 6, 11), 49),
])
def test_smacom_interest_around_the_grace(params, paid_on, amount):
    c = late_interest(params["smacom"], 12345, date(2025, 5, 31), paid_on=paid_on)
    assert c.amount == amount


def test_interest_rounds_by_each_agreements_rule(params):
    # Due 2016-05-31, paid on 06-11: 10 days. 14.6% ÷ 365 = 0.04% a day, so
    # 12,345 × 0.0004 × 10 = 49.38: ts-cloudphone 49, abphone 50.
    due, paid = date(2016, 5, 31), date(2016, 6, 11)
    assert late_interest(params["ts-cloudphone"], 12345, due, paid_on=paid).amount == 49
    assert late_interest(params["abphone"], 12345, due, paid_on=paid).amount == 50


def test_interest_divides_by_365_in_a_leap_year(params):
    # Due 2016-02-20, paid 2016-03-10: 02-21 to 03-09 is 9 + 9 = 18 days (February 2016 has 29).
    # 100,000 × 14.6% × 18 ÷ 365 = 100,000 × 0.0004 × 18 = 720 (÷ 366 would give 718.03…).
    c = late_interest(params["ts-cloudphone"], 100000, date(2016, 2, 20), paid_on=date(2016, 3, 10))
    assert c.amount == 720
    assert step(c, "days of interest") == 18


def test_an_unpaid_debt_counts_as_paid_on_the_as_of_day(params):
    # Due 2016-05-31, unpaid. As of 06-05 it is inside the grace: 0. As of 07-01: 06-01 to 06-30,
    # 30 days; 12,345 × 0.0004 × 30 = 148.14 → 148.
    due = date(2016, 5, 31)
    assert late_interest(params["ts-cloudphone"], 12345, due, as_of=date(2016, 6, 5)).amount == 0
    c = late_interest(params["ts-cloudphone"], 12345, due, as_of=t("2016-07-01T18:00"))
    assert c.amount == 148
    assert "as-of" in c.steps[1].label


# ---------------------------------------------------------------------------------------- fees

def test_smacom_monthly_fee_from_the_price_table(params):
    # アドバンス 5,980 × 3 = 17,940; ビジネスフォンライセンス 580 × 10 = 5,800;
    # スマートフォンアプリ 200 × 4 = 800; total 24,540.
    c = price_table_fee(params["smacom"], {"contact_center_advance": 3, "business_phone": 10,
                                           "business_phone_smartphone_app": 4})
    assert c.amount == 24540
    assert {"smacom:tariff-1-1.2", "smacom:tariff-1-3.2", "smacom:tariff-1-4.2"} <= set(c.cites)


def test_price_table_lines_must_exist_and_be_of_the_kind_asked(params):
    with pytest.raises(InputError, match="no price-table line 'gold_plan'"):
        price_table_fee(params["smacom"], {"gold_plan": 1})
    with pytest.raises(InputError, match="initial price, not monthly"):
        price_table_fee(params["smacom"], {"other_carrier_internet_terminal_initial": 1})
    assert price_table_fee(params["smacom"], {"other_carrier_internet_terminal_initial": 2},
                           kind="initial").amount == 60000   # 30,000 × 2


@pytest.mark.parametrize("month, started, ended, amount", [
    # smacom 料金表 通則4: no pro-rating. The month the service starts in is free (4(2)) …
    ((2025, 6), date(2025, 6, 15), None, 0),
    ((2025, 7), date(2025, 6, 15), None, 5980),
    # … unless the contract also ends in it: one month's fee.
    ((2025, 6), date(2025, 6, 5), date(2025, 6, 20), 5980),
    # Termination on a day other than the 1st: that month in full (4(1)).
    ((2025, 9), date(2025, 6, 15), date(2025, 9, 10), 5980),
    # Termination on the 1st: the last month charged is the one holding the day before (第22条).
    ((2025, 10), date(2025, 6, 15), date(2025, 10, 1), 0),
    ((2025, 9), date(2025, 6, 15), date(2025, 10, 1), 5980),
])
def test_smacom_charges_whole_months(params, month, started, ended, amount):
    c = month_charge(params["smacom"], 5980, *month, started_on=started, ended_on=ended)
    assert c.amount == amount


def test_ts_cloudphone_and_abphone_charge_the_days_of_use(params):
    # 通則2: start on 2016-02-10 → 02-10 to 02-29, 20 of 29 days: 3,000 × 20 ÷ 29 = 2,068.96…
    # → ts-cloudphone 2,068, abphone 2,069.
    feb = (2016, 2)
    assert month_charge(params["ts-cloudphone"], 3000, *feb,
                        started_on=date(2016, 2, 10)).amount == 2068
    assert month_charge(params["abphone"], 3000, *feb,
                        started_on=date(2016, 2, 10)).amount == 2069
    # 第27条第1項: up to the day before termination. Ended 2016-03-11 → 03-01 to 03-10, 10 of 31
    # days: 3,000 × 10 ÷ 31 = 967.74… → 967.
    assert month_charge(params["ts-cloudphone"], 3000, 2016, 3,
                        ended_on=date(2016, 3, 11)).amount == 967


def test_a_part_month_rule_is_needed(params):
    bare = Params.from_values("ts-cloudphone", date(2016, 1, 1),
                              {"rounding": ("down", "ts-cloudphone:tariff-general.4")})
    with pytest.raises(DefinitionError, match="no parameter fee.part_month"):
        month_charge(bare, 3000, 2016, 2)


# ------------------------------------------------------------------------------------ rentals

@pytest.mark.parametrize("used_from, lost_on, amount", [
    # ts-cloudphone 第27条第4項, list price 30,000 plus tax on the day of the loss.
    # From 2016-02-29 to 2019-02-28: the third anniversary (taken as 03-01) not yet reached,
    # 2 whole years → 80% = 24,000; × 1.08 = 25,920.
    (date(2016, 2, 29), date(2019, 2, 28), 25920),
    # 2019-03-01: 3 years → 70% = 21,000; × 1.08 = 22,680.
    (date(2016, 2, 29), date(2019, 3, 1), 22680),
    # 2019-10-01: still 3 years, but 10% tax: 21,000 × 1.10 = 23,100.
    (date(2016, 2, 29), date(2019, 10, 1), 23100),
    # Under a year: the full price, 30,000 × 1.08 = 32,400.
    (date(2016, 1, 10), date(2016, 12, 31), 32400),
    # 9 years or more: 10% = 3,000; × 1.10 = 3,300.
    (date(2016, 1, 10), date(2030, 1, 10), 3300),
])
def test_lost_rental_item(params, terms, used_from, lost_on, amount):
    assert rental_loss(params["ts-cloudphone"], 30000, used_from, lost_on, terms).amount == amount


def test_lost_rental_item_rounds_once(params, terms):
    # 12,345 × 100% × 1.08 = 13,332.6 → 13,332, cut off once at the end.
    c = rental_loss(params["ts-cloudphone"], 12345, date(2016, 1, 10), date(2016, 2, 1), terms)
    assert c.amount == 13332
    assert [s.label for s in c.steps].count("rounded down (fractions of a yen cut off)") == 1


# ----------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("fee, message", [
    (-1, "monthly_fee is -1 yen; it must be 0 or more"),
    (Fraction(5, 2), "not a whole number of yen"),
    (5980.0, "not a whole number of yen"),
    (True, "not a whole number of yen"),
    (None, "monthly_fee is missing"),
])
def test_bad_fees_are_input_errors_that_say_how_to_fix_them(params, fee, message):
    with pytest.raises(InputError, match=message) as caught:
        liability_cap(params["smacom"], t("2025-06-10T09:00"), t("2025-06-12T09:00"), fee)
    assert caught.value.findings[0].hint


def test_an_outage_ending_before_it_starts_is_an_input_error(params):
    with pytest.raises(InputError, match="ends .* before the provider learned of it") as caught:
        liability_cap(params["smacom"], t("2025-06-12T09:00"), t("2025-06-10T09:00"), 5980)
    assert "end must not come before the start" in caught.value.findings[0].hint


def test_other_bad_inputs(params, terms):
    with pytest.raises(InputError, match="evaded is 0 yen; it must be more than 0"):
        surcharge(params["smacom"], 0, date(2025, 6, 1), terms)
    with pytest.raises(InputError, match="no consumption-tax rate before 1989-04-01"):
        surcharge(params["smacom"], 100, date(1988, 1, 1), terms)
    with pytest.raises(InputError, match="neither paid_on nor as_of"):
        late_interest(params["smacom"], 100, date(2025, 6, 1))
    with pytest.raises(InputError, match="lost_on 2016-01-01 is before used_from"):
        rental_loss(params["ts-cloudphone"], 100, date(2016, 2, 1), date(2016, 1, 1), terms)
    with pytest.raises(InputError, match="learned_at is '2025-06-10', not a date-time"):
        liability_cap(params["smacom"], "2025-06-10", t("2025-06-12T09:00"), 5980)


def test_a_missing_parameter_is_a_definition_error_naming_the_file(params, terms):
    with pytest.raises(DefinitionError, match="smacom has no parameter rental_loss.depreciation") as e:
        rental_loss(params["smacom"], 100, date(2025, 5, 1), date(2025, 6, 1), terms)
    assert e.value.findings[0].file == "terms/smacom/parameters.yaml"


# ------------------------------------------------------------------------- the record of a sum

def every_kind(params, terms):
    learned, ended = t("2016-02-28T20:00"), t("2016-03-01T04:00")
    for a in ("ts-cloudphone", "abphone"):
        p = params[a]
        yield liability_cap(p, learned, ended, 5000)
        yield outage_exemption(p, learned, ended, 5000)
        yield exemption_refund(p, negligence_exemption(p, learned, ended, 5000), 10)
        yield surcharge(p, 3333, date(2016, 3, 15), terms)
        yield late_interest(p, 12345, date(2016, 5, 31), paid_on=date(2016, 6, 11))
        yield month_charge(params[a], 3000, 2016, 2, started_on=date(2016, 2, 10))
    p = params["smacom"]
    fee = price_table_fee(p, {"contact_center_basic": 3})
    yield liability_cap(p, t("2025-06-29T12:00"), t("2025-07-02T12:00"), fee)
    yield exemption_refund(p, outage_exemption(p, t("2025-06-10T09:00"), t("2025-06-12T09:00"),
                                               fee), 5940)
    yield negligence_exemption(p, t("2025-05-31T22:00"), t("2025-06-01T01:30"), fee)
    yield surcharge(p, 10000, date(2025, 6, 30), terms)
    yield late_interest(p, 12345, date(2025, 5, 31), paid_on=date(2025, 6, 11))
    yield month_charge(params["smacom"], fee, 2025, 7)
    yield rental_loss(params["ts-cloudphone"], 30000, date(2016, 2, 29), date(2019, 3, 1), terms)


def test_every_citation_resolves(params, terms):
    for c in every_kind(params, terms):
        assert c.cites, c
        for cite in c.cites:
            assert terms.provision(cite) is not None, cite


def test_steps_are_exact_and_json_is_plain(params, terms):
    for c in every_kind(params, terms):
        for s in c.steps:
            Fraction(s.value)   # every value parses back, exactly
            assert "." not in s.value
        doc = json.loads(json.dumps(c.as_json(), ensure_ascii=False))
        assert doc["amount"] == c.amount
        assert set(doc["steps"][0]) == {"label", "label_ja", "expression", "value", "cites"}
        # Every step can be told in Japanese (kiyaku ask --lang ja).
        assert all(s.label_ja for s in c.steps), [s.label for s in c.steps if not s.label_ja]


def test_the_last_step_is_the_amount(params, terms):
    # A reviewer reads the sum top to bottom and ends on the amount (the surcharge then shows the
    # evaded sum owed besides, which is not part of it).
    for c in every_kind(params, terms):
        mine = [s for s in c.steps if not s.label.startswith("evaded sum owed besides")]
        assert Fraction(mine[-1].value) == c.amount, c
