"""Text that fits a terminal: its width (80 when the output is not a terminal), columns counted as
the terminal shows them (a Japanese character takes two), lines broken between words or between
Japanese characters but never inside a citation id or a date, and never before 。、」 or after 「（.
Every line of a rendered answer passes through `wrap`, which is also where control characters in
the data are made visible: escaping is done in this one place."""

from __future__ import annotations

import re
import shutil
from typing import IO

from wcwidth import wcswidth, wcwidth

from kiyaku.output import escape_controls

NO_START = set("、。，．）」』】〕〉》・ー…：；？！ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.;:!?)]}")
NO_END = set("（「『【〔〈《([{")
# A run of narrow characters is one unit (smacom:17.1.1, 2025-07-03T09:00, ¥1,234): never broken.
UNIT = re.compile(r"\s+|[^\s]")
ID_OPEN = re.compile(r"^\S*:\S*\.$")  # smacom:tariff-1-5.1. — the item label comes next


def terminal_width(stream: IO[str]) -> int:
    """The terminal's width, or 80 when `stream` is not a terminal (a pipe, a file, a test)."""
    try:
        if stream.isatty():
            return max(40, shutil.get_terminal_size().columns)
    except (AttributeError, ValueError, OSError):
        pass
    return 80


def visible(text: str) -> str:
    """Control and bidirectional characters from the data shown as escapes (kiyaku.output's one way),
    so that they can neither move the cursor nor reorder what the agent reads."""
    return escape_controls(text)


def columns(text: str) -> int:
    width = wcswidth(text)
    return width if width >= 0 else sum(max(wcwidth(c), 0) for c in text)


def _units(text: str) -> list[str]:
    """Break units: whitespace, runs of narrow characters, single wide characters; closing
    punctuation joins the unit before it, opening brackets the unit after."""
    units: list[str] = []
    glue_next = False
    for piece in UNIT.findall(text):
        if piece.isspace():
            units.append(" ")
            glue_next = False
            continue
        narrow = columns(piece) < 2
        joins_previous = units and units[-1] != " " and (
            glue_next or piece in NO_START or (narrow and not _wide(units[-1][-1]))
            or ID_OPEN.search(units[-1]) is not None)  # an item labelled イ, ア… ends an id
        if joins_previous:
            units[-1] += piece
        else:
            units.append(piece)
        glue_next = piece in NO_END
    return units


def _wide(ch: str) -> bool:
    return wcwidth(ch) == 2


def wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """`text` in lines of at most `width` columns, the first after `first`, the others after `rest`
    (default: spaces as wide as `first`). A newline in `text` starts a new line."""
    rest = " " * columns(first) if rest is None else rest
    lines: list[str] = []
    for n, paragraph in enumerate(visible(text).split("\n")):
        lines.extend(_fill(paragraph, width, first if n == 0 else rest, rest))
    return lines


def _fill(text: str, width: int, first: str, rest: str) -> list[str]:
    lines: list[str] = []
    line, used, empty, space = first, columns(first), True, False
    for unit in _units(text):
        if unit == " ":
            space = True
            continue
        sep = " " if space and not empty else ""
        size = columns(unit)
        if not empty and used + len(sep) + size > width:
            lines.append(line.rstrip())
            line, used, sep = rest, columns(rest), ""
        line += sep + unit
        used += len(sep) + size
        empty, space = False, False
    lines.append(line.rstrip())
    return lines


def clip(text: str, width: int, lines: int = 1, first: str = "", rest: str | None = None,
         close: str = "") -> list[str]:
    """At most `lines` lines of `text`; if it had to be cut, the last line ends in …`close`."""
    out = wrap(text, width, first, rest)
    if len(out) <= lines:
        return out
    kept = out[:lines]
    room = width - columns("…" + close)
    last = kept[-1]
    while columns(last) > room:  # drop whole units, so that no id is cut in two
        cut = max(last.rstrip().rfind(" "), len(last.rstrip()) - len(_units(last)[-1]))
        last = last[:cut].rstrip()
    kept[-1] = last + "…" + close
    return kept
