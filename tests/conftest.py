from __future__ import annotations

import signal
from pathlib import Path

import pytest

from kiyaku.terms import Terms, load_terms

ROOT = Path(__file__).resolve().parent.parent

# Tests interrupt kiyaku with SIGINT, as Ctrl-C does. A shell starts a background job with SIGINT
# ignored, an ignored signal stays ignored across exec, and Python then installs no KeyboardInterrupt:
# the processes these tests start would never see it. A handler of our own is reset to the default
# in them instead, wherever the suite was started from.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def terms() -> Terms:
    return load_terms(ROOT / "terms")


# Scenario files: YAML cases a domain expert writes (tests/scenarios/*.yaml), one test per case,
# loaded, run and compared by kiyaku.change.scenarios (the library behind `kiyaku test`).
def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        from kiyaku.change.scenarios import display_path, load_suite

        self.cases = load_suite(self.path, display_path(self.path, ROOT)).cases
        self.results = None
        for case in self.cases:
            yield ScenarioItem.from_parent(self, name=case.name, case=case)

    def result(self, case):
        """The file's cases run together on first use (one evaluation per as-of time, not per case)."""
        if self.results is None:
            from kiyaku.change.scenarios import run_cases

            self.results = {id(r.case): r for r in run_cases(ROOT, self.cases)}
        return self.results[id(case)]

    def repr_failure(self, excinfo):
        from kiyaku.errors import KiyakuError

        if isinstance(excinfo.value, KiyakuError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    def __init__(self, *, case, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from kiyaku.change.scenarios import render

        result = self.parent.result(self.case)
        if result.status != "pass":
            raise ScenarioFailure(render(result))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return excinfo.value.args[0]
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.case.line - 1, f"scenario: {self.name}"


class ScenarioFailure(Exception):
    pass


# The store tests run against SQLite and a real PostgreSQL 15 server, started once for the session
# (tests/postgres_cluster.py) and given a fresh database per test.
@pytest.fixture(scope="session")
def postgres():
    from postgres_cluster import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "kiyaku.db")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def postgres_or_none(request, store_url):
    """The PostgreSQL cluster when the test runs on it (to act on the server directly), else None."""
    return request.getfixturevalue("postgres") if store_url.startswith("postgresql") else None
