"""A store that goes away while the server runs: every request that needs it is a 503 problem saying
so (never a stack trace, never a half-written decision), and the server recovers by itself when the
store is back. On a real PostgreSQL server stopped and started again, and on a SQLite store held
locked by another writer."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from kiyaku.server import Settings, create_app
from kiyaku.store import open_store
from kiyaku.store.decisions import listing
from postgres_cluster import Cluster
from serving import ROOT, bearer, example_store

ASK = {"question": "can-suspend", "contract": "SC-2001", "at": "2025-07-10"}


def unavailable(response) -> dict:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    doc = response.json() if response.headers["content-type"] == "application/problem+json" else None
    assert "Traceback" not in response.text
    return doc


@pytest.fixture
def cluster():
    # A cluster of this test's own: stopping it must not disturb the store tests' shared one.
    started = Cluster()
    yield started
    started.stop()


def test_postgresql_going_away_is_503_and_the_server_recovers_when_it_is_back(cluster):
    url = cluster.new_database()
    keys = example_store(url)
    with TestClient(create_app(Settings(db=url, root=ROOT, rate=0)), follow_redirects=False) as client:
        assert client.post("/v1/ask", json=ASK, headers=bearer(keys["agent"])).status_code == 200
        paid = {"contract": "SC-2001", "time": "2025-07-11", "type": "payment", "invoice": "INV-2025-05", "amount": 6578}
        stored = client.post("/v1/contracts/SC-2001/events", json={"events": [paid]}, headers=bearer(keys["ingest"]))
        assert stored.status_code == 201 and stored.json()["new"] == 1
        cluster.halt()
        doc = unavailable(client.post("/v1/ask", json=ASK, headers=bearer(keys["agent"])))
        assert doc["title"] == "The case store is unavailable" and "cannot reach the store" in doc["detail"]
        assert url.split("?")[0] not in doc["detail"]  # where the store is stays in the server's log
        unavailable(client.get("/healthz"))
        unavailable(client.get("/v1/contracts/SC-2001/report", headers=bearer(keys["agent"])))
        page = client.get("/signin")  # the page needs no store to show the sign-in form
        assert page.status_code == 200
        signing_in = client.post("/signin", data={"token": keys["agent"]})
        assert signing_in.status_code == 503 and "The case store is unavailable" in signing_in.text
        cluster.start()
        assert client.get("/healthz").status_code == 200
        again = client.post("/v1/ask", json=ASK, headers=bearer(keys["agent"]))
        assert again.status_code == 200 and again.json()["answer"] == "yes"
        # As of 2025-07-12, after the payment ingested above, the debt is paid: no ground to suspend.
        later = client.post("/v1/ask", json=ASK | {"at": "2025-07-12"}, headers=bearer(keys["agent"]))
        assert later.status_code == 200 and later.json()["answer"] == "no"
    with open_store(url) as store:
        assert len(list(listing(store))) == 3  # the answers given, and nothing of the one refused


def test_a_sqlite_store_locked_by_another_writer_is_503_until_it_is_released(tmp_path, monkeypatch):
    db = str(tmp_path / "kiyaku.db")
    keys = example_store(db)
    monkeypatch.setenv("KIYAKU_DB_TIMEOUT", "0.5")
    with TestClient(create_app(Settings(db=db, root=ROOT, rate=0))) as client:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another program writing, and taking its time
        try:
            doc = unavailable(client.post("/v1/ask", json=ASK, headers=bearer(keys["agent"])))
            assert "locked by another writer" in doc["detail"]
            # Reading goes on meanwhile (the served store is in WAL mode).
            assert client.get("/v1/contracts/SC-2001", headers=bearer(keys["agent"])).status_code == 200
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert client.post("/v1/ask", json=ASK, headers=bearer(keys["agent"])).status_code == 200
    with open_store(db) as store:
        assert len(list(listing(store))) == 1
