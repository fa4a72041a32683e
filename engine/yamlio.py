"""Strict YAML: duplicate keys rejected, dates and yes/no kept as strings, line numbers kept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from kiyaku.errors import Finding


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
    pass


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


class DuplicateKey(yaml.MarkedYAMLError):
    pass


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> Mapping:
    out = Mapping()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise DuplicateKey(
                None, None,
                f"duplicate key {key!r} (first at line {out.key_lines[key]})",
                key_node.start_mark,
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _StrictLoader, node: yaml.SequenceNode) -> Sequence:
    out = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _float_as_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    # Decimals are money and rates: keep their exact digits, never a binary float.
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _float_as_text)


class YamlSyntaxError(Exception):
    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        super().__init__(str(finding))


def load_text(text: str, name: str) -> Any:
    """Parse strict YAML; raise YamlSyntaxError naming `name` and the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except DuplicateKey as exc:
        raise YamlSyntaxError(Finding(name, exc.problem_mark.line + 1, exc.problem,
                                      "remove or rename one of the two")) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise YamlSyntaxError(Finding(name, line, f"invalid YAML: {problem}",
                                      "fix the syntax at that line")) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Finding(name, None, f"invalid YAML: {exc}")) from None


def load_file(path: Path, name: str | None = None) -> Any:
    """Load a YAML file strictly; a file that is not UTF-8 text is reported, not raised raw."""
    label = name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlSyntaxError(Finding(label, None, "not a YAML file: it is not UTF-8 text",
                                      "terms/ and rules/ hold only YAML")) from None
    if "\x00" in text:
        raise YamlSyntaxError(Finding(label, None, "not a YAML file: it contains NUL bytes",
                                      "terms/ and rules/ hold only YAML")) from None
    return load_text(text, label)
