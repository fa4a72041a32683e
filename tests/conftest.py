from __future__ import annotations

from pathlib import Path

import pytest

from engine.terms import Terms, load_terms

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def terms() -> Terms:
    return load_terms(ROOT / "terms")
