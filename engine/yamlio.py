"""Strict YAML: duplicate keys rejected, dates and yes/no kept as strings, line numbers kept.

Also refused, each with its line: numbers that YAML 1.1 and 1.2 read differently (`0100`, `09`),
integers beyond 64 bits, keys that are not scalars, nesting deeper than any of our documents, and
aliases that expand beyond MAX_EXPANDED values (the "billion laughs": a few lines of aliases of
aliases that a reader walking the document would expand into gigabytes). rules/ share texts and
notice blocks through aliases; event files, where an alias could only repeat an event unseen,
allow none (`aliases=False`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kiyaku.errors import Finding, quoted
from kiyaku.textio import Unreadable, read_text

INT_BOUND = 1 << 63  # integers a JSON engine and a database column can hold
MAX_DEPTH = 64  # our deepest document nests about 8 levels
MAX_EXPANDED = 1_000_000  # values a document holds once its aliases are expanded: ours hold tens of thousands


class Mapping(dict):
    """A dict that remembers the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def __reduce__(self) -> tuple:
        # Pickled (the definitions cache) as a plain dict: the lines are for findings at load
        # time, and a plain dict does not make reading the cache import the YAML machinery.
        return dict, (dict(self),)


class Sequence(list):
    line: int = 0
    item_lines: list[int]

    def __reduce__(self) -> tuple:
        return list, (list(self),)


class _StrictLoader(yaml.SafeLoader):
    aliases = True

    def fetch_flow_collection_start(self, token_class: type) -> None:
        # The scanner reads a flow collection ahead to its end: refuse deep `[[[[…` before that.
        if self.flow_level >= MAX_DEPTH:
            raise Refused(f"nested more than {MAX_DEPTH} levels deep", "flatten the document", self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_document(self) -> yaml.Node | None:
        self.depth, self.sizes = 0, {}
        return super().compose_document()

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        mark = self.peek_event().start_mark
        if not self.aliases and self.check_event(yaml.AliasEvent):
            raise Refused(f"an alias (*{self.peek_event().anchor}) is not allowed here: it would repeat a value "
                          "unseen", "write the event out in full", mark)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused(f"nested more than {MAX_DEPTH} levels deep", "flatten the document", mark)
        node = super().compose_node(parent, index)
        self.depth -= 1
        if id(node) not in self.sizes:
            self.sizes[id(node)] = 1 + sum(self.sizes[id(child)] for child in _children(node))
            if self.sizes[id(node)] > MAX_EXPANDED:
                raise Refused(f"aliases here expand to more than {MAX_EXPANDED:,} values",
                              "write the values out instead of nesting aliases of aliases", mark)
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


class _NoAliasLoader(_StrictLoader):
    aliases = False


# YAML 1.1 would turn `no`, `on`, `2015-01-01` and `1:20` into booleans, dates and sexagesimals;
# every such scalar stays a string here. Only true/false, integers, decimals and null are typed.
_StrictLoader.yaml_implicit_resolvers = {}
for first, pattern, tag in (
    ("tf", r"^(?:true|false)$", "tag:yaml.org,2002:bool"),
    ("-+0123456789", r"^[-+]?[0-9]+$", "tag:yaml.org,2002:int"),
    ("-+0123456789.", r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)$", "tag:yaml.org,2002:float"),
    ("~n", r"^(?:~|null)$", "tag:yaml.org,2002:null"),
):
    _StrictLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


class Refused(yaml.MarkedYAMLError):
    """Valid YAML that kiyaku does not accept: the problem, a hint, and where."""

    def __init__(self, problem: str, hint: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)
        self.hint = hint


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> Mapping:
    out = Mapping()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise Refused("a key must be a plain value, not a mapping or sequence",
                          "write `name: value`", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise Refused(f"duplicate key {quoted(key)} (first at line {out.key_lines[key]})",
                          "remove or rename one of the two", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> Sequence:
    out = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _integer(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    digits = text.lstrip("+-")
    if len(digits) > 1 and digits.startswith("0"):
        # YAML 1.1 reads 0100 as octal 64 (and 09 as nothing), YAML 1.2 as 100: never guess.
        raise Refused(f"{text} has a leading zero, which YAML readers disagree on",
                      f"write {int(digits)} as a number, or quote it (\"{text}\") as text", node.start_mark)
    if len(digits) > 19 or abs(int(text)) >= INT_BOUND:
        raise Refused(f"{quoted(text, 30)} is beyond the 64-bit integers kiyaku reads",
                      "check the number", node.start_mark)
    return int(text)


def _float_as_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    # Decimals are money and rates: keep their exact digits, never a binary float.
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _float_as_text)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _integer)


class YamlSyntaxError(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(str(finding))


def load_text(text: str, name: str, aliases: bool = True) -> Any:
    """Parse strict YAML; raise YamlSyntaxError naming `name` and the line."""
    loader = _StrictLoader if aliases else _NoAliasLoader
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except Refused as exc:
        raise YamlSyntaxError(Finding(name, exc.problem_mark.line + 1, exc.problem, exc.hint)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise YamlSyntaxError(Finding(name, line, f"invalid YAML: {problem}",
                                      "fix the syntax at that line")) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Finding(name, None, f"invalid YAML: {exc}")) from None
    except RecursionError:
        raise YamlSyntaxError(Finding(name, None, f"nested more than {MAX_DEPTH} levels deep",
                                      "flatten the document")) from None


def load_file(path: Path, name: str | None = None, aliases: bool = True) -> Any:
    """Load a YAML file strictly; a file that cannot be read as UTF-8 text is reported, not raised raw."""
    label = name or str(path)
    try:
        text = read_text(path, label)
    except Unreadable as exc:
        raise YamlSyntaxError(exc.finding) from None
    return load_text(text, label, aliases)
