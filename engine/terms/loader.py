"""Read terms/ into the model, collecting every finding before failing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kiyaku import citations, schema
from kiyaku.errors import DefinitionError, Finding
from kiyaku.terms.model import Agreement, Parameter, Provision, Terms, Version, VersionChange
from kiyaku.yamlio import Mapping, YamlSyntaxError, load_file

AGREEMENT_FILES = ("agreement.yaml", "provisions.yaml", "parameters.yaml")
TAX_FILE = "law/consumption-tax.yaml"


class _Collector:
    """Accumulates findings; paths are reported relative to the repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def add(self, file: str, line: int | None, message: str, hint: str | None = None) -> None:
        self.findings.append(Finding(file, line, message, hint))

    def load(self, path: Path, schema_name: str) -> Any | None:
        """The validated document, or None when it is missing (reported by the layout check) or wrong."""
        if not path.exists():
            return None
        try:
            doc = load_file(path, self.rel(path))
        except YamlSyntaxError as exc:
            self.findings.append(exc.finding)
            return None
        problems = schema.check(doc, schema_name, self.rel(path))
        self.findings.extend(problems)
        return None if problems else doc


def parse_date(text: Any) -> date | None:
    if not isinstance(text, str):
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def load_terms(root: Path) -> Terms:
    """Load and validate terms/ at `root`; raise DefinitionError listing every finding."""
    c = _Collector(root)
    if not root.is_dir():
        raise DefinitionError(Finding(str(root), None, "terms folder not found",
                                      "run kiyaku from the repository root or pass --terms"))
    _check_layout(c, root)
    agreements = {}
    for folder in _agreement_folders(root):
        agreement = _load_agreement(c, folder)
        if agreement:
            agreements[agreement.id] = agreement
    rates, sources = _load_tax(c, root / TAX_FILE)
    if c.findings:
        raise DefinitionError(c.findings)
    return Terms(agreements, rates, sources)


def _agreement_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name != "law")


def _check_layout(c: _Collector, root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(root).parts
        ok = (
            rel == ("README.md",)
            or (len(rel) == 2 and rel[0] == "law" and path.suffix == ".yaml")
            or (len(rel) == 2 and rel[1] in AGREEMENT_FILES)
            or (len(rel) == 3 and rel[1] == "source" and path.suffix == ".txt")
        )
        if not ok:
            c.add(c.rel(path), None, "unexpected file in terms/",
                  "an agreement folder holds agreement.yaml, provisions.yaml, parameters.yaml "
                  "and source/*.txt; law/ holds *.yaml")
    for folder in _agreement_folders(root):
        for name in AGREEMENT_FILES:
            if not (folder / name).exists():
                c.add(c.rel(folder / name), None, "missing file", f"every agreement needs {name}")


def _load_agreement(c: _Collector, folder: Path) -> Agreement | None:
    meta = c.load(folder / "agreement.yaml", "agreement")
    tree = c.load(folder / "provisions.yaml", "provisions")
    params = c.load(folder / "parameters.yaml", "parameters")
    if meta is None or tree is None:
        return None
    meta_file = c.rel(folder / "agreement.yaml")
    if meta["id"] != folder.name:
        c.add(meta_file, meta.line_of("id"), f"id {meta['id']!r} does not match its folder {folder.name!r}",
              "rename one of them")
    if not (folder / meta["source"]).is_file():
        c.add(meta_file, meta.line_of("source"), f"source document {meta['source']} not found")
    agreement = Agreement(
        id=folder.name, title_ja=meta["title_ja"], title_en=meta["title_en"],
        provider=meta["provider"], source=meta["source"], governing_law=meta.get("governing_law"),
        court=meta.get("court"), versions=_versions(c, meta, meta_file),
    )
    _provisions(c, agreement, tree, c.rel(folder / "provisions.yaml"))
    _check_version_refs(c, agreement, meta, meta_file)
    if params is not None:
        _parameters(c, agreement, params, c.rel(folder / "parameters.yaml"))
    return agreement


def _versions(c: _Collector, meta: Mapping, file: str) -> tuple[Version, ...]:
    versions: list[Version] = []
    for i, v in enumerate(meta["versions"]):
        effective = parse_date(v["effective"])
        line = meta["versions"].item_lines[i]
        if effective is None:
            c.add(file, v.line_of("effective"), f"effective date {v['effective']!r} is not a date",
                  "write it as \"YYYY-MM-DD\"")
            continue
        if versions and effective <= versions[-1].effective:
            c.add(file, line, f"version {v['id']} ({effective}) is not after {versions[-1].id} "
                  f"({versions[-1].effective})", "list versions in ascending order of effective date")
        if v["text"] == "derived" and "derived_from" not in v:
            c.add(file, line, f"version {v['id']} is derived but names no derived_from")
        changes = tuple(VersionChange(ch["provision"], ch["change"], ch.get("reference"), ch.get("note"))
                        for ch in v.get("changes", []))
        versions.append(Version(v["id"], effective, v.get("label", v["id"]), v["text"],
                                v.get("derived_from"), changes, v.get("reference"), v.get("note")))
    ids = [v.id for v in versions]
    for v in versions:
        if v.derived_from and v.derived_from not in ids:
            c.add(file, None, f"version {v.id} is derived from unknown version {v.derived_from}",
                  f"known versions: {', '.join(ids)}")
    if sum(v["text"] == "corpus" for v in meta["versions"]) != 1:
        c.add(file, meta.line_of("versions"), "exactly one version must have text: corpus",
              "the version whose text provisions.yaml holds")
    return tuple(versions)


def _provisions(c: _Collector, agreement: Agreement, tree: Mapping, file: str) -> None:
    if tree["agreement"] != agreement.id:
        c.add(file, tree.line_of("agreement"), f"agreement {tree['agreement']!r} does not match "
              f"its folder {agreement.id!r}")

    def visit(node: Mapping, parent: str | None) -> str:
        pid = node["id"]
        parsed = citations.parse(pid)
        if parsed is None:
            c.add(file, node.line_of("id"), f"malformed provision id {pid!r}",
                  f"ids have the form {citations.describe_form()}")
        elif parsed.agreement != agreement.id:
            c.add(file, node.line_of("id"), f"provision {pid} is not in agreement {agreement.id}",
                  f"ids in this file start with {agreement.id}:")
        elif parsed.parent != parent:
            c.add(file, node.line_of("id"), f"provision {pid} stands under {parent or 'the top level'}",
                  f"its id makes it a child of {parsed.parent or 'the top level'}")
        if pid in agreement.provisions:
            c.add(file, node.line_of("id"), f"duplicate provision id {pid} "
                  f"(first at line {agreement.provisions[pid].line})", "each id must be unique")
        not_in_corpus = node.get("text_status") == "not_in_corpus"
        if not_in_corpus and "text_ja" in node:
            c.add(file, node.line_of("text_ja"), f"{pid} is marked not_in_corpus but has text_ja")
        if not node["summary_en"].strip():
            c.add(file, node.line_of("summary_en"), f"{pid} has an empty summary_en",
                  "every provision needs an English summary")
        children = tuple(visit(child, pid) for child in node.get("provisions", []))
        agreement.provisions.setdefault(pid, Provision(
            id=pid, agreement=agreement.id, label=node.get("label"), heading_ja=node.get("heading_ja"),
            heading_en=node.get("heading_en"), chapter_ja=node.get("chapter_ja"),
            text_ja=node.get("text_ja"), summary_en=node["summary_en"], parent=parent,
            children=children, versions=tuple(node["versions"]) if "versions" in node else None,
            text_in_corpus=not not_in_corpus, file=file, line=node.line,
            see_also=tuple(node.get("see_also", ())),
        ))
        return pid

    agreement.roots = [visit(node, None) for node in tree["provisions"]]
    for p in agreement.provisions.values():
        for ref in p.see_also:
            _check_reference(c, agreement, ref, file, p.line)
    version_ids = {v.id for v in agreement.versions}
    for p in agreement.provisions.values():
        for v in p.versions or ():
            if v not in version_ids:
                c.add(file, p.line, f"{p.id} names unknown version {v!r}",
                      f"known versions: {', '.join(sorted(version_ids))}")


def _check_reference(c: _Collector, agreement: Agreement, ref: str, file: str, line: int) -> None:
    if citations.parse(ref) is None:
        c.add(file, line, f"malformed citation {ref!r}", f"write {citations.describe_form()}")
    elif ref not in agreement.provisions:
        c.add(file, line, f"unknown citation {ref}", _near(agreement, ref))


def _near(agreement: Agreement, ref: str) -> str:
    parsed = citations.parse(ref)
    parent = parsed.parent if parsed else None
    while parent and parent not in agreement.provisions:
        parent = citations.parse(parent).parent
    if parent:
        kids = [k.rsplit(".", 1)[1] for k in agreement.provisions[parent].children]
        return f"{parent} has {', '.join(kids) or 'no sub-provisions'}"
    return f"no such provision in {agreement.id}; `kiyaku terms list {agreement.id}` lists them"


def _check_version_refs(c: _Collector, agreement: Agreement, meta: Mapping, file: str) -> None:
    for v in meta["versions"]:
        if "reference" in v:
            _check_reference(c, agreement, v["reference"], file, v.line_of("reference"))
        for ch in v.get("changes", []):
            _check_reference(c, agreement, ch["provision"], file, ch.line_of("provision"))
            if "reference" in ch:
                _check_reference(c, agreement, ch["reference"], file, ch.line_of("reference"))
    for key in ("governing_law", "court"):
        if key in meta:
            _check_reference(c, agreement, meta[key]["provision"], file, meta[key].line_of("provision"))


def _parameters(c: _Collector, agreement: Agreement, doc: Mapping, file: str) -> None:
    for name, p in doc["parameters"].items():
        refs = (p["reference"],) if isinstance(p["reference"], str) else tuple(p["reference"])
        for ref in refs:
            _check_reference(c, agreement, ref, file, p.line_of("reference"))
        values = []
        for key, value in p["values"].items():
            when = parse_date(key)
            if when is None:
                c.add(file, p["values"].line_of(key), f"parameter {name}: {key!r} is not a date",
                      "key each value by the date it takes effect, \"YYYY-MM-DD\"")
                continue
            if values and when <= values[-1][0]:
                c.add(file, p["values"].line_of(key), f"parameter {name}: {when} is not after "
                      f"{values[-1][0]}", "list values in ascending order of date")
            problem = _meaningless(p.get("unit"), value)
            if problem:
                c.add(file, p["values"].line_of(key), f"parameter {name}: {value!r} {problem}",
                      f"a value in {p.get('unit')} must be a number the rules can use as such")
            values.append((when, value))
        first_text = next((v.effective for v in agreement.versions if v.has_text), None)
        if values and first_text and values[0][0] > first_text:
            c.add(file, doc["parameters"].line_of(name), f"parameter {name} has no value until {values[0][0]}, "
                  f"though the text of {agreement.id} is held from {first_text}",
                  f"key its first value \"{first_text}\" (or earlier), as the text in force then says")
        agreement.parameters[name] = Parameter(name, p["description"], p.get("unit"), refs,
                                               tuple(values), file, doc["parameters"].line_of(name),
                                               p.get("for_reference"))


# What a value must be to mean anything in its unit: a period, a threshold or a sum cannot be negative,
# a rate is a percentage, a multiplier or a divisor cannot be zero.
_NATURAL = ("days", "hours", "months", "yen")


def _meaningless(unit: str | None, value: Any) -> str | None:
    if unit in _NATURAL + ("days_per_year", "multiplier", "percent") and (
            isinstance(value, bool) or not isinstance(value, (int, str))):
        return f"is not a number of {unit}"
    if unit in _NATURAL and not (isinstance(value, int) and value >= 0):
        return f"is not a whole number of {unit}, 0 or more"
    if unit in ("days_per_year", "multiplier", "percent"):
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return f"is not a number ({unit})"
        if not number.is_finite() or number <= 0 or (unit == "percent" and number > 100) or \
                (unit == "days_per_year" and number not in (365, 366)):
            return {"percent": "is not a percentage above 0 and at most 100",
                    "days_per_year": "is not a number of days in a year (365 or 366)",
                    "multiplier": "is not a multiplier above 0"}[unit]
    if unit == "boolean" and not isinstance(value, bool):
        return "is not true or false"
    return None


def _load_tax(c: _Collector, path: Path) -> tuple[tuple[tuple[date, Decimal], ...], tuple[str, ...]]:
    if not path.exists():
        c.add(c.rel(path), None, "missing file", "consumption-tax rates by date are needed")
        return (), ()
    doc = c.load(path, "tax")
    if doc is None:
        return (), ()
    rates: list[tuple[date, Decimal]] = []
    for key, value in doc["rates"].items():
        when = parse_date(key)
        if when is None or (rates and when <= rates[-1][0]):
            c.add(c.rel(path), doc["rates"].line_of(key), f"rate key {key!r} is not a date after "
                  "the previous one", "key rates by ascending \"YYYY-MM-DD\"")
            continue
        rates.append((when, Decimal(value)))
    return tuple(rates), tuple(doc["sources"])
