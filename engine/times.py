"""The one reader of dates and times, for events, scenario files, terms and every `--at`.

ISO 8601 in its extended form only: `2025-06-01`, `2025-06-01T09:00`, `2025-06-01T09:00:30.5`, each
optionally with `Z` or `+09:00`. A date, or a date-time without an offset, is read in Asia/Tokyo (the
agreements are governed by Japanese law). Every instant is returned in Asia/Tokyo, so that its calendar
date is its date in Tokyo whatever offset it was written with (spec decision 9: `2025-06-10T16:00Z`
falls on 2025-06-11). Years run from FIRST_YEAR to LAST_YEAR: far enough from the ends of the calendar
that a deadline counted from any of them stays a date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from kiyaku.errors import quoted

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_YEAR, LAST_YEAR = 1900, 9000
DATE_HINT = "write a real date as YYYY-MM-DD, e.g. 2025-06-01"
TIME_HINT = "write YYYY-MM-DD or YYYY-MM-DDTHH:MM (Asia/Tokyo), or add an offset: 2025-06-01T09:00+09:00"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def read_date(text: Any) -> date:
    """A calendar date `YYYY-MM-DD`; ValueError saying what is wrong with it."""
    if not isinstance(text, str) or not _DATE.fullmatch(text):
        raise ValueError(f"{quoted(text)} is not a date of the form YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        _calendar(text, text)  # says why
        raise
    _in_year_range(day.year)
    return day


def read_time(text: Any) -> datetime:
    """An instant (see the module's docstring), in Asia/Tokyo; ValueError saying what is wrong with it."""
    if isinstance(text, str) and len(text) == 10:
        return datetime.combine(read_date(text), time(), TOKYO)
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"{quoted(text)} is not an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        _why_not(text)
        raise
    _in_year_range(parsed.year)  # before converting: 9999-12-31T23:59Z is past the end of the calendar in Tokyo
    instant = parsed.replace(tzinfo=TOKYO) if parsed.tzinfo is None else parsed.astimezone(TOKYO)
    _in_year_range(instant.year)
    return instant


def _why_not(text: str) -> None:
    """Raise the reason a time of the right form is not a time (only when reading it failed)."""
    _calendar(text[:10], text)
    hour, minute = int(text[11:13]), int(text[14:16])
    if hour > 23 or minute > 59 or (len(text) > 17 and text[16] == ":" and int(text[17:19]) > 59):
        raise ValueError(f"{text!r}: hours run 00-23, minutes and seconds 00-59")
    offset = text[-6:] if text[-6] in "+-" else ""
    if offset:
        raise ValueError(f"{text!r}: the offset {offset} is not a time-zone offset")


def parse_time(value: Any) -> datetime | None:
    """`read_time`, or None when `value` is not a time."""
    try:
        return read_time(value)
    except ValueError:
        return None


def tokyo_date(instant: datetime) -> date:
    """The calendar date of an instant: its date in Asia/Tokyo (spec decision 9)."""
    return instant.astimezone(TOKYO).date() if instant.tzinfo else instant.date()


def _calendar(day: str, text: str) -> date:
    year, month, dom = int(day[:4]), int(day[5:7]), int(day[8:10])
    _in_year_range(year)
    if not 1 <= month <= 12:
        raise ValueError(f"{text!r}: there is no month {day[5:7]}")
    try:
        return date(year, month, dom)
    except ValueError:
        raise ValueError(f"{text!r}: {_MONTHS[month - 1]} {year} has no day {day[8:10]}") from None


def _in_range(day: date) -> date:
    _in_year_range(day.year)
    return day


def _in_year_range(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {year:04d} is outside the years kiyaku reads ({FIRST_YEAR}-{LAST_YEAR})")
