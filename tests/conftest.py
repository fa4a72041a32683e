from __future__ import annotations

from pathlib import Path

import pytest

from engine.terms import Terms, load_terms

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def terms() -> Terms:
    return load_terms(ROOT / "terms")


# Scenario files: YAML cases a domain expert writes (tests/scenarios/*.yaml), one test per case.
def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        import yaml

        for case in yaml.safe_load(self.path.read_text("utf-8")):
            yield ScenarioItem.from_parent(self, name=case["name"], case=case)


class ScenarioItem(pytest.Item):
    def __init__(self, *, case: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        import tempfile

        import yaml

        from engine.evaluate import evaluate
        from engine.events import parse_time

        with tempfile.TemporaryDirectory() as tmp:
            events = Path(tmp) / "events.yaml"
            events.write_text(yaml.safe_dump(self.case["events"], allow_unicode=True), "utf-8")
            as_of = parse_time(str(self.case["as_of"])) if "as_of" in self.case else None
            result = evaluate(ROOT, [events], as_of)
        problems = []
        for want in self.case["expect"]:
            got = [r for r in result.rulings if r["ground"] == want["ground"]]
            if not got:
                problems.append(f"no ruling for ground {want['ground']}")
                continue
            diff = {k: (v, got[0].get(k)) for k, v in want.items() if got[0].get(k) != v}
            if diff:
                problems.append(f"{want['ground']}: " + "; ".join(
                    f"{k}: expected {w!r}, got {g!r}" for k, (w, g) in diff.items()))
        if problems:
            raise ScenarioFailure(problems)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{self.path.name}: {self.name}\n  " + "\n  ".join(excinfo.value.args[0])
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"scenario: {self.name}"


class ScenarioFailure(Exception):
    pass
