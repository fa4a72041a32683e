"""A provision as a reader sees it: its text, its parents, the version in force."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiyaku.errors import Finding, InputError
from kiyaku.terms.model import Agreement, Provision, Terms, Version


def japanese_name(agreement: Agreement, provision: Provision) -> str:
    """第17条第1項第1号, 別記4(3), 料金表 通則11: the way the agreements cite themselves."""
    chain = agreement.ancestors(provision.id) + [provision]
    is_article = bool(chain[0].label and chain[0].label.endswith("条") or "条の" in (chain[0].label or ""))
    parts = [chain[0].label or chain[0].id.split(":", 1)[1]]
    for depth, p in enumerate(chain[1:], start=1):
        seg = p.id.rsplit(".", 1)[-1]
        if seg.startswith("note-"):
            parts.append(p.label or "(注)")
        elif is_article and depth == 1:
            parts.append(f"第{seg}項")
        elif is_article and depth == 2 and seg.isdigit():
            parts.append(f"第{seg}号")
        elif depth == 1 and chain[0].id.split(":", 1)[1].startswith("appendix"):
            parts.append(f"({seg})")
        elif depth == 1:
            parts.append(seg)
        else:
            parts.append(p.label or seg)
    return "".join(parts)


def full_text(agreement: Agreement, provision: Provision, version: Version | None = None) -> str | None:
    """The provision's Japanese text with its sub-provisions', each under its label."""
    if not provision.text_in_corpus:
        return None
    lines = [provision.text_ja] if provision.text_ja else []
    for child_id in provision.children:
        child = agreement.provisions[child_id]
        if version is not None and not child.in_version(version):
            continue
        text = full_text(agreement, child, version)
        if text is None:
            lines.append(f"{child.label or ''} [text not in the corpus]".strip())
        else:
            lines.append(f"{child.label} {text}" if child.label else text)
    return "\n".join(lines) if lines else None


def version_in_force(agreement: Agreement, when: date) -> Version:
    version = agreement.version_at(when)
    if version is None:
        first = agreement.versions[0]
        raise InputError(Finding("--at", None, f"no version of {agreement.id} was in force on {when}",
                                 f"its first version in the corpus takes effect {first.effective}"))
    return version


def resolve(terms: Terms, citation: str) -> tuple[Agreement, Provision]:
    agreement_id = citation.split(":", 1)[0]
    agreement = terms.agreements.get(agreement_id)
    if agreement is None:
        raise InputError(Finding(citation, None, f"unknown agreement {agreement_id!r}",
                                 f"agreements: {', '.join(sorted(terms.agreements))}"))
    provision = agreement.provisions.get(citation)
    if provision is None:
        raise InputError(Finding(citation, None, f"unknown provision {citation}",
                                 f"`kiyaku terms list {agreement_id}` lists every provision"))
    return agreement, provision


def view(terms: Terms, citation: str, when: date) -> dict[str, Any]:
    """JSON-ready description of one provision as in force on `when`, nested for its children."""
    agreement, provision = resolve(terms, citation)
    version = version_in_force(agreement, when)
    out = _node(agreement, provision, version)
    out.update({
        "agreement": agreement.id,
        "agreement_title_ja": agreement.title_ja,
        "name_ja": japanese_name(agreement, provision),
        "version": version.effective.isoformat(),
        "version_id": version.id,
        "version_label": version.label,
        "at": when.isoformat(),
        # None: the version in force is one whose text we do not hold.
        "in_force": provision.in_version(version) if version.has_text else None,
        "parents": [{"id": p.id, "name_ja": japanese_name(agreement, p), "heading_ja": p.heading_ja,
                     "heading_en": p.heading_en, "chapter_ja": p.chapter_ja}
                    for p in agreement.ancestors(provision.id)],
        "notes": _notes(agreement, provision, version),
    })
    return out


def _node(agreement: Agreement, provision: Provision, version: Version) -> dict[str, Any]:
    shown = version.has_text and provision.text_in_corpus
    return {
        "id": provision.id,
        "label": provision.label,
        "heading_ja": provision.heading_ja,
        "heading_en": provision.heading_en,
        "text_ja": full_text(agreement, provision, version) if shown else None,
        "summary_en": provision.summary_en,
        "text_in_corpus": shown,
        "provisions": [_node(agreement, agreement.provisions[c], version) for c in provision.children
                       if agreement.provisions[c].in_version(version)],
    }


def _notes(agreement: Agreement, provision: Provision, version: Version) -> list[str]:
    notes = []
    if version.text == "not_in_corpus":
        notes.append(f"The text of {agreement.id} {version.label} (in force from {version.effective}) "
                     "is not in the corpus; nothing is shown rather than a guess.")
    if version.text == "derived":
        notes.append(f"{version.label}'s own text is not in the corpus; it is read as "
                     f"{agreement.version(version.derived_from).label} with the changes its 附則 records"
                     + (f" ({version.reference})." if version.reference else "."))
    if version.has_text and not provision.in_version(version):
        where = ", ".join(agreement.version(v).label for v in provision.versions or ())
        notes.append(f"{provision.id} is not in force in {version.label}"
                     + (f"; it belongs to {where}." if where else "."))
    if not provision.text_in_corpus:
        notes.append(f"The wording of {provision.id} is not in the corpus.")
    return notes


def render(v: dict[str, Any]) -> str:
    """Plain-text rendering of `view`'s output, for people."""
    lines = [f"{v['id']}  {v['name_ja']}", f"{v['agreement_title_ja']} — {v['version_label']} "
             f"(in force from {v['version']}; as of {v['at']})"]
    for p in v["parents"]:
        heading = f"（{p['heading_ja']}）" if p["heading_ja"] else ""
        english = f"  {p['heading_en']}" if p["heading_en"] else ""
        lines.append(f"  in {p['name_ja']}{heading}{english}")
    if v["heading_ja"]:
        lines.append(f"{v['label'] or ''}（{v['heading_ja']}）  {v['heading_en'] or ''}".strip())
    lines.append("")
    lines.append(v["text_ja"] if v["text_ja"] else "[text not in the corpus]")
    lines.append("")
    lines.append(f"Summary: {v['summary_en']}")
    for child in v["provisions"]:
        lines.append(f"  {child['label'] or child['id']}: {child['summary_en']}")
    for note in v["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def listing(terms: Terms, agreement_id: str) -> list[dict[str, Any]]:
    agreement = terms.agreements.get(agreement_id)
    if agreement is None:
        raise InputError(Finding(agreement_id, None, f"unknown agreement {agreement_id!r}",
                                 f"agreements: {', '.join(sorted(terms.agreements))}"))
    return [{"id": p.id, "name_ja": japanese_name(agreement, p), "heading_ja": p.heading_ja,
             "summary_en": p.summary_en, "depth": len(agreement.ancestors(p.id))}
            for p in agreement.walk()]
