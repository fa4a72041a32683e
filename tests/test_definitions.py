"""The cache of checked terms and rules: used when nothing changed, rebuilt when a file changes,
and never hiding a broken file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kiyaku import definitions
from kiyaku.errors import DefinitionError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIYAKU_CACHE", str(tmp_path / "cache"))
    for name in ("terms", "rules"):
        shutil.copytree(ROOT / name, tmp_path / "repo" / name)
    return tmp_path / "repo"


def _suspension_file(repo: Path) -> Path:
    return repo / "rules" / "smacom" / "suspension.yaml"


def test_second_load_comes_from_the_cache(repo: Path, tmp_path: Path) -> None:
    terms, book = definitions.load(repo)
    assert len(list((tmp_path / "cache").glob("definitions-*.pickle"))) == 1
    again, book_again = definitions.load(repo)
    assert [g.id for g in book_again.grounds] == [g.id for g in book.grounds]
    assert again.agreements.keys() == terms.agreements.keys()


def test_a_changed_rule_is_seen(repo: Path) -> None:
    definitions.load(repo)
    path = _suspension_file(repo)
    path.write_text(path.read_text("utf-8").replace(
        "summary: Registered details changed and the change was not reported promptly.",
        "summary: Change not reported (edited)."), "utf-8")
    _, book = definitions.load(repo)
    assert any(g.summary == "Change not reported (edited)." for g in book.grounds)


def test_a_broken_rule_is_reported_even_after_a_good_load(repo: Path) -> None:
    definitions.load(repo)
    path = _suspension_file(repo)
    path.write_text(path.read_text("utf-8").replace("smacom:17.1.3, smacom:17.1", "smacom:17.1.9, smacom:17.1"), "utf-8")
    with pytest.raises(DefinitionError) as caught:
        definitions.load(repo)
    assert any("unknown citation smacom:17.1.9" in str(f) for f in caught.value.findings)


def test_every_ground_must_be_told_in_japanese(repo: Path) -> None:
    path = _suspension_file(repo)
    text = path.read_text("utf-8")
    # The Japanese of one missing fact gone: found by the checks after the schema.
    start = text.index("    unknown_ja:\n      registered_details_changed.reported_promptly")
    path.write_text(text[:start] + text[text.index("\n", text.index("\n", start) + 1) + 1:], "utf-8")
    with pytest.raises(DefinitionError) as found:
        definitions.load(repo)
    assert [str(f).split(": ", 1)[1] for f in found.value.findings] == [
        "ground unreported_change_of_details: unknown registered_details_changed.reported_promptly has no "
        "unknown_ja text (write it from the agreement's own words, beside the English)"]
    # A ground's summary_ja gone: the schema requires it.
    gone = '    summary_ja: "第24条（保証金）に規定する保証金を預け入れませんでした（同条第1項ただし書の者を除きます）。"\n'
    assert gone in text
    path.write_text(text.replace(gone, ""), "utf-8")
    line = text[:text.index("\n  deposit_not_made:\n")].count("\n") + 2
    with pytest.raises(DefinitionError) as found:
        definitions.load(repo)
    assert [str(f) for f in found.value.findings] == [
        f"rules/smacom/suspension.yaml:{line}: grounds/deposit_not_made: 'summary_ja' is a required property "
        "(add the missing field)"]


def test_a_cache_read_needs_no_yaml() -> None:
    # Reading checked definitions back must not import the YAML machinery (it is most of a short
    # command's start-up): the loader's line-keeping mappings are cached as plain dicts and lists.
    import pickle

    from kiyaku.yamlio import load_text

    doc = load_text("a: {b: [1, 2]}\n", "x.yaml")
    again = pickle.loads(pickle.dumps(doc))
    assert again == {"a": {"b": [1, 2]}} and type(again) is dict and type(again["a"]["b"]) is list
