"""A case as a lawyer reads it: the contract, what happened, what the terms say about it, and why.

Everything here is plain data (dicts and lists of strings) so that the HTML and Markdown templates
only lay it out; no template decides anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from kiyaku.errors import InputError
from kiyaku.replay.events import Event, Stream
from kiyaku.report.provenance import Provenance
from kiyaku.terms import Terms
from kiyaku.terms.show import view

# Plain-English headlines for the outcome vocabulary; an outcome not listed is shown by its own name.
OUTCOMES = {
    "may_suspend": "The provider may suspend the service",
    "must_suspend": "The provider shall suspend the service",
    "may_terminate": "The provider may terminate the contract",
    "must_terminate": "The provider shall terminate the contract",
    "may_refuse": "The provider may refuse the application",
    "must_refuse": "The provider shall refuse the application",
    "must_accept": "The provider shall accept the application",
    "may_interrupt": "The provider may interrupt the service",
    "must_interrupt": "The provider shall interrupt the service",
    "notice_missing": "A notice the terms require was not given",
    "capped": "The provider's liability is capped",
    "uncapped": "The provider's liability is not capped",
    "excluded": "The provider's liability is excluded",
    "exempt": "The fee is exempted",
    "payable": "{kind} is payable",
    "not_grounds": "Does not apply",
    "undetermined": "Undetermined",
}
MODALITIES = {"may": "may (〜することがあります / できます)",
              "shall": "shall (〜します / 〜とします)",
              "shall_not": "shall not (〜しません / 〜してはなりません)"}
NOTICE_REQUIRED = {"before": "Prior notice required", "none": "No notice required",
                   "after": "Notice required afterwards", "promptly": "Prompt notice required"}
# Ruling fields the templates lay out themselves; any other field is listed under "other details" so
# that a field added to rulings later is never silently dropped from a report.
SHOWN = {"contract", "agreement", "version", "version_label", "kind", "ground", "outcome", "modality", "at",
         "amount", "citations", "summary", "reasons", "missing", "period", "notice", "decisions", "arithmetic"}
APPLIES, UNDETERMINED, NOT_APPLY = "applies", "undetermined", "not_apply"


@dataclass
class Case:
    contract: str
    agreement: dict[str, Any]
    version: dict[str, Any]
    as_of: str
    events: list[dict[str, Any]]
    later_events: int
    applies: list[dict[str, Any]]
    undetermined: list[dict[str, Any]]
    not_apply: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    notes: list[str]
    provenance: Provenance

    @property
    def glance(self) -> list[str]:
        """One line per ruling that applies, for the first page."""
        return [r["headline_line"] for r in self.applies]


def when(value: datetime | str) -> str:
    """2025-07-03 09:00 +09:00: a time a reader can scan, with its offset as the spec requires."""
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    offset = t.strftime("%z")
    return f"{t:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def words(name: str) -> str:
    return name.replace("_", " ")


def scalar(value: Any) -> str:
    """An event field's value as the event file wrote it (true/false, not Python's True/False)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def yen(value: int) -> str:
    return f"¥{value:,}"


def build_case(terms: Terms, stream: Stream, rulings: list[dict[str, Any]], as_of: datetime,
               provenance: Provenance, notes: list[str] | tuple[str, ...] = ()) -> Case:
    """The report of one contract: `rulings` are that contract's, as `kiyaku.replay.judge` gives them."""
    agreement = terms.agreements[stream.agreement]
    events = [_event(n, e, as_of) for n, e in enumerate(stream.events, 1)]
    by_source = {e["source"]: e["n"] for e in events}
    # Numbered in reading order: what applies, then what is undetermined, then what does not apply.
    ordered = sorted(rulings, key=lambda r: (APPLIES, UNDETERMINED, NOT_APPLY).index(_group(r)))
    quoter = _Quoter(terms)
    shown = [_ruling(n, r, _group(r), quoter, by_source) for n, r in enumerate(ordered, 1)]
    version = agreement.version_at(as_of.date())
    notices = _notices(shown, events, quoter)
    _quote_once(shown, notices)
    return Case(
        contract=stream.contract,
        agreement={"id": agreement.id, "title_ja": agreement.title_ja, "title_en": agreement.title_en,
                   "provider": agreement.provider},
        version=_version(agreement, version, as_of.date()),
        as_of=when(as_of),
        events=[e for e in events if e["considered"]],
        later_events=sum(not e["considered"] for e in events),
        applies=[r for r in shown if r["group"] == APPLIES],
        undetermined=[r for r in shown if r["group"] == UNDETERMINED],
        not_apply=[r for r in shown if r["group"] == NOT_APPLY],
        notices=notices,
        decisions=_decisions(shown),
        notes=list(notes),
        provenance=provenance,
    )


def _group(r: dict[str, Any]) -> str:
    if r["outcome"] == "undetermined":
        return UNDETERMINED
    return NOT_APPLY if r["outcome"] == "not_grounds" else APPLIES


def _version(agreement: Any, version: Any, day: date) -> dict[str, Any]:
    if version is None:
        first = agreement.versions[0]
        return {"label": None, "effective": None,
                "note": f"No version in the corpus was in force on {day}; the first takes effect {first.effective}."}
    note = {"derived": f"{version.label}'s own text is not in the corpus; it is read with the changes "
                       "its 附則 records.",
            "not_in_corpus": f"The text of {version.label} is not in the corpus."}.get(version.text)
    return {"label": version.label, "effective": version.effective.isoformat(), "note": note}


def _event(n: int, e: Event, as_of: datetime) -> dict[str, Any]:
    explicit_id = None if e.id.startswith(f"{e.type}@") else e.id
    fields = [(k, scalar(v)) for k, v in e.fields.items() if k != "note"]
    return {"n": n, "time": when(e.time), "type": e.type, "id": explicit_id, "fields": fields,
            "note": scalar(e.fields["note"]) if "note" in e.fields else None, "source": e.where,
            "considered": e.time <= as_of}


class _Quoter:
    """Quotes provisions through `kiyaku terms show`'s view, once per provision, date and form."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self.cache: dict[tuple[str, date, bool], dict[str, Any]] = {}

    def __call__(self, citation: str, day: date, chapeau: bool = False) -> dict[str, Any]:
        key = (citation, day, chapeau)
        if key not in self.cache:
            self.cache[key] = self._quote(citation, day, chapeau)
        return self.cache[key]

    def _quote(self, citation: str, day: date, chapeau: bool) -> dict[str, Any]:
        try:
            v = view(self.terms, citation, day)
        except InputError as exc:
            return {"id": citation, "name_ja": citation, "heading": None, "heading_en": None, "text_ja": None,
                    "chapeau": False, "summary_en": None, "version_label": None,
                    "notes": [f.message for f in exc.findings]}
        text = v["text_ja"]
        own = self.terms.provision(citation).text_ja
        # A paragraph cited beside one of its own items is quoted by its opening words (柱書) alone: the
        # item is quoted in full beside it, and the other items are not in point.
        chapeau = chapeau and bool(own) and bool(v["provisions"]) and text is not None
        heading = v["heading_ja"] or next((p["heading_ja"] for p in reversed(v["parents"]) if p["heading_ja"]), None)
        heading_en = v["heading_en"] or next((p["heading_en"] for p in reversed(v["parents"]) if p["heading_en"]), None)
        return {"id": citation, "name_ja": v["name_ja"], "heading": heading, "heading_en": heading_en,
                "text_ja": own if chapeau else text, "chapeau": chapeau, "summary_en": v["summary_en"],
                "version_label": v["version_label"], "notes": v["notes"]}

    def all(self, citations: list[str], day: date) -> list[dict[str, Any]]:
        return [self(c, day, chapeau=any(o != c and o.startswith(c + ".") for o in citations)) for c in citations]


def _ruling(n: int, r: dict[str, Any], group: str, quote: _Quoter, by_source: dict[str, int]) -> dict[str, Any]:
    day = datetime.fromisoformat(r["at"]).date()
    headline = OUTCOMES.get(r["outcome"], words(r["outcome"]).capitalize()).format(kind=words(r["kind"]).capitalize())
    amount = yen(r["amount"]) if isinstance(r.get("amount"), int) else None
    arithmetic = [_step(i, s) for i, s in enumerate(r.get("arithmetic") or [], 1)]
    step_cites = [c for s in arithmetic for c in s["cites"] if c not in r["citations"]]
    first = quote(r["citations"][0], day) if r["citations"] else None
    quotes, terms_notes = _hoist(quote.all(r["citations"], day))
    return {
        "n": n, "anchor": f"ruling-{n}", "group": group, "raw": r,
        "kind": words(r["kind"]), "ground": r.get("ground"), "outcome": r["outcome"], "headline": headline,
        "headline_line": (f"{headline}: {first['name_ja']} ({r['citations'][0]})" if first else headline)
                         + (f", {amount}" if amount else "") + f", from {when(r['at'])}",
        "modality": MODALITIES.get(r["modality"], r["modality"]), "at": when(r["at"]),
        "version_label": r.get("version_label") or r.get("version") or "—", "version": r.get("version"),
        "summary": r.get("summary"), "citations": r["citations"], "quotes": quotes, "terms_notes": terms_notes,
        "reasons": [_reason(x, by_source) for x in r.get("reasons", [])],
        "missing": list(r.get("missing") or []), "period": _period(r.get("period")),
        "notice": r.get("notice"), "decisions": list(r.get("decisions") or []),
        "arithmetic": arithmetic, "amount": amount,
        "step_quotes": [quote(c, day) for c in dict.fromkeys(step_cites)],
        "other": [(k, scalar(v)) for k, v in r.items() if k not in SHOWN and v not in (None, [], {})],
    }


def _quote_once(shown: list[dict[str, Any]], notices: list[dict[str, Any]]) -> None:
    """A clause is quoted in full where the memo first cites it; a later quote of the same text (a
    chapeau shared by several items, the notice clause of a ruling and of its duty) points back there.
    The grounds that do not apply keep their own quotes: they are shown apart, and only on request."""
    first: dict[tuple, dict[str, Any]] = {}
    holders = [(r, key, f"ruling {r['n']}", r["anchor"]) for r in shown if r["group"] != NOT_APPLY
               for key in ("quotes", "step_quotes")]
    holders += [(d, "quotes", f"the notice duty of ruling {d['ruling']['n']}", "notices") for d in notices]
    for holder, key, label, anchor in holders:
        quotes = []
        for q in holder[key]:
            seen = first.setdefault((q["id"], q["version_label"], q["chapeau"], q["text_ja"]),
                                    {"label": label, "anchor": anchor})
            quotes.append(q if seen["anchor"] == anchor and seen["label"] == label else q | {"supra": seen})
        holder[key] = quotes


def _hoist(quotes: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Notes about the version (not naming the provision) once per ruling, rather than under every quote."""
    general = list(dict.fromkeys(n for q in quotes for n in q["notes"] if q["id"] not in n))
    return [q | {"notes": [n for n in q["notes"] if n not in general]} for q in quotes], general


def _step(i: int, s: dict[str, Any]) -> dict[str, Any]:
    return {"n": i, "label": s.get("label", ""), "expression": scalar(s.get("expression", "")),
            "value": _number(s.get("value")), "cites": list(s.get("cites") or [])}


def _number(value: Any) -> str:
    """6,578 for an integer; an exact fraction keeps its exact form, with a decimal beside it to read."""
    text = scalar(value)
    if isinstance(value, bool):
        return text
    if re.fullmatch(r"-?\d+", text):
        return f"{int(text):,}"
    if re.fullmatch(r"-?\d+/[1-9]\d*", text):
        exact = Fraction(text)
        # Decimal, not float: even a figure shown only to be read stays exact to its last digit.
        shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.0001"))
        sign = "=" if shown == exact else "≈"
        return f"{text} ({sign} {f'{shown:,}'.rstrip('0').rstrip('.')})"
    return text


def _period(period: dict[str, Any] | None) -> str | None:
    if not period:
        return None
    parts = [period["until"]] if "until" in period else []
    if "max_months" in period:
        parts.append(f"for at most {period['max_months']} months")
    return "; ".join(parts) or scalar(period)


def _reason(x: dict[str, Any], by_source: dict[str, int]) -> dict[str, Any]:
    """A fact relied on (or a condition not met), with the timeline numbers of the events behind it."""
    if "not_met" in x:
        text = f"Not met: {x['not_met']}."
        refs: list[int] = []
        if "not_in_force" in x:
            text += f" {x['not_in_force']}."
        if "was_met" in x:
            was = x["was_met"]
            text += f" It was met from {when(was['from'])} until {when(was['until'])}"
            ended = was.get("ended_by")
            if ended:
                text += f", ended by {words(ended['fact'])}"
                refs = _refs(ended, by_source)
            text += "."
        return {"text": text, "refs": refs}
    if "fact" in x:
        origin = ""
        if "from_events" in x:
            origin = ", drawn from " + ", ".join(f"{words(e['type'])} {e['event']}" for e in x["from_events"])
        return {"text": f"{words(x['fact']).capitalize()} at {when(x['time'])}{origin}.", "refs": _refs(x, by_source)}
    return {"text": scalar(x), "refs": []}


def _refs(x: dict[str, Any], by_source: dict[str, int]) -> list[int]:
    sources = [x["source"]] if "source" in x else [e["source"] for e in x.get("from_events", [])]
    return [by_source[s] for s in sources if s in by_source]


def _notices(shown: list[dict[str, Any]], events: list[dict[str, Any]], quote: _Quoter) -> list[dict[str, Any]]:
    """Each notice duty of a ground that applies (or may apply), and whether the rules found it met."""
    checks = [r for r in shown if r["raw"]["kind"] == "notice"]
    out = []
    for r in shown:
        notice = r["notice"]
        if r["group"] == NOT_APPLY or not notice:
            continue
        cites = list(notice.get("citations") or [])
        day = datetime.fromisoformat(r["raw"]["at"]).date()
        kind = r["raw"]["kind"]
        acted = any(e["type"] in (f"{kind}_started", kind) for e in events if e["considered"])
        status, detail, by = _notice_status(notice, cites, checks, acted, words(kind))
        on_record = [e["n"] for e in events
                     if e["type"] == "notice_sent" and dict(e["fields"]).get("about") == r["raw"]["kind"]]
        out.append({
            "ruling": r, "required": NOTICE_REQUIRED.get(notice.get("required"), scalar(notice.get("required"))),
            "contents": list(notice.get("contents") or []), "excused_by": notice.get("excused_by"),
            "explanation": notice.get("explanation"), "quotes": [quote(c, day) for c in cites],
            "status": status, "detail": detail, "checked_by": by, "on_record": on_record,
        })
    return out


def _notice_status(notice: dict[str, Any], cites: list[str], checks: list[dict[str, Any]], acted: bool,
                   kind: str) -> tuple[str, str, dict[str, Any] | None]:
    """(status, detail, the notice ruling that decided it): from the rulings of kind `notice` alone."""
    if notice.get("required") == "none":
        return "not required", "", None
    check = next((c for c in checks if set(c["citations"]) & set(cites)), None)
    if check is None:
        return "not assessed", "No rule checks this duty; read the timeline against the clause.", None
    if check["group"] == APPLIES:
        return "NOT MET", check["summary"] or check["headline"], check
    if check["group"] == UNDETERMINED:
        return "undetermined", "; ".join(check["missing"]), check
    # No breach found: if the provider acted, the notice was given or the case excused it; else not yet due.
    requirement = next((x["not_met"] for x in check["raw"].get("reasons", []) if "not_met" in x), None)
    looked_for = f" (the rules look for {requirement})" if requirement else ""
    if acted:
        return "met or excused", f"no breach found{looked_for}", check
    return "not yet due", f"no {kind} has started; the duty arises before one does", check


def _decisions(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each product decision once, with the rulings that rely on it."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for r in shown:
        for d in r["decisions"]:
            by_text.setdefault(d, []).append(r)
    return [{"text": d, "rulings": rs} for d, rs in by_text.items()]
