"""The cache of checked terms and rules: used when nothing changed, rebuilt when a file changes,
and never hiding a broken file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiyaku import definitions
from kiyaku.errors import DefinitionError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIYAKU_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(definitions, "_loaded", {})  # this process's memo, keyed by content like the cache
    for name in ("terms", "rules"):
        shutil.copytree(ROOT / name, tmp_path / "repo" / name)
    return tmp_path / "repo"


def _suspension_file(repo: Path) -> Path:
    return repo / "rules" / "smacom" / "suspension.yaml"


def test_second_load_comes_from_the_cache(repo: Path, tmp_path: Path) -> None:
    terms, book = definitions.load(repo)
    assert len(list((tmp_path / "cache").glob("definitions-*.json"))) == 1
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


# --- what the cache can be trusted with ------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One entry, built once for this module: the tests below start from a copy of it (a warm cache)."""
    folder = tmp_path_factory.mktemp("built") / "cache"
    saved = os.environ.get("KIYAKU_CACHE")
    os.environ["KIYAKU_CACHE"] = str(folder)
    try:
        definitions._loaded.clear()
        definitions.load(ROOT)
    finally:
        os.environ.pop("KIYAKU_CACHE") if saved is None else os.environ.update(KIYAKU_CACHE=saved)
    (entry,) = folder.glob("definitions-*.json")
    return entry


@pytest.fixture()
def warm(repo: Path, tmp_path: Path, built: Path) -> Path:
    """The entry of `repo`'s definitions (the same content as ROOT's), in a private cache folder."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    entry = cache / built.name
    shutil.copyfile(built, entry)
    entry.chmod(0o600)
    return entry


def _tamper(entry: Path) -> None:
    """A well-formed entry that says something the rules do not: it must not be believed."""
    entry.write_text(entry.read_text("utf-8").replace(
        "Registered details changed and the change was not reported promptly.", "TAMPERED"), "utf-8")


def _tampered(repo: Path) -> bool:
    _, book = definitions.load(repo)
    return any(g.summary == "TAMPERED" for g in book.grounds)


def test_a_private_entry_is_believed(repo: Path, warm: Path) -> None:
    # The counterpart of the tests below: a tampered entry in a private folder is used, as it is.
    _tamper(warm)
    assert _tampered(repo)


def test_the_cache_holds_data_and_never_runs_a_pickle(repo: Path, warm: Path, tmp_path: Path) -> None:
    import pickle

    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    warm.with_suffix(".pickle").write_bytes(pickle.dumps(Payload()))  # where the old format kept it
    warm.write_bytes(pickle.dumps(Payload()))
    _, book = definitions.load(repo)
    assert not marker.exists() and book.grounds
    assert not list(warm.parent.glob("*.pickle"))  # the old format is pruned


@pytest.mark.parametrize("mode", [0o775, 0o757], ids=["group-writable", "world-writable"])
def test_a_cache_folder_others_can_write_is_not_believed(repo: Path, warm: Path, mode: int) -> None:
    _tamper(warm)
    warm.parent.chmod(mode)
    assert not _tampered(repo)


def test_a_cache_file_others_can_write_is_not_believed(repo: Path, warm: Path) -> None:
    _tamper(warm)
    warm.chmod(0o666)
    assert not _tampered(repo)


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="only root can give a file to another user")
def test_a_cache_file_of_another_user_is_not_believed(repo: Path, warm: Path) -> None:
    _tamper(warm)
    os.chown(warm, 65534, 65534)
    assert not _tampered(repo)


def test_a_link_in_place_of_the_entry_is_not_followed(repo: Path, warm: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    warm.rename(elsewhere)
    _tamper(elsewhere)
    warm.symlink_to(elsewhere)
    assert not _tampered(repo)


def test_an_edit_that_keeps_size_and_modification_time_is_seen(repo: Path, warm: Path) -> None:
    path = _suspension_file(repo)
    before = path.stat()
    text = path.read_text("utf-8")
    edited = text.replace("the change was not reported promptly.", "the change was not reported speedily.")
    assert len(edited.encode()) == len(text.encode())
    path.write_text(edited, "utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p, tar and rsync -t leave it
    _, book = definitions.load(repo)
    assert any(g.summary == "Registered details changed and the change was not reported speedily." for g in book.grounds)


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],
    lambda text: "",
    lambda text: "[1, 2, 3]",
    lambda text: '{"$": "Unknown"}',
    lambda text: text.replace('"$":"Ground"', '"$":"Terms"', 1),
    lambda text: '{"$tuple": [{"$": "Terms", "agreements": {"$dict": []}, "tax_rates": 5, "tax_sources": 1}, 2]}',
    lambda text: '{"$tuple": [' + "[" * 100_000 + "]" * 100_000 + "]}",
], ids=["truncated", "empty", "wrong-type", "unknown-class", "wrong-fields", "wrong-shape", "deep"])
def test_a_damaged_entry_is_passed_over(warm: Path, damage) -> None:
    warm.write_text(damage(warm.read_text("utf-8")), "utf-8")
    assert definitions._read(warm.parent, warm.name) is None


def test_a_damaged_entry_is_rebuilt_whole(repo: Path, warm: Path) -> None:
    warm.write_bytes(warm.read_bytes()[:1000])
    _, book = definitions.load(repo)
    assert book.grounds and definitions._read(warm.parent, warm.name) is not None


def test_processes_filling_a_cold_cache_at_once_all_succeed(repo: Path, tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from kiyaku import definitions; "
            "t, b = definitions.load(Path(sys.argv[1])); print(len(b.grounds))")
    env = os.environ | {"KIYAKU_CACHE": str(tmp_path / "cache")}
    processes = [subprocess.Popen([sys.executable, "-c", code, str(repo)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    assert len({out for out, _ in outputs}) == 1 and all(err == b"" for _, err in outputs)
    (entry,) = (tmp_path / "cache").iterdir()  # one entry, no temporary file left
    assert definitions._read(entry.parent, entry.name) is not None


def test_entries_unused_for_a_month_and_beyond_the_latest_are_pruned(warm: Path) -> None:
    month_ago = time.time() - 31 * 86400
    names = [f"definitions-{n:040d}.json" for n in range(definitions.KEEP + 3)]
    for n, name in enumerate(names):
        (warm.parent / name).write_text("{}", "utf-8")
        os.utime(warm.parent / name, (month_ago, month_ago) if n < 2 else (time.time() - n, time.time() - n))
    definitions._store(warm.parent, warm.name, definitions._read(warm.parent, warm.name))
    kept = {p.name for p in warm.parent.glob("definitions-*.json")}
    # The two unused for a month went, and of the rest only the KEEP latest stayed, the new entry among them.
    assert len(kept) == definitions.KEEP and warm.name in kept and not set(names[:2]) & kept
    assert set(names[2:definitions.KEEP + 1]) <= kept


def test_a_warm_cache_is_read_without_yaml(tmp_path: Path) -> None:
    # The YAML machinery is most of a short command's start-up: checked definitions read back from
    # the cache must not need it.
    code = ("import sys; from pathlib import Path; from kiyaku import definitions; "
            f"definitions.load(Path({str(ROOT)!r})); "
            "print(sorted(m for m in sys.modules if m.startswith(('yaml', 'ruamel'))))")
    env = os.environ | {"KIYAKU_CACHE": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)  # builds the entry
    done = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert done.stdout.strip() == "[]"
