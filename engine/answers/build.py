"""The answer model assembled from the engine's rulings and state for one question. What it says is
what the rulings say: a verdict from their outcomes, the texts from the rules that made them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiyaku.answers.model import (Answer, Clause, Condition, MissingFact, NotMet, NotYet, Reason, Requirement,
                                  StateItem, Step, Text)
from kiyaku.answers.phrases import NOTICE_CONTENTS, consequence
from kiyaku.rules.model import Ground
from kiyaku.terms import Terms
from kiyaku.terms.show import full_text, japanese_name

if TYPE_CHECKING:
    from kiyaku.answers.ask import Question
    from kiyaku.replay.events import Stream
    from kiyaku.replay.judge import Judge

CLOSED = ("not_grounds", "undetermined")


def answer(q: Question, judge: Judge, stream: Stream, as_of: datetime, state: list[dict[str, Any]],
           now: list[dict[str, Any]], coming: list[dict[str, Any]]) -> Answer:
    """`now`: the question's rulings as of `as_of`; `coming`: those time alone will bring (asked for
    only when nothing holds and nothing is undetermined now); `state` as the engine decided it."""
    grounds = {g.id: g for g in judge.book.grounds}
    items = tuple(_state_item(s, grounds) for s in state)
    yes = [r for r in now if r["outcome"] in q.yes]
    undetermined = [r for r in now if r["outcome"] == "undetermined"]
    other = [r for r in now if r["outcome"] not in q.yes and r["outcome"] not in CLOSED]
    version = judge.terms.agreements[stream.agreement].version_at(as_of.date())
    fields: dict[str, Any] = dict(
        question=q.name, title=Text(q.en, q.ja), contract=stream.contract, agreement=stream.agreement,
        version=version.effective.isoformat() if version else "", as_of=as_of.isoformat(), monetary=q.monetary,
        state=items, why=tuple(_reason(r, grounds) for r in other))
    if yes:
        chosen = _strongest(yes)
        fields.update(verdict="yes", amount=_total(yes), rulings=tuple(yes), citations=_citations(yes),
                      why=tuple(_reason(r, grounds) for r in [chosen] + [r for r in yes if r is not chosen]),
                      first=_first(chosen, items))
    elif coming:
        first = min(coming, key=lambda r: r["at"])
        g = grounds.get(first["ground"])
        fields.update(verdict="no", amount=0, rulings=(first,), citations=tuple(first["citations"]),
                      first=_first(first, items), not_yet=NotYet(
                          first["at"], first["ground"], tuple(first["citations"]), _consequence(first),
                          _text(g.requires, g, "requires") if g else Text(first["ground"]),
                          _steps(first.get("arithmetic"))))
    elif undetermined:
        conditions = tuple(_condition(r, grounds.get(r["ground"])) for r in undetermined)
        seen: dict[str, MissingFact] = {}
        for c in conditions:
            for m in c.missing:
                seen.setdefault(m.text.en, m)
        fields.update(verdict="undetermined", amount=None, rulings=tuple(undetermined),
                      citations=_citations(undetermined), conditions=conditions, missing=tuple(seen.values()))
    else:
        # No ground looked at all: say which events the question's grounds look for.
        looks_for = sorted({t for g in judge.book.grounds if g.kind in q.kinds and stream.agreement in g.agreements
                            for t in g.considered_if}) if not now else []
        fields.update(verdict="no", amount=0, rulings=tuple(now), none_recorded=tuple(looks_for),
                      citations=tuple(dict.fromkeys(r["citations"][0] for r in now)),
                      why_not=tuple(_not_met(r, grounds.get(r["ground"])) for r in now
                                    if r["outcome"] == "not_grounds"))
    if not q.monetary:
        fields["amount"] = None
    cited = list(fields["citations"]) + [c for r in fields.get("first", ()) for c in r.citations] + \
        [c for s in items for c in s.citations]
    return Answer(clauses=_clauses(judge.terms, list(dict.fromkeys(cited)), as_of), **fields)


def _text(en: str, g: Ground | None, key: str) -> Text:
    return Text(en, g.ja.get(key) if g else None)


def _consequence(r: dict[str, Any]) -> Text:
    return Text(*consequence(r["kind"], r["outcome"], r["modality"]))


def _steps(arithmetic: list[dict[str, Any]] | None) -> tuple[Step, ...]:
    return tuple(Step(Text(s["label"], s.get("label_ja")), s["expression"], s["value"], tuple(s["cites"]))
                 for s in arithmetic or ())


def _reason(r: dict[str, Any], grounds: dict[str, Ground]) -> Reason:
    g = grounds.get(r["ground"])
    return Reason(r["ground"], r["outcome"], r["modality"], r["at"], tuple(r["citations"]),
                  _text(r["summary"], g, "summary"), _consequence(r), r.get("amount"), _steps(r.get("arithmetic")))


def _condition(r: dict[str, Any], g: Ground | None) -> Condition:
    # The ruling is undetermined; what would follow is what its ground yields when it holds.
    outcome = g.outcome if g else r["outcome"]
    missing_ja = r.get("missing_ja") or [None] * len(r["missing"])
    return Condition(r["ground"], outcome, r["modality"], tuple(r["citations"]),
                     Text(*consequence(r["kind"], outcome, r["modality"])),
                     tuple(_missing_fact(text, ja, g) for text, ja in zip(r["missing"], missing_ja)))


def _clean(text: str | None) -> str | None:
    """A text as written in rules/, without the line break a YAML block scalar may end in."""
    return text.strip() if text else text


def _missing_fact(text: str, ja: str | None, g: Ground | None) -> MissingFact:
    """The fact, and where the rule names it, its field, its event and the value its ground needs."""
    ref = next((k for k, v in g.unknown.items() if v == text), None) if g else None
    said = Text(_clean(text) or "", _clean(ja))
    if ref is None:
        return MissingFact(said)
    alias, name = ref.split(".", 1)
    pattern = next(p for p in g.when if p.alias == alias)
    return MissingFact(said, name, pattern.fact, pattern.where.get(name))


def _not_met(r: dict[str, Any], g: Ground | None) -> NotMet:
    reasons = [x for x in r["reasons"] if isinstance(x, dict)]
    lacks = _text(g.requires, g, "requires") if g else Text(str(reasons[0].get("not_met", "")) if reasons else "")
    return NotMet(r["ground"], tuple(r["citations"]), lacks,
                  tuple({"from": x["was_met"]["from"], "until": x["was_met"]["until"]}
                        for x in reasons if "was_met" in x),
                  tuple(x["not_in_force"] for x in reasons if "not_in_force" in x))


def _state_item(s: dict[str, Any], grounds: dict[str, Ground]) -> StateItem:
    g = grounds.get(s.get("ground", ""))
    return StateItem(s["state"], s["since"], tuple(s["citations"]), Text(s["summary"], s["summary_ja"]),
                     _text(g.summary, g, "summary") if g else None)


def _first(r: dict[str, Any], state: tuple[StateItem, ...]) -> tuple[Requirement, ...]:
    """What must happen first: the notice the agreement requires (and whether the state shows it was
    owed and not given), and the period the ruling states."""
    out = []
    notice = r.get("notice") or {}
    if notice.get("required") == "before":
        contents = notice.get("contents", [])
        en = f"prior notice to the customer of {', '.join(contents) or 'the measure'}" + (
            f" (not needed in an {notice['excused_by']})" if notice.get("excused_by") else "")
        ja = notice.get("explanation_ja") or "あらかじめ契約者に{}を通知すること".format(
            "、".join(NOTICE_CONTENTS.get(c, (c, c))[1] for c in contents) or "その旨")
        cites = tuple(notice.get("citations", []))
        missed = next((s.since for s in state if s.state == "notice_duty_not_met" and set(s.citations) & set(cites)),
                      None)
        out.append(Requirement("notice", Text(en, ja), cites, missed))
    elif notice.get("required") == "none" and notice.get("explanation"):
        # Said, because an agent would otherwise ask: no prior notice is needed here, and why.
        out.append(Requirement("no_notice", Text(notice["explanation"], notice.get("explanation_ja")),
                               tuple(notice.get("citations", []))))
    period = r.get("period") or {}
    if period:
        en_parts = [period["until"]] if "until" in period else []
        ja_parts = [period.get("until_ja") or period["until"]] if "until" in period else []
        if "max_months" in period:
            en_parts.append(f"at most {period['max_months']} months")
            ja_parts.append(f"{period['max_months']}ヶ月以内")
        out.append(Requirement("period", Text(", ".join(en_parts), "、".join(ja_parts))))
    return tuple(out)


def _clauses(terms: Terms, citations: list[str], as_of: datetime) -> tuple[Clause, ...]:
    out = []
    for citation in citations:
        agreement = terms.agreements[citation.split(":", 1)[0]]
        provision = agreement.provisions[citation]
        version = agreement.version_at(as_of.date())
        full = full_text(agreement, provision, version) if version and version.has_text else None
        own = provision.text_ja if provision.text_in_corpus else None
        out.append(Clause(citation, japanese_name(agreement, provision), full, first_sentence(own) if own else None,
                          provision.summary_en))
    return tuple(out)


def first_sentence(text: str) -> str:
    """Up to the first 。 outside brackets (a parenthesis may hold sentences of its own)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（「(『":
            depth += 1
        elif ch in "）」)』":
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0:
            return text[: i + 1]
    return text


def _strongest(rulings: list[dict[str, Any]]) -> dict[str, Any]:
    """A duty (shall) before a permission (may); then the earliest."""
    return sorted(rulings, key=lambda r: (r["modality"] != "shall", r["at"]))[0]


def _citations(rulings: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for r in rulings for c in r["citations"]))


def _total(rulings: list[dict[str, Any]]) -> int | None:
    """The sum owed; None when any part has no cap (liability without limit)."""
    if any(r.get("amount") is None for r in rulings):
        return None
    return sum(r["amount"] for r in rulings)
