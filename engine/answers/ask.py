"""A support agent's question ("can we suspend?") answered from the rulings of one contract.

The answer is drawn from the same rulings `kiyaku evaluate` gives, twice: as of the time asked,
and with deadlines run on into the future (no further event), which is how "not yet, from DATE"
is known — a ground that time alone will meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from kiyaku.replay.judge import Judge
from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import TOKYO, Stream, streams


@dataclass(frozen=True)
class Question:
    name: str
    kinds: tuple[str, ...]
    yes: tuple[str, ...]  # outcomes that answer yes
    monetary: bool
    en: str
    ja: str


QUESTIONS = {q.name: q for q in (
    # Every power that stops the service: 利用停止 (suspension) and 利用中止 / 提供の中止 (interruption),
    # each ruling labelled with its own term.
    Question("can-suspend", ("suspension", "interruption"), ("may_suspend", "must_suspend", "may_interrupt"), False,
             "Can we stop (suspend or interrupt) the service?", "利用停止・利用中止できますか"),
    Question("can-terminate", ("termination",), ("may_terminate", "must_terminate", "terminated"), False,
             "Can we terminate the contract?", "契約を解除できますか"),
    Question("can-refuse", ("acceptance",), ("may_refuse",), False,
             "Can we refuse the application?", "申込みを承諾しないことができますか"),
    Question("liability", ("liability_cap",), ("capped", "uncapped"), True,
             "Are we liable for the outage, and up to how much?", "損害賠償の責任と上限額は"),
    Question("surcharge", ("surcharge",), ("payable",), True,
             "Is a surcharge (割増金) owed, and how much?", "割増金はいくらですか"),
    Question("late-interest", ("late_interest",), ("payable",), True,
             "Is late interest (延滞利息) owed, and how much?", "延滞利息はいくらですか"),
)}

FAR = datetime(9999, 1, 1, tzinfo=TOKYO)


def ask(root: Path, question: str, contract: str, paths: list[Path], as_of: datetime) -> dict[str, Any]:
    """The answer as the spec's JSON object: answer, amount, citations, rulings, missing, and more."""
    q = QUESTIONS[question]
    stream = _stream(paths, contract)
    with Judge(root) as judge:
        def later() -> list[dict[str, Any]]:
            return [r for r in _of_kind(judge.rulings(stream, as_of, FAR), q) if r["outcome"] in q.yes]

        return _answer(q, contract, as_of, _of_kind(judge.rulings(stream, as_of), q), later)


def _answer(q: Question, contract: str, as_of: datetime, now: list[dict[str, Any]],
            later: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    """`later` replays with deadlines run forward; it is asked only when nothing applies now."""
    yes = [r for r in now if r["outcome"] in q.yes]
    undetermined = [r for r in now if r["outcome"] == "undetermined"]
    answer: dict[str, Any] = {"question": q.name, "contract": contract, "as_of": as_of.isoformat()}
    if yes:
        chosen = _strongest(yes)
        answer.update(answer="yes", rulings=yes, citations=_citations(yes), missing=[])
        if q.monetary:
            answer["amount"] = _total(yes)
        answer["requires"] = _requires(chosen)
        return answer
    coming = later() if not undetermined else []
    if coming:
        first = min(coming, key=lambda r: r["at"])
        answer.update(answer="no", not_yet={"from": first["at"], "ground": first["ground"]}, rulings=[first],
                      citations=list(first["citations"]), missing=[], requires=_requires(first))
    elif undetermined:
        answer.update(answer="undetermined", rulings=undetermined, citations=_citations(undetermined),
                      missing=[m for r in undetermined for m in r["missing"]])
    else:
        # Each ground considered, by its most specific provision.
        answer.update(answer="no", rulings=now, citations=list(dict.fromkeys(r["citations"][0] for r in now)),
                      missing=[])
    if q.monetary:
        answer["amount"] = None if answer["answer"] == "undetermined" else 0
    return answer


def _stream(paths: list[Path], contract: str) -> Stream:
    """The contract's events, read once for both replays."""
    found = next((s for s in streams(paths, []) if s.contract == contract), None)
    if found is None:
        raise InputError(Finding(", ".join(map(str, paths)), None, f"no events for contract {contract!r}",
                                 "check --contract against the `contract` field of the events"))
    return found


def _of_kind(rulings: list[dict[str, Any]], q: Question) -> list[dict[str, Any]]:
    return [r for r in rulings if r["kind"] in q.kinds]


def _strongest(rulings: list[dict[str, Any]]) -> dict[str, Any]:
    """A duty (shall) before a permission (may); then the earliest."""
    return sorted(rulings, key=lambda r: (r["modality"] != "shall", r["at"]))[0]


def _citations(rulings: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(c for r in rulings for c in r["citations"]))


def _total(rulings: list[dict[str, Any]]) -> int | None:
    """The sum owed; None when any part has no cap (liability without limit)."""
    if any(r.get("amount") is None for r in rulings):
        return None
    return sum(r["amount"] for r in rulings)


def _requires(ruling: dict[str, Any]) -> list[str]:
    """What must happen first: the notice the agreement requires, and the period the ruling states."""
    out = []
    notice = ruling.get("notice") or {}
    if notice.get("required") == "before":
        contents = ", ".join(notice.get("contents", [])) or "the measure"
        cites = ", ".join(notice.get("citations", []))
        excuse = f" (not needed in an {notice['excused_by']})" if notice.get("excused_by") else ""
        out.append(f"prior notice to the customer of {contents}{excuse} — {cites}")
    period = ruling.get("period") or {}
    if period:
        parts = [period["until"]] if "until" in period else []
        if "max_months" in period:
            parts.append(f"at most {period['max_months']} months")
        out.append("period: " + ", ".join(parts))
    return out
