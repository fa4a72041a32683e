"""One canonical layout for the YAML of terms/ and rules/, keeping comments (ruamel.yaml round trip).

The layout:
- keys in the order written; 2 spaces per level of mapping; a block sequence's `- ` stands at the
  column of the key that holds it (as tools/draft_provisions.py writes terms/);
- lines are never folded (Japanese text has no spaces to fold at, and diffs stay one line per
  value), so a flow collection `{…}` / `[…]` is written on one line;
- block scalars (`|`, `>`, `>-`…) keep their style and their line breaks; quotes are kept as
  written (dates stay "quoted"); a null is written empty;
- comments are kept: a comment after a value keeps its column, a comment on a line of its own
  takes the indentation of the line it precedes; trailing spaces go; the file ends in one newline.

Before anything is written, the result is read back with kiyaku's strict loader and must hold
exactly the same data as the original: fmt never changes what a file means.
"""

from __future__ import annotations

import io
import re
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from kiyaku.errors import DefinitionError, Finding, KiyakuError
from kiyaku.paths import yaml_files
from kiyaku.yamlio import YamlSyntaxError, load_text

WIDTH = 1_000_000


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = WIDTH
    y.indent(mapping=2, sequence=2, offset=0)
    return y


def format_text(text: str, name: str = "<text>") -> str:
    """The canonical layout of one YAML document; DefinitionError when it does not parse."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        before = load_text(text, name)
    except YamlSyntaxError as exc:
        raise DefinitionError(exc.finding) from None
    y = _yaml()
    try:
        data = y.load(text)
        out = io.StringIO()
        y.dump(data, out)
    except MarkedYAMLError as exc:  # pragma: no cover - the strict loader has rejected it already
        mark = exc.problem_mark or exc.context_mark
        raise DefinitionError(Finding(name, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem}")) from None
    except YAMLError as exc:  # pragma: no cover
        raise DefinitionError(Finding(name, None, f"invalid YAML: {exc}")) from None
    result = _comments(out.getvalue()) if data is not None else ""
    if _plain(load_text(result, name)) != _plain(before):
        raise DefinitionError(Finding(name, None, "kiyaku fmt cannot lay this file out without changing its data",
                                      "the file is left as it is; please report it"))
    return result


def _comments(text: str) -> str:
    """Full-line comments take the indentation of the next line of content; no trailing spaces."""
    lines = [line.rstrip() for line in text.split("\n")]
    scalar_indent: int | None = None  # inside a block scalar: the column of the line that opened it
    content_indent: list[int | None] = [None] * len(lines)
    in_scalar = [False] * len(lines)
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" "))
        if scalar_indent is not None:
            if not line.strip() or indent > scalar_indent:
                in_scalar[i] = True
                continue
            scalar_indent = None
        if line.strip() and not line.lstrip().startswith("#"):
            content_indent[i] = indent
            if _OPENS_BLOCK.search(line):
                scalar_indent = indent
    following = 0
    for i in range(len(lines) - 1, -1, -1):
        if content_indent[i] is not None:
            following = content_indent[i]
        elif not in_scalar[i] and lines[i].lstrip().startswith("#"):
            lines[i] = " " * following + lines[i].lstrip()
    while len(lines) > 1 and lines[-1] == "" and lines[-2] == "":
        lines.pop()
    return "\n".join(lines)


# `key: |`, `key: >-`, `- |2`, with an optional comment after the indicator.
_OPENS_BLOCK = re.compile(r"(?:^|[:\-]\s)\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return [(k, _plain(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class Outcome:
    changed: list[Path]
    errors: list[Finding]
    diffs: list[str] = field(default_factory=list)  # unified diffs, when asked for


def default_paths(root: Path) -> list[Path]:
    return [p for p in (root / "terms", root / "rules") if p.is_dir()]


def format_files(paths: Iterable[Path], check: bool = False, label=str, diff: bool = False) -> Outcome:
    """Lay out every YAML file under `paths`; with `check`, only say which files would change; with
    `diff`, write nothing and give the change of each file as a unified diff."""
    from kiyaku.output import write_files
    from kiyaku.textio import Unreadable, read_text

    outcome = Outcome([], [])
    for path in yaml_files(paths):
        name = label(path)
        try:
            text = read_text(path, name)
            result = format_text(text, name)
            if result == text:
                continue
            if not (check or diff):
                write_files({path: result})
            outcome.changed.append(path)
            if diff:
                outcome.diffs.append("".join(difflib.unified_diff(
                    text.splitlines(keepends=True), result.splitlines(keepends=True), f"a/{name}", f"b/{name}")))
        except Unreadable as exc:
            outcome.errors.append(exc.finding)
        except KiyakuError as exc:
            outcome.errors.extend(exc.findings)
    return outcome
