"""Cases into HTML or Markdown through the jinja2 templates in reports/."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kiyaku.errors import DefinitionError, Finding
from kiyaku.output import escape_controls

FORMATS = ("html", "md")
TEMPLATES = ("case", "index")
# Markdown would otherwise read these in event text as markup: emphasis, code, links, raw HTML, tables.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#&!~])")
# An underscore between letters (may_suspend) is never emphasis in CommonMark; elsewhere it can be.
_MD_UNDERSCORE = re.compile(r"(?<!\w)_|_(?!\w)")
# Schemes that run code when a lenient renderer makes a link of them: their colon is escaped too.
_MD_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data):")


def template_folder(root: Path) -> Path:
    """reports/ under the terms root, else the templates bundled with kiyaku (a root holding only data)."""
    from kiyaku.paths import bundled

    for folder in (root / "reports", bundled() / "reports"):
        if (folder / "case.html.j2").is_file():
            return folder
    raise DefinitionError(Finding(str(root / "reports"), None, "no report templates (case.html.j2) found",
                                  "reports/ holds the jinja2 templates of the case reports"))


def md_escape(value: Any) -> str:
    """Text shown literally in Markdown, whatever characters the events carry; one line."""
    if isinstance(value, Markup):
        return str(value)
    text = escape_controls(" ".join(str(value).splitlines()))
    return _MD_SCHEME.sub(r"\1\\:", _MD_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", text)))


def md_finalize(value: Any) -> Markup:
    return value if isinstance(value, Markup) else Markup(md_escape(value))


def html_finalize(value: Any) -> Any:
    """Event text in HTML: autoescape keeps markup out; control and bidirectional characters, which
    would reorder or hide what a reader sees, are shown as \\uXXXX."""
    return escape_controls(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def md_quote(value: Any) -> Markup:
    """A block quote of (escaped) text, line for line: a trailing backslash keeps each line break."""
    return Markup("\\\n".join("> " + md_escape(line) for line in str(value).splitlines()) or ">")


def css_string(value: Any) -> Markup:
    """A CSS string literal holding `value` as plain text (for the printed page header)."""
    # The space after each escape ends it (CSS eats one whitespace there), so a real space survives.
    escaped = "".join(c if c.isalnum() or c in " .:_-" else f"\\{ord(c):06x} " for c in str(value))
    return Markup(f'"{escaped}"')


@cache
def environment(folder: Path, fmt: str) -> jinja2.Environment:
    common = dict(loader=jinja2.FileSystemLoader(str(folder)), undefined=jinja2.StrictUndefined,
                  keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    if fmt == "html":
        # Autoescape: event text (notes, ids) is data, never markup.
        env = jinja2.Environment(autoescape=True, finalize=html_finalize, **common)
    else:
        # Markdown has no escaping of its own: finalize escapes every {{ value }} for Markdown, and
        # autoescape (which then leaves that Markup alone) makes macros return Markup, not text to escape.
        env = jinja2.Environment(autoescape=True, finalize=md_finalize, **common)
        env.filters["quote"] = md_quote
    env.filters["css_string"] = css_string
    return env


def render(root: Path, template: str, fmt: str, **context: Any) -> str:
    if fmt not in FORMATS or template not in TEMPLATES:
        raise ValueError(f"no template {template}.{fmt}")
    folder = template_folder(root)
    try:
        return environment(folder, fmt).get_template(f"{template}.{fmt}.j2").render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or str(folder / f"{template}.{fmt}.j2")
        raise DefinitionError(Finding(where, getattr(exc, "lineno", None), f"report template: {exc}")) from None
