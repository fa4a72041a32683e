"""The answer model as text for a terminal. By default it fits one screen (80×24, or the terminal's
width): the state of the contract, the verdict, why, what must happen first, what is missing, and the
clauses each with one quoted sentence. `full` prints every ground looked at and every clause in full.
In Japanese (`lang="ja"`) every text is the Japanese one. Nothing is decided here, and nothing is
said twice."""

from __future__ import annotations

import json
import re

from kiyaku.answers.fit import clip, columns, wrap
from kiyaku.answers.model import Answer, Clause, Condition, MissingFact, NotMet, Step, Text
from kiyaku.answers.phrases import LABELS

HEIGHT = 23  # one screen of 24 lines, leaving the prompt's line


def render(answer: Answer, lang: str = "en", width: int = 80, full: bool = False) -> str:
    """The answer in `lang`, `width` columns wide; one screen unless `full`: when it would run
    longer, the arithmetic is cut to its last steps, then the longer texts to their first lines."""
    for level in range(1 if full else len(SHORTER)):
        lines = _Text(answer, lang, width, full, level).lines()
        if full or len(lines) <= HEIGHT:
            break
    return "\n".join(lines) + "\n"


# By level of shortening: how many arithmetic steps are shown, how many lines a long text may take.
SHORTER = ((None, None), (3, None), (3, 2), (1, 1))


class _Text:
    def __init__(self, answer: Answer, lang: str, width: int, full: bool, level: int = 0) -> None:
        self.a, self.lang, self.width, self.full = answer, lang, width, full
        self.L = LABELS[lang]
        self.max_steps, self.max_lines = SHORTER[level]

    def t(self, text: Text) -> str:
        return text.get(self.lang)

    def para(self, label: str, text: str, indent: str = "  ") -> list[str]:
        """A labelled paragraph: continued under its text, or two spaces in when the label is long."""
        first = f"{label}: " if label else indent
        return clip(text, self.width, self.max_lines or 99, first, None if columns(first) <= 10 else "  ")

    def paren(self, text: str) -> str:
        return f"（{text}）" if self.lang == "ja" else f" ({text})"

    def lines(self) -> list[str]:
        a = self.a
        head = self.para("", f"{self.t(a.title)} — {a.contract}, {a.agreement}, "
                             f"{self.L['as_of']} {when(a.as_of)}", "")
        body = self.state() + self.verdict() + self.why() + self.first() + self.missing()
        out = head + body
        if a.verdict == "no" and not a.not_yet:
            out += self.why_not(HEIGHT - len(out))
        shown = {n.citations[0] for n in a.why_not} if not self.full else set()
        out += self.clauses([c for c in a.clauses if c.citation not in shown], HEIGHT - len(out))
        return out

    def state(self) -> list[str]:
        out: list[str] = []
        for s in self.a.state:
            cites = f" [{', '.join(s.citations)}]" if s.citations else ""
            text = self.t(s.detail or s.text)
            out += clip(f"{self.L['since'].format(t=when(s.since))}: {text}{cites}", self.width,
                        self.max_lines or 99, f"{self.L['now']}: " if not out else "  ", "  ")
        return out

    def verdict(self) -> list[str]:
        a, L = self.a, self.L
        if a.not_yet:
            n = a.not_yet
            text = f"{L['not_yet']} — " + L["then"].format(t=when(n.at), consequence=self.t(n.consequence)) + \
                f" [{', '.join(n.citations)}]"
        elif a.verdict == "yes":
            r = a.why[0]
            text = f"{L['yes']} — {self.t(r.consequence)}" + self.amount() + self.paren(L['since'].format(t=when(r.since)))
        elif a.verdict == "undetermined":
            text = f"{L['undetermined']} — {L['turns_on']}:"
        else:
            text = L["no"] + (f" — {self.t(a.why[0].consequence)}" if a.why else "") + self.amount()
        return self.para(L["answer"], text)

    def amount(self) -> str:
        a = self.a
        if not a.monetary or a.verdict == "undetermined":
            return ""
        shown = self.L["uncapped"] if a.amount is None else f"¥{a.amount:,}"
        return f"; {self.L['amount']}: {shown}"

    def why(self) -> list[str]:
        a, L = self.a, self.L
        out: list[str] = []
        if a.not_yet:
            out += self.para(L["why"], L["needs"].format(lacks=self.t(a.not_yet.lacks)))
            if a.not_yet.now:
                out += wrap(f"{L['until_now']}:", self.width, "  ")
            out += self.steps(a.not_yet.now)
            if a.monetary:
                out += wrap(L["nothing_owed"], self.width, "  ")
        for r in a.why:
            out += self.para(L["why"] if not out else "", f"{self.t(r.summary)} [{', '.join(r.citations)}]")
            out += self.steps(r.arithmetic)
        for c in a.conditions:
            out += self.condition(c)
        if a.none_recorded:
            out += self.para(L["why"], L["none_recorded"].format(events=", ".join(a.none_recorded)))
        return out

    def steps(self, steps: tuple[Step, ...]) -> list[str]:
        out: list[str] = []
        if self.max_steps is not None and len(steps) > self.max_steps:
            hidden = len(steps) - self.max_steps
            out += wrap(f"… (+{hidden}; --full)", self.width, "    ")
            steps = steps[hidden:]
        for s in steps:
            out += wrap(f"{self.t(s.label)}: {step_text(s)}", self.width, "    ")
        return out

    def condition(self, c: Condition) -> list[str]:
        cites = f" [{', '.join(c.citations)}]"
        said = if_recorded(c, self.lang)
        text = said + cites if said else f"{self.t(c.consequence)}{cites} — {self.L['undecided']}"
        return wrap(text, self.width, "  - ")

    def first(self) -> list[str]:
        out: list[str] = []
        for r in self.a.first:
            if r.kind == "period":
                out += self.para(self.L["period"], self.t(r.text))
                continue
            if r.kind == "no_notice":
                out += self.para(self.L["first"], f"{self.L['no_notice']} — {self.t(r.text)}")
                continue
            cites = f" [{', '.join(r.citations)}]" if r.citations else ""
            missed = f" — {when(r.missed_since)}: {self.L['owed']}" if r.missed_since else ""
            out += self.para(self.L["first"], f"{self.t(r.text)}{cites}{missed}")
        return out

    def missing(self) -> list[str]:
        if not self.a.missing:
            return []
        out = [f"{self.L['missing']}{self.paren(self.L['record'])}:"]
        for m in self.a.missing:
            out += wrap(self.t(m.text), self.width, "  - ")
        return out

    def why_not(self, room: int) -> list[str]:
        """Each ground looked at, one line each (as many as fit), the rest by id."""
        items = self.a.why_not
        if not items:
            return []
        out = [f"{self.L['why_not']}:"]
        if self.full:
            for n in items:
                out += wrap(self.not_met(n), self.width, "  ")
            return out
        room = max(room - 3, 2)  # leave room for the clauses' heading and a line of them
        whole = items if len(items) <= room else items[: room - 1]
        each = max(1, min(3, room // len(whole)))
        for n in whole:
            out += clip(self.not_met(n), self.width, each, "  ", "    ")
        rest = items[len(whole):]
        if rest:
            out += clip(f"+{len(rest)}: " + ", ".join(n.citations[0] for n in rest), self.width, 2, "  ")
        return out

    def not_met(self, n: NotMet) -> str:
        """What a ground lacks, and when it held before if it no longer does."""
        held = [self.L["was_met"].format(start=when(w["from"]), end=when(w["until"])) for w in n.was_met]
        return f"{n.citations[0]}: {self.t(n.lacks)}" + "".join(self.paren(h) for h in held)

    def clauses(self, clauses: list[Clause], room: int) -> list[str]:
        if not clauses:
            return []
        out = [f"{self.L['clauses']}:"]
        if self.full:
            for c in clauses:
                out += wrap(f"{c.citation}  {c.name_ja}", self.width, "  ")
                out += wrap(c.text_ja or self.L["no_text"], self.width, "    ")
                if self.lang == "en":
                    out += wrap(c.summary_en, self.width, "    ")
            return out
        room -= 1
        each = 2 if room >= 2 * len(clauses) else 1
        shown = clauses if room >= len(clauses) else clauses[: max(room - 1, 0)]
        for c in shown:
            quote = f"「{c.quote_ja.rstrip('。')}」" if c.quote_ja else ""
            out += clip(f"{c.citation} {c.name_ja} {quote}".rstrip(), self.width, each, "  ", "    ",
                        close="」" if quote else "")
        rest = clauses[len(shown):]
        if rest:
            out += clip(", ".join(c.citation for c in rest) + f" (+{len(rest)}; --full)", self.width, 1, "  ")
        elif len(out) - 1 < sum(len(wrap(c.text_ja or '', self.width)) for c in clauses):
            out += [self.L["full"]] if len(out) < room + 1 else []
        return out


def if_recorded(c: Condition, lang: str) -> str | None:
    """An undetermined ground as a condition: "if F recorded V on the E event: what follows"; None when
    a fact it turns on is not one its rule names by field (it is then undecided until recorded)."""
    facts = [m for m in c.missing if m.field]
    if not facts or len(facts) != len(c.missing):
        return None
    L = LABELS[lang]
    said = L["and"].join(L["record_as"].format(field=m.field, event=m.event, value=value(m)) for m in facts)
    return L["holds_if"].format(conditions=said, consequence=c.consequence.get(lang))


def when(iso: str) -> str:
    """2025-07-03T09:00:00+09:00 as 2025-07-03 09:00+09:00 (the offset kept, the seconds when zero dropped)."""
    day, _, rest = iso.partition("T")
    clock, offset = rest[:8], rest[8:]
    return f"{day} {clock[:5] if clock.endswith(':00') else clock}{offset}"


def value(m: MissingFact) -> str:
    v = m.holds_if
    if isinstance(v, dict):
        (op, arg), = v.items()
        if op == "in":
            return " / ".join(json.dumps(x, ensure_ascii=False).strip('"') for x in arg)
        return f"{op} {json.dumps(arg, ensure_ascii=False)}"
    return json.dumps(v, ensure_ascii=False).strip('"')


def step_text(s: Step) -> str:
    """A step as read aloud: a given figure, a comparison, or an expression and its exact value."""
    if re.fullmatch(r"[A-Za-z ]+", s.expression):  # "given", "national law": where it came from, said by the label
        return _figure(s.value)
    numbers = re.findall(r"[\d,]+", s.expression)
    if any(op in s.expression for op in "<>≤≥") or s.expression.endswith(s.value) or \
            (numbers and numbers[-1].replace(",", "") == s.value):
        return s.expression
    return f"{s.expression} = {_figure(s.value)}"


def _figure(exact: str) -> str:
    """An exact value: an integer with thousands separators, a fraction as it is (n/d)."""
    return f"{int(exact):,}" if exact.lstrip("-").isdigit() else exact
