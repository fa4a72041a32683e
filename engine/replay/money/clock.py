"""Instants and days as the agreements count them: Asia/Tokyo, real elapsed time, exact hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

from kiyaku.errors import Finding, InputError
from kiyaku.times import TOKYO

# Spec "Time": a date-time without an offset is read in Asia/Tokyo (TOKYO), and so are calendar days.
HOUR = timedelta(hours=1)


def tokyo(t: datetime) -> datetime:
    return t.replace(tzinfo=TOKYO) if t.tzinfo is None else t.astimezone(TOKYO)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two instants, whatever their offsets."""
    return end.astimezone(timezone.utc) - start.astimezone(timezone.utc)


def hours(span: timedelta) -> Fraction:
    return Fraction(span // timedelta(microseconds=1), HOUR // timedelta(microseconds=1))


def span_text(span: timedelta) -> str:
    """47 h 30 min: how long an outage lasted, for a reviewer."""
    seconds = span // timedelta(seconds=1)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h} h" + (f" {m} min" if m or s else "") + (f" {s} s" if s else "")


def when_text(t: datetime) -> str:
    return tokyo(t).strftime("%Y-%m-%d %H:%M")


def instant(value: datetime, name: str, where: str) -> datetime:
    """A date-time input, in Asia/Tokyo."""
    if not isinstance(value, datetime):
        raise InputError(Finding(where, None, f"{name} is {value!r}, not a date-time",
                                 "give an ISO 8601 date-time (Asia/Tokyo when no offset)"))
    return tokyo(value)


def day(value: date | datetime, name: str, where: str) -> date:
    """A date input; a date-time counts as its day in Asia/Tokyo."""
    if isinstance(value, datetime):
        return tokyo(value).date()
    if not isinstance(value, date):
        raise InputError(Finding(where, None, f"{name} is {value!r}, not a date",
                                 "give an ISO date such as 2025-05-31"))
    return value
