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
