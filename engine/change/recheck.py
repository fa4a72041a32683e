"""A recorded decision replayed under today's terms and rules: would the answer be the same, and if
not, the change of which provisions moved it.

The decision keeps the events it was given from and terms/ and rules/ as they were (store/). Both
sides are evaluated by the running kiyaku, as `kiyaku diff` does, and the rulings that moved are
attributed by diff's own attribution. The side of the past is also asked the question again: if it
does not give the recorded answer, the engine itself changed since (the decision names its version).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiyaku import definitions
from kiyaku.change import diff
from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import TOKYO, Stream, parse_time
from kiyaku.replay.judge import Judge

COMPARED = ("answer", "amount", "citations")


@dataclass
class Recheck:
    decision: Any                           # kiyaku.store.decisions.Decision
    today: dict[str, Any] | None            # the answer today (None for a question ask does not know)
    changed: dict[str, tuple[Any, Any]]     # field: (recorded, today)
    reproduced: bool | None                 # the recorded terms give the recorded answer today
    attribution: diff.Report | None         # None when the decision's terms and rules were not kept
    notes: list[str]

    @property
    def same(self) -> bool:
        return not self.changed and not (self.attribution and self.attribution.moves)


def recheck(root: Path, decision: Any, archive: bytes | None) -> Recheck:
    """Replay `decision` under the terms and rules at `root`; `archive` holds those it was given under."""
    from kiyaku.store.snapshot import unpacked

    stream = decision.stream()
    as_of = parse_time(decision.as_of) if decision.as_of else stream.events[-1].time
    today = _ask(root, decision.question, stream, as_of)
    changed = _differences(_recorded(decision), today) if today else {}
    if archive is None:
        note = ("the terms and rules this decision was given under were not kept (it was recorded before the "
                "store kept them): which provisions moved it cannot be said")
        return Recheck(decision, today, changed, None, None, [note])
    with unpacked(archive, f"{decision.terms_sha256[:16]}-{decision.rules_sha256[:16]}") as (then, kept):
        _verify(then, decision)
        notes: list[str] = []
        old = diff.Side(f"decision {decision.id[:8]} ({decision.asked_at:%Y-%m-%d}, kiyaku {decision.kiyaku_version})",
                        then, extracted=not kept)
        new = diff.Side("today", root)
        with diff.private_cache(old):
            then_answer = _ask(then, decision.question, stream, as_of)
            old_side = _side(then, stream, as_of)
        new_side = _side(root, stream, as_of)
    reproduced = None if then_answer is None else not _differences(_recorded(decision), then_answer)
    if reproduced is False:
        notes.append(f"under the terms and rules it was given under, this kiyaku no longer gives the recorded "
                     f"answer: the engine changed since kiyaku {decision.kiyaku_version}")
    source = diff.Input(f"decision {decision.id}", f"decision {decision.id}", None, None, None)
    moves = [m for m in diff.compare(source, old_side[1], new_side[1]) if _asked(decision.question, m.kind)]
    counts = {"scenario_cases": 0, "event_files": 1, "rulings_base": len(old_side[1]), "rulings_head": len(new_side[1])}
    report = diff.report_of(old, new, [old_side[0], new_side[0]], moves, counts, [])
    return Recheck(decision, today, changed, reproduced, report, notes)


def _ask(root: Path, question: str, stream: Stream, as_of: datetime) -> dict[str, Any] | None:
    from kiyaku.answers.ask import QUESTIONS, ask_stream

    return ask_stream(root, question, stream, as_of).as_json() if question in QUESTIONS else None


def _asked(question: str, kind: str) -> bool:
    """Whether a ruling of `kind` bears on the question (every kind, for a question ask does not know)."""
    from kiyaku.answers.ask import QUESTIONS

    return question not in QUESTIONS or kind in QUESTIONS[question].kinds


def _side(root: Path, stream: Stream, as_of: datetime) -> tuple[tuple[Any, Any], list[dict[str, Any]]]:
    loaded = definitions.load(root)
    with Judge(root) as judge:
        return loaded, judge.rulings(stream, as_of)


def _recorded(decision: Any) -> dict[str, Any]:
    return {"answer": decision.answer, "amount": decision.amount, "citations": decision.citations}


def _differences(then: dict[str, Any], now: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {f: (then.get(f), now.get(f)) for f in COMPARED if then.get(f) != now.get(f)}


def _verify(then: Path, decision: Any) -> None:
    from kiyaku.report.provenance import tree_sha256

    kept = (tree_sha256(then, "terms"), tree_sha256(then, "rules"))
    if kept != (decision.terms_sha256, decision.rules_sha256):
        raise InputError(Finding(f"decision {decision.id}", None, "the terms and rules kept for this decision do not "
                                 "match its digests", "the store was altered outside kiyaku"))


# --- output -------------------------------------------------------------------------------------------

def _short(answer: dict[str, Any] | None) -> str:
    if answer is None:
        return "—"
    amount = f", ¥{answer['amount']:,}" if isinstance(answer.get("amount"), int) else ""
    cites = ", ".join(answer.get("citations") or [])
    return f"{answer.get('answer')}{amount}" + (f" ({cites})" if cites else "")


def render_text(r: Recheck) -> str:
    d = r.decision
    lines = [f"decision {d.id}: {d.question} about {d.contract} as of {d.as_of}, asked by {d.asked_by} "
             f"at {d.asked_at.astimezone(TOKYO).isoformat(timespec='seconds')} (kiyaku {d.kiyaku_version})",
             f"  recorded: {_short(_recorded(d))}",
             f"  today:    {_short(r.today)}", ""]
    if r.same:
        lines.append("Same answer under today's terms and rules.")
    elif r.changed:
        lines.append("The answer would change: " + "; ".join(
            f"{f} {json.dumps(a, ensure_ascii=False)} → {json.dumps(b, ensure_ascii=False)}" for f, (a, b) in r.changed.items()))
    else:
        lines.append("Same answer, but rulings behind it moved:")
    lines += [f"note: {n}" for n in r.notes]
    if r.attribution is not None and r.attribution.moves:
        lines += ["", diff.render(r.attribution, "table").rstrip("\n")]
    return "\n".join(lines) + "\n"


def render_json(r: Recheck) -> str:
    doc = {"decision": r.decision.summary(), "same": r.same,
           "changed": {f: {"recorded": a, "today": b} for f, (a, b) in r.changed.items()},
           "reproduced": r.reproduced, "today": r.today, "notes": r.notes,
           "attribution": json.loads(diff.render(r.attribution, "json")) if r.attribution else None}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
