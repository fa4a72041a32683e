"""The replay's compiled modules (tools/compile.py) run only while they are what their sources say."""

from __future__ import annotations

import importlib
import json
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from kiyaku import replay


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in replay.COMPILED:
        (tmp_path / f"{name}.py").write_text(f"# {name}\n", "utf-8")
    monkeypatch.setattr(replay, "_HERE", tmp_path)
    return tmp_path


def test_a_stamp_of_the_sources_as_they_are_is_current(package: Path) -> None:
    (package / replay.STAMP).write_text(json.dumps(replay.source_digests()), "utf-8")
    assert replay.compiled_is_current()


def test_an_edited_source_or_no_stamp_is_not_current(package: Path) -> None:
    assert not replay.compiled_is_current()  # nothing compiled
    (package / replay.STAMP).write_text(json.dumps(replay.source_digests()), "utf-8")
    (package / "evaluator.py").write_text("# evaluator, edited\n", "utf-8")
    assert not replay.compiled_is_current()
    (package / replay.STAMP).write_text("{not json", "utf-8")
    assert not replay.compiled_is_current()


def test_the_sources_are_found_ahead_of_the_compiled_modules(package: Path) -> None:
    spec = replay._Sources.find_spec("kiyaku.replay.evaluator")
    assert spec is not None and spec.origin == str(package / "evaluator.py")
    assert replay._Sources.find_spec("kiyaku.replay.judge") is None  # never compiled: found as usual
    assert replay._Sources.find_spec("other.evaluator") is None


def test_the_replay_runs_compiled_exactly_when_its_stamp_is_current() -> None:
    compiled = replay.is_compiled()
    for name in replay.COMPILED:
        module = importlib.import_module(f"kiyaku.replay.{name}")
        assert module.__file__ is not None
        assert module.__file__.endswith(EXTENSION_SUFFIXES[0] if compiled else ".py"), module.__file__


def test_a_tool_that_patches_the_replay_can_ask_for_the_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "meta_path", [p for p in sys.meta_path if p is not replay._Sources])
    replay.run_sources()
    replay.run_sources()  # once is enough
    assert sys.meta_path.count(replay._Sources) == 1
