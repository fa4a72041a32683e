"""The as-of time of an answer, and the one default every command uses: now.

Every command that answers "as of when?" — a ruling, a memo, the version of a provision in force —
defaults to the moment it runs (the wall clock in Asia/Tokyo, to the second) and states the time it
used, so that the same answer can be had again with `--at` and that time. The evaluation itself stays
in event time: the wall clock is read once, here, to fill in an option the user left out.
A scenario file is not a command: a case without `as_of` keeps its own documented default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiyaku.times import TOKYO


@dataclass(frozen=True)
class AsOf:
    time: datetime
    given: bool  # named by --at; False when it is the default, now

    @property
    def day(self) -> date:
        """The calendar date of the as-of instant in Asia/Tokyo (spec, decision 9)."""
        return self.time.astimezone(TOKYO).date()

    def describe(self) -> str:
        """The line a text output prints."""
        how = "--at" if self.given else "now; give --at to fix it"
        return f"as of {self.time.isoformat()} ({how})"

    def to_json(self) -> dict[str, str]:
        """The fields a JSON output carries: `as_of` and where it came from (`--at` or `now`)."""
        return {"as_of": self.time.isoformat(), "as_of_source": "--at" if self.given else "now"}


def now() -> AsOf:
    return AsOf(datetime.now(TOKYO).replace(microsecond=0), given=False)
