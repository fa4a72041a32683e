"""terms/ against the source documents: nothing missing, nothing invented.

These checks read the sources with their own simple rules, independent of tools/draft_provisions.py.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from kiyaku.terms import Terms

ROOT = Path(__file__).resolve().parent.parent
AGREEMENTS = ["smacom", "ts-cloudphone", "abphone"]

# Lines the agreements use as structure, not text: they carry no provision of their own.
STRUCTURAL = {"別記", "料金表", "通則", "附則", "以上", "別表(料金表)", "別紙"}


def normalise(text: str) -> str:
    """Fold what the PDF conversion added: white space, Markdown marks, HTML tags, bullets, widths."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"(?m)^[-\t ]{3,}$", "", text)  # Markdown table rules
    text = re.sub(r"(?m)^\s*(?:#+\s*|-\s+)", "", text)
    text = text.replace("**", "")
    text = re.sub(r"(?m)^\s*-\s+", "", text)
    return re.sub(r"\s+", "", text)


def source_body(agreement: str) -> str:
    """The source from its first article on (the cover and the table of contents are metadata)."""
    text = (ROOT / "terms" / agreement / "source" / f"{agreement}.ja.txt").read_text("utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.search(r"第\s*1\s*条", line) and "\t" not in line
                 or re.match(r"^##\s*第1章", line) or re.match(r"^\(約款の適用\)", line))
    return "\n".join(lines[start:])


def source_articles(agreement: str) -> set[str]:
    found = set()
    for line in source_body(agreement).splitlines():
        line = re.sub(r"^[#*\s]+|\*+$", "", line)
        line = re.sub(r"^[（(][^）)]*[）)]\s*(?=第)", "", line)  # ts-cloudphone's 「（閲覧）第38条」
        m = re.match(r"^第\s*([\d ]+?)\s*条(?:\s*の\s*(\d+))?(?=\s*[（(]|\s)", line)
        if m:
            number = m[1].replace(" ", "")
            found.add(number + (f"-{m[2]}" if m[2] else ""))
    return found


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_articles_match_the_source(terms: Terms, agreement: str) -> None:
    ours = {p.id.split(":")[1] for p in terms.agreements[agreement].provisions.values()
            if p.parent is None and re.fullmatch(r"\d+(-\d+)?", p.id.split(":")[1])}
    assert ours == source_articles(agreement)


def test_article_counts_are_what_the_documents_hold(terms: Terms) -> None:
    # Counted by hand in the sources: smacom 第1条–第38条 plus 第13条の2 and 第32条の2;
    # the other two 第1条–第39条 plus 第35条の2, の3, の4.
    assert len(source_articles("smacom")) == 40
    assert len(source_articles("ts-cloudphone")) == 42
    assert len(source_articles("abphone")) == 42


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_every_text_is_verbatim_from_the_source(terms: Terms, agreement: str) -> None:
    body = normalise(source_body(agreement))
    for p in terms.agreements[agreement].provisions.values():
        for field in ("text_ja", "heading_ja", "chapter_ja"):
            value = getattr(p, field)
            if value:
                assert normalise(value) in body, f"{p.id} {field} is not in the source"


@pytest.mark.parametrize("agreement", AGREEMENTS)
def test_nothing_in_the_source_is_missing(terms: Terms, agreement: str) -> None:
    """Consume the source with every provision's pieces, in document order; nothing may remain."""
    body = normalise(source_body(agreement))
    consumed = [False] * len(body)
    start = 0
    chapter = None
    for p in terms.agreements[agreement].walk():
        if not p.text_in_corpus:
            continue
        block_end = start
        # A chapter heading stands once in the source, before the first of its articles.
        # Labels of parts outside the articles (別記2, 料金表 通則) are ours; the source numbers them only.
        label = p.label if p.parent is not None or p.label.endswith("条") or "条の" in p.label else None
        heading = p.heading_ja if not (label and p.heading_ja and p.heading_ja in label) else None
        pieces = (p.chapter_ja if p.chapter_ja != chapter else None, heading, label, p.text_ja)
        chapter = p.chapter_ja or chapter if p.parent is None else chapter
        if p.parent is not None and label and p.text_ja:
            # A short label like ア stands right before its text: match the two together.
            pieces = (pieces[0], pieces[1], label + p.text_ja)
        for piece in pieces:
            if not piece:
                continue
            needle = normalise(piece)
            at = body.find(needle, start)
            while at >= 0 and any(consumed[at:at + len(needle)]):
                at = body.find(needle, at + 1)
            assert at >= 0, f"{p.id}: {piece[:30]!r} not found after position {start}"
            for i in range(at, at + len(needle)):
                consumed[i] = True
            block_end = max(block_end, at + len(needle))
        start = block_end
    residue = "".join(ch if not done else "\n" for ch, done in zip(body, consumed))
    left = [chunk for chunk in residue.split("\n") if chunk]
    structural = "|".join(map(re.escape, sorted(STRUCTURAL, key=len, reverse=True)))
    unexplained = [chunk for chunk in left if re.sub(rf"{structural}|第?\d+|[()]", "", chunk)]
    assert unexplained == []


def test_abphone_rev_1_0_condition_b_has_no_invented_text(terms: Terms) -> None:
    b = terms.agreements["abphone"].provisions["abphone:23.1.B"]
    assert b.text_ja is None and not b.text_in_corpus
    assert b.versions == ("rev-1.0",)
