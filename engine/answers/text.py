"""A support agent's answer as plain text that fits one screen: the verdict first, then why, what
must happen first, what is missing, and the clauses quoted in Japanese with an English summary."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

from kiyaku.answers.ask import QUESTIONS
from kiyaku.terms import Terms
from kiyaku.terms.show import view

LABELS = {
    "en": {"answer": "Answer", "why": "Why", "first": "First", "missing": "Missing", "record": "",
           "clauses": "Clauses", "amount": "Amount", "as_of": "as of", "not_yet": "not yet, from",
           "yes": "YES", "no": "NO", "undetermined": "UNDETERMINED", "uncapped": "no cap (liability not limited)"},
    "ja": {"answer": "Answer 回答", "why": "Why 理由", "first": "First 事前に必要なこと", "missing": "Missing 不足している事実",
           "clauses": "Clauses 根拠条項", "amount": "Amount 金額", "as_of": "as of 基準時", "not_yet": "not yet 未到来, from",
           "yes": "YES はい", "no": "NO いいえ", "undetermined": "UNDETERMINED 判断できません",
           "uncapped": "no cap 上限なし (liability not limited)", "record": ""},
}
MODALITY = {"may": "may (not must)", "shall": "shall (a duty)", "shall_not": "shall not"}


def render(answer: dict[str, Any], terms: Terms, lang: str = "en") -> str:
    """The answer for people; `lang` "ja" adds Japanese labels (clause text is always Japanese)."""
    L = LABELS[lang]
    q = QUESTIONS[answer["question"]]
    lines = [f"{q.en}" + (f"  {q.ja}" if lang == "ja" else "") + f" — contract {answer['contract']}, "
             f"{L['as_of']} {answer['as_of']}", ""]
    lines.append(f"{L['answer']}: {_verdict(answer, L)}")
    lines += _why(answer, L)
    if answer.get("requires"):
        lines.append(f"{L['first']}:")
        lines += [f"  - {r}" for r in answer["requires"]]
    if answer["missing"]:
        lines.append(f"{L['missing']}:")
        lines += [_wrap(m, "  - ") for m in answer["missing"]]
    lines += _clauses(answer, terms, L)
    return "\n".join(lines) + "\n"


def _verdict(answer: dict[str, Any], L: dict[str, str]) -> str:
    if "not_yet" in answer:
        return f"{L['no']} — {L['not_yet']} {answer['not_yet']['from']}"
    verdict = L[answer["answer"]]
    if answer["answer"] == "yes" and answer["rulings"]:
        verdict += f" — {answer['rulings'][0]['outcome']}, {MODALITY[answer['rulings'][0]['modality']]}"
    if "amount" in answer and answer["answer"] == "yes":
        amount = answer["amount"]
        verdict += f"; {L['amount']}: " + (L["uncapped"] if amount is None else f"¥{amount:,}")
    return verdict


def _why(answer: dict[str, Any], L: dict[str, str]) -> list[str]:
    rulings = answer["rulings"]
    if answer["answer"] == "no" and "not_yet" not in answer:
        met = [r for r in rulings if r["outcome"] != "not_grounds"]
        text = "no ground applies" + (":" if not met else "") if not met else \
            "; ".join(f"{r['outcome']}: {r['summary']}" for r in met)
        reasons = [] if met else [f"    {r['citations'][0]}: not met — {_not_met(r)}" for r in rulings]
        return [_wrap(text, f"{L['why']}: ")] + reasons
    out = []
    for r in rulings[:3]:
        out.append(_wrap(f"{r['summary']} ({', '.join(r['citations'])}; since {r['at'][:16]})", f"{L['why']}: "))
        if r.get("arithmetic"):
            out += [f"    {s['label']}: {s['expression']} = {s['value']}" for s in r["arithmetic"]]
    return out


def _not_met(ruling: dict[str, Any]) -> str:
    reason = ruling["reasons"][0] if ruling["reasons"] else {}
    return reason.get("not_met", "not met") if isinstance(reason, dict) else str(reason)


def _clauses(answer: dict[str, Any], terms: Terms, L: dict[str, str]) -> list[str]:
    when = date.fromisoformat(answer["as_of"][:10])
    lines = [f"{L['clauses']}:"]
    for citation in answer["citations"][:4]:
        v = view(terms, citation, when)
        lines.append(f"  {citation}  {v['name_ja']}")
        if v["text_in_corpus"]:
            # The provision's own words: a paragraph's items are quoted when they are cited themselves.
            lines.append(_wrap(f"「{terms.provision(citation).text_ja}」", "    ", width=60))
        lines.append(_wrap(v["summary_en"], "    "))
    return lines


def _wrap(text: str, prefix: str, width: int = 100) -> str:
    return textwrap.fill(text, width=width, initial_indent=prefix, subsequent_indent=" " * len(prefix))
