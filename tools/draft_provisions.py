"""Draft the provision tree of an agreement from its source document.

    python tools/draft_provisions.py smacom            # writes terms/smacom/provisions.yaml

The output is a draft: the committed YAML is the reviewed truth. Re-running keeps every reviewed
field (summaries, English headings, notes) of provisions whose id is unchanged, and replaces only
the Japanese text and the tree, so a fix to the parser never loses review work.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

ARTICLE_HEADING = re.compile(r"^第\s*([\d\s]+?)\s*条(?:\s*の\s*(\d+))?\s*[（(](.+)[）)]$")
ARTICLE_INLINE = re.compile(r"^(?:[（(]([^）)]+)[）)]\s*)?第(\d+)条(?:の(\d+))?\s+(.*)$")
CAPTION = re.compile(r"^[（(]([^）)\d注][^）)]*)[）)]$")
CAPTION_WITH_TEXT = re.compile(r"^[（(]([^）)\d注][^）)]*)[）)]\s*(\S.*)$")
CHAPTER = re.compile(r"^第\s*[\d\s]+章\s*(.*)$")
PARAGRAPH = re.compile(r"^(\d+)\.?\s+(.*)$")
NUMBERED_ITEM = re.compile(r"^[（(](\d+)[）)]\s*(.*)$")
LETTER_ITEM = re.compile(r"^([A-Z])\)\s*(.*)$")
KANA_ITEM = re.compile(r"^([ア-ン])\s+(.*)$")
DOTTED_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
NOTE = re.compile(r"^[（(]注(\d*)[）)]\s*(.*)$")
TABLE_PART = re.compile(r"^(\d+)\.?\s*(適用|使用料|料金額)$")
TARIFF_TABLE = re.compile(r"^第(\d+)表\s*(.*)$")
TARIFF_SECTION = re.compile(r"^第(\d+)\s+(.*)$")
ANNEX = re.compile(r"^別紙(\d+)\s+(.*)$")
TOC_ENTRY = re.compile(r"\t\d+\s*$")
HTML_SPLIT = re.compile(r"</?(?:p|li|ol|ul)\b[^>]*>")

# Agreements whose article headings stand on a caption line above 「第N条 text」.
CAPTION_ABOVE_ARTICLE = {"ts-cloudphone"}


@dataclass
class Node:
    id: str
    level: str  # article | paragraph | item | subitem | note
    label: str | None = None
    heading: str | None = None
    chapter: str | None = None
    text: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)

    def add_text(self, line: str) -> None:
        # A line that does not end a sentence and is followed by one without a tab is a page
        # break in the PDF conversion: join it without a newline so the sentence reads whole.
        if self.text and "\t" not in line and "\t" not in self.text[-1] and not re.search(
            r"[。）)」]$", self.text[-1]
        ):
            self.text[-1] += line
        else:
            self.text.append(line)

    def child(self, seg: str, level: str, label: str | None, text: str = "") -> "Node":
        node = Node(id=f"{self.id}.{seg}", level=level, label=label)
        if text:
            node.text.append(text)
        self.children.append(node)
        return node


def clean_lines(raw: str) -> list[str]:
    """Strip Markdown and HTML conversion artefacts; one logical line per list."""
    out: list[str] = []
    for line in raw.splitlines():
        for piece in HTML_SPLIT.split(line):
            piece = piece.strip()
            piece = re.sub(r"^#+\s*", "", piece)
            piece = re.sub(r"^\*\*(.*)\*\*$", r"\1", piece)
            piece = re.sub(r"^-\s+", "", piece)
            piece = piece.strip()
            if piece and not re.fullmatch(r"-+(\t-*)*", piece):
                out.append(piece)
    return out


class Drafter:
    def __init__(self, agreement: str) -> None:
        self.a = agreement
        self.articles: list[Node] = []
        self.chapter: str | None = None
        self.mode = "front"  # front | body | appendix | tariff-general | tariff-table | supplementary
        self.article: Node | None = None
        self.paragraph: Node | None = None
        self.item: Node | None = None
        self.sub: Node | None = None
        self.caption: str | None = None
        self.table_no = 0
        self.in_table = False

    # --- structure ---------------------------------------------------------------------------
    def new_article(self, seg: str, label: str, heading: str | None) -> Node:
        node = Node(id=f"{self.a}:{seg}", level="article", label=label, heading=heading,
                    chapter=self.chapter)
        self.articles.append(node)
        self.article, self.paragraph, self.item, self.sub = node, None, None, None
        self.in_table = False
        return node

    def new_paragraph(self, number: int, text: str, heading: str | None = None,
                      label: str | None = None) -> Node:
        assert self.article is not None
        unnumbered = self.mode == "supplementary" or (number == 1 and self.mode == "body")
        label = None if unnumbered else label or str(number)
        node = self.article.child(str(number), "paragraph", label, text)
        node.heading = heading
        self.paragraph, self.item, self.sub = node, None, None
        self.in_table = False
        return node

    def ensure_paragraph(self) -> Node:
        if self.paragraph is None:
            assert self.article is not None
            lead = self.article.text
            self.article.text = []
            self.new_paragraph(1, "")
            self.paragraph.label = None
            self.paragraph.text = lead
        return self.paragraph

    def next_paragraph_number(self) -> int:
        return len(self.article.children) + 1 if self.article else 1

    def current(self) -> Node:
        return self.sub or self.item or self.paragraph or self.article

    # --- line handling -----------------------------------------------------------------------
    def feed(self, line: str) -> None:
        if self.mode == "front":
            if TOC_ENTRY.search(line) or not (ARTICLE_HEADING.match(line) or CHAPTER.match(line)
                                               or ARTICLE_INLINE.match(line) or CAPTION.match(line)):
                return
            self.mode = "body"
        if self.structural(line):
            return
        handler = getattr(self, "line_" + self.mode.replace("-", "_"))
        handler(line)

    def structural(self, line: str) -> bool:
        if line in ("別記", "別 記"):
            self.mode, self.article, self.chapter = "appendix", None, None
            return True
        if line in ("料金表", "別表（料金表）", "別表(料金表)") and self.mode != "tariff-general":
            self.mode, self.article, self.chapter = "tariff", None, None
            return True
        if line == "料金表" and self.mode == "tariff-general" and self.a == "abphone":
            self.new_article("tariff", "料金表", "料金表")
            self.mode = "tariff-page"
            return True
        if line in ("通則", "通 則"):
            self.mode, self.chapter = "tariff-general", None
            self.new_article("tariff-general", "料金表 通則", "通則")
            return True
        if line in ("附則", "附 則"):
            if self.mode != "supplementary":
                self.chapter = None
                self.new_article("supplementary", "附則", "附則")
                self.mode = "supplementary"
            self.caption = None
            return True
        if line == "以上":
            return True
        m = ANNEX.match(line)
        if m:
            self.chapter = None
            self.new_article(f"annex-{m[1]}", f"別紙{m[1]}", m[2])
            self.mode = "annex"
            return True
        m = TARIFF_TABLE.match(line)
        if m and self.mode in ("tariff-general", "tariff-table"):
            self.mode, self.table_no, self.article = "tariff-table", int(m[1]), None
            self.chapter = line
            return True
        m = CHAPTER.match(line)
        if m and self.mode == "body":
            self.chapter = line
            return True
        return False

    def line_body(self, line: str) -> None:
        m = ARTICLE_HEADING.match(line)
        if m:
            number = m[1].replace(" ", "")
            seg = number + (f"-{m[2]}" if m[2] else "")
            label = f"第{number}条" + (f"の{m[2]}" if m[2] else "")
            self.new_article(seg, label, m[3].strip())
            return
        if self.a in CAPTION_ABOVE_ARTICLE:
            m = ARTICLE_INLINE.match(line)
            if m:
                seg = m[2] + (f"-{m[3]}" if m[3] else "")
                label = f"第{m[2]}条" + (f"の{m[3]}" if m[3] else "")
                self.new_article(seg, label, m[1] or self.caption)
                self.caption = None
                self.new_paragraph(1, m[4])
                return
            m = CAPTION.match(line)
            if m:
                self.caption = m[1].strip()
                return
        self.line_provision(line, paragraph_marks=("number",))

    def line_provision(self, line: str, paragraph_marks: tuple[str, ...]) -> None:
        """Paragraphs, items, sub-items, notes and continuation text inside a current node."""
        m = NOTE.match(line)
        if m and self.article:
            parent = self.paragraph or self.article
            n = sum(1 for c in parent.children if c.level == "note") + 1
            parent.child(f"note-{n}", "note", line[: m.start(2)].strip(), m[2])
            return
        m = PARAGRAPH.match(line)
        if m and "number" in paragraph_marks and "\t" not in line and self.article:
            lead = self.mode == "body" and not self.article.children and self.article.text
            if int(m[1]) == self.next_paragraph_number() + (1 if lead else 0):
                if lead:
                    self.ensure_paragraph()
                self.new_paragraph(int(m[1]), m[2], self.caption, line[: m.start(2)].strip())
                self.caption = None
                return
        m = NUMBERED_ITEM.match(line)
        if m and "parens" in paragraph_marks and self.article:
            if int(m[1]) == self.next_paragraph_number() - (1 if self.paragraph_from_lead() else 0):
                self.new_paragraph(self.next_paragraph_number(), m[2])
                self.paragraph.label = f"({m[1]})"
                return
        if m and self.article:
            self.item_under(self.ensure_paragraph(), m[1], f"({m[1]})", m[2])
            return
        m = LETTER_ITEM.match(line) or KANA_ITEM.match(line)
        if m and self.article:
            if KANA_ITEM.match(line) and self.item is not None and self.item.label.startswith("("):
                self.sub = self.item.child(m[1], "subitem", m[1], m[2])
            else:
                self.item_under(self.ensure_paragraph(), m[1], m[1] + (")" if m[1].isascii() else ""), m[2])
            return
        m = DOTTED_ITEM.match(line)
        if m and self.item is not None and "\t" not in line and int(m[1]) == len(self.item.children) + 1:
            self.sub = self.item.child(m[1], "subitem", f"{m[1]}.", m[2])
            return
        m = re.match(r"^(\d+)\s+(.*\t.*)$", line)
        if m and self.item is not None and self.in_table and int(m[1]) == len(self.item.children) + 1:
            self.sub = self.item.child(m[1], "subitem", m[1], m[2])
            return
        if self.article is None:
            raise SystemExit(f"{self.a}: text outside any provision: {line!r}")
        if "\t" in line and re.match(r"^区\s*別\t", line):
            self.in_table = True
        if self.caption:  # a caption with nothing to head: it annotates the text before it
            self.current().add_text(f"({self.caption})")
            self.caption = None
        self.current().add_text(line)

    def paragraph_from_lead(self) -> bool:
        return bool(self.article and self.article.children and self.article.children[0].label is None)

    def item_under(self, parent: Node, seg: str, label: str, text: str) -> None:
        self.item = parent.child(seg, "item", label, text)
        self.sub = None
        self.in_table = False

    def line_appendix(self, line: str) -> None:
        m = PARAGRAPH.match(line)
        expected = sum(1 for a in self.articles if a.id.startswith(f"{self.a}:appendix-")) + 1
        if m and "\t" not in line and int(m[1]) == expected and not NUMBERED_ITEM.match(line):
            rest = m[2]
            heading, text = rest, ""
            if "。" in rest and " " in rest:
                heading, text = rest.split(" ", 1)
            self.new_article(f"appendix-{m[1]}", f"別記{m[1]}", heading)
            if text:
                self.article.text.append(text)
            return
        self.line_provision(line, paragraph_marks=("parens",))

    def line_tariff_general(self, line: str) -> None:
        m = CAPTION.match(line)
        if m and "\t" not in line:
            self.caption = m[1].strip()
            return
        self.line_provision(line, paragraph_marks=("number",))

    def line_tariff_table(self, line: str) -> None:
        m = TARIFF_SECTION.match(line)
        if m:
            self.new_article(f"tariff-{self.table_no}.{m[1]}".replace(".", "-", 1), f"第{self.table_no}表 第{m[1]}", m[2])
            return
        m = TABLE_PART.match(line)
        if m and self.article:
            self.new_paragraph(self.next_paragraph_number(), "", m[2])
            self.paragraph.label = line
            return
        # Numbered lines inside price tables are table rows and 備考 notes, not paragraphs.
        self.line_provision(line, paragraph_marks=())

    def line_tariff_page(self, line: str) -> None:
        self.ensure_paragraph().add_text(line)

    def line_annex(self, line: str) -> None:
        self.ensure_paragraph().add_text(line)

    def line_supplementary(self, line: str) -> None:
        m = CAPTION_WITH_TEXT.match(line)
        if m and "第" not in m[1]:
            self.new_paragraph(self.next_paragraph_number(), m[2], m[1])
            return
        m = CAPTION.match(line)
        if m:
            self.new_paragraph(self.next_paragraph_number(), "", m[1])
            return
        if self.paragraph is None or (self.paragraph.text and self.paragraph.heading is None):
            self.new_paragraph(self.next_paragraph_number(), line)
            return
        self.paragraph.add_text(line)


def draft(agreement: str) -> list[Node]:
    src = ROOT / "terms" / agreement / "source" / f"{agreement}.ja.txt"
    d = Drafter(agreement)
    for line in clean_lines(src.read_text(encoding="utf-8")):
        d.feed(line)
    for article in d.articles:
        # The spec cites an article's first, unnumbered paragraph as paragraph 1, even when it
        # is the only one (smacom:25.1).
        if re.fullmatch(r"\d+(-\d+)?", article.id.split(":")[1]) and not article.children:
            article.children = [Node(id=f"{article.id}.1", level="paragraph", text=article.text)]
            article.text = []
    return d.articles


# --- YAML ---------------------------------------------------------------------------------------
REVIEWED = ("heading_en", "summary_en", "versions", "text_status", "see_also")


def to_yaml_node(node: Node, reviewed: dict[str, dict]) -> dict:
    out: dict = {"id": node.id}
    if node.label:
        out["label"] = node.label
    if node.chapter and node.level == "article":
        out["chapter_ja"] = node.chapter
    if node.heading:
        out["heading_ja"] = node.heading
    if node.text:
        out["text_ja"] = "\n".join(node.text)
    old = reviewed.get(node.id, {})
    for key in REVIEWED:
        if key in old:
            out[key] = old[key]
    out.setdefault("summary_en", "")
    if node.heading and "heading_en" not in out:
        out["heading_en"] = ""
    if node.children:
        out["provisions"] = [to_yaml_node(c, reviewed) for c in node.children]
    return out


def reviewed_fields(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    found: dict[str, dict] = {}

    def walk(items: list[dict]) -> None:
        for p in items:
            found[p["id"]] = p
            walk(p.get("provisions", []))

    walk(yaml.safe_load(path.read_text(encoding="utf-8")).get("provisions", []))
    return found


def keep_version_only(tree: list[dict], reviewed: dict[str, dict]) -> None:
    drafted: dict[str, dict] = {}

    def walk(items: list[dict]) -> None:
        for p in items:
            drafted[p["id"]] = p
            walk(p.get("provisions", []))

    walk(tree)
    for pid, node in reviewed.items():
        if pid in drafted or "versions" not in node:
            continue
        parent_id = pid.rsplit(".", 1)[0] if "." in pid else None
        siblings = drafted[parent_id].setdefault("provisions", []) if parent_id in drafted else tree
        siblings.append(node)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def main(agreement: str) -> None:
    path = ROOT / "terms" / agreement / "provisions.yaml"
    reviewed = reviewed_fields(path)
    doc = {"agreement": agreement,
           "provisions": [to_yaml_node(a, reviewed) for a in draft(agreement)]}
    # Provisions known only from earlier versions (no text in the source) are kept as reviewed.
    keep_version_only(doc["provisions"], reviewed)
    header = ("# Drafted by tools/draft_provisions.py from source/; reviewed by hand.\n"
              "# text_ja is verbatim from the source; summary_en is ours.\n")
    path.write_text(header + yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                                       width=10_000), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    for name in sys.argv[1:] or ["smacom", "ts-cloudphone", "abphone"]:
        main(name)
