"""The REST API of `kiyaku serve`, through an HTTP client (FastAPI's TestClient, in this process), on a
store holding the bundled examples: every endpoint, with good input, bad input and missing rights.

The answers asserted here are worked out from the examples and the agreements by hand: SC-2001's
invoice INV-2025-05 fell due on 2025-06-30 unpaid, so from 2025-07-01 smacom 第17条第1項第1号 lets the
provider suspend; it suspended on 2025-07-03 09:00 without the prior notice 第17条第2項 requires.
TS-1201's outage was learned of at 2025-07-08 09:30 and ended at 20:15: 10 h 45 min, over
ts-cloudphone's 8-hour threshold (第33条第1項), one started 24-hour period, so one day of the
30,000-yen monthly fee in a 31-day July: 30000 / 31 = 967.74…, fractions cut: 967 yen.
"""

from __future__ import annotations

import hashlib
import base64
import json
import re

import pytest
from fastapi.testclient import TestClient

from kiyaku.server import Settings, create_app
from serving import EXAMPLES, ROOT, bearer, example_store

SC2001 = ROOT / "examples/smacom/unpaid-and-suspended-without-notice.jsonl"
TS1201 = ROOT / "examples/ts-cloudphone/money-outage-and-late-payment.jsonl"


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("serve") / "kiyaku.db")


@pytest.fixture(scope="module")
def keys(db) -> dict[str, str]:
    return example_store(db)


@pytest.fixture(scope="module")
def client(db, keys):
    with TestClient(create_app(Settings(db=db, root=ROOT, rate=0))) as client:
        yield client


def ask(client, role_token, **body):
    return client.post("/v1/ask", json=body, headers=bearer(role_token))


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["status"] == status and doc["title"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return doc


# --- asking -------------------------------------------------------------------------------------------

def test_ask_answers_from_the_store_and_records_the_decision_under_the_tokens_user(client, keys):
    done = ask(client, keys["agent"], question="can-suspend", contract="SC-2001", at="2025-07-10")
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["answer"] == "yes"
    assert answer["citations"][0] == "smacom:17.1.1"
    assert answer["as_of"] == "2025-07-10T00:00:00+09:00" and answer["as_of_source"] == "at"
    assert answer["why"][0]["since"] == "2025-07-01T00:00:00+09:00"
    notice, = [r for r in answer["first"] if r["kind"] == "notice"]
    assert notice["citations"] == ["smacom:17.2"] and notice["missed_since"] == "2025-07-03T09:00:00+09:00"
    assert {"state": "suspended", "since": "2025-07-03T09:00:00+09:00"}.items() <= answer["state"][0].items()
    recorded = client.get(f"/v1/decisions/{answer['decision_id']}", headers=bearer(keys["legal"])).json()
    assert recorded["asked_by"] == "alice" and recorded["question"] == "can-suspend"
    assert recorded["answer"] == "yes" and recorded["contract"] == "SC-2001"
    assert json.loads(recorded["given"]) == answer  # exactly what was sent
    assert [e["event"] for e in recorded["events"]] == lines(SC2001)


def test_ask_answers_the_same_json_as_the_command_line(client, keys):
    from click.testing import CliRunner

    from kiyaku.cli import main

    cli = CliRunner().invoke(main, ["ask", "liability", str(TS1201), "--contract", "TS-1201", "--at", "2025-07-10",
                                    "--format", "json", "--root", str(ROOT)], env={"KIYAKU_DB": None})
    served = ask(client, keys["agent"], question="liability", contract="TS-1201", at="2025-07-10").json()
    assert served["answer"] == "yes" and served["amount"] == 967
    expected = json.loads(cli.stdout)
    assert {k: v for k, v in served.items() if k not in ("decision_id", "as_of_source", "rulings")} == \
        {k: v for k, v in expected.items() if k != "rulings"}
    # The rulings cite the events by where they came from: the store keeps the path they were ingested from.
    assert [r["ground"] for r in served["rulings"]] == [r["ground"] for r in expected["rulings"]]


def test_ask_with_events_inline_answers_for_a_contract_not_stored_and_records_them(client, keys):
    events = [e | {"contract": "TS-9999"} for e in lines(TS1201)]
    done = ask(client, keys["agent"], question="liability", contract="TS-9999", at="2025-07-08T16:30", events=events)
    assert done.status_code == 200, done.text
    answer = done.json()
    # 09:30 to 16:30 is 7 of the 8 hours: not yet, from 17:30, and nothing owed so far.
    assert answer["answer"] == "no" and answer["amount"] == 0
    assert answer["not_yet"]["from"] == "2025-07-08T17:30:00+09:00"
    recorded = client.get(f"/v1/decisions/{answer['decision_id']}", headers=bearer(keys["legal"])).json()
    assert [e["event"] for e in recorded["events"]] == events
    assert recorded["events"][0]["source"] == "events" and recorded["events"][0]["line"] == 1
    assert client.get("/v1/contracts/TS-9999", headers=bearer(keys["agent"])).status_code == 404  # not stored


def test_ask_without_at_answers_as_of_now_and_says_so(client, keys):
    answer = ask(client, keys["agent"], question="can-suspend", contract="SC-2001").json()
    assert answer["as_of_source"] == "now"
    assert answer["as_of"][:4] >= "2025"


@pytest.mark.parametrize("body, status, field", [
    ({"question": "can-fly", "contract": "SC-2001"}, 422, "body.question"),
    ({"question": "can-suspend"}, 422, "body.contract"),
    ({"question": "can-suspend", "contract": "SC-2001", "at": "last tuesday"}, 422, "body.at"),
    ({"question": "can-suspend", "contract": "SC-2001", "as_of": "2025-07-10"}, 422, "body.as_of"),
    ({"question": "can-suspend", "contract": "SC\n2001"}, 422, "body.contract"),
    ({"question": "can-suspend", "contract": "SC-2001", "events": []}, 422, "body.events"),
])
def test_ask_names_the_field_that_is_wrong(client, keys, body, status, field):
    doc = problem(ask(client, keys["agent"], **body), status)
    assert field in [e.get("field") for e in doc["errors"]], doc


def test_ask_names_the_event_that_is_wrong_by_its_place_in_the_list(client, keys):
    events = lines(SC2001)
    events[1] = {k: v for k, v in events[1].items() if k != "due_date"}
    doc = problem(ask(client, keys["agent"], question="can-suspend", contract="SC-2001", events=events), 422)
    assert doc["errors"] == [{"message": "field due_date: missing; invoice events require it", "pointer": "/events/1",
                              "event": 2, "hint": "see the invoice event in docs/events.md"}]
    doc = problem(ask(client, keys["agent"], question="can-suspend", contract="SC-2002", events=lines(SC2001)), 422)
    assert doc["errors"][0]["field"] == "contract"


def test_a_contract_not_in_the_store_is_404_and_an_id_is_only_ever_a_value(client, keys):
    for cid in ("NOPE", "SC-2001' OR '1'='1", "%", "../../etc/passwd"):
        doc = problem(ask(client, keys["agent"], question="can-suspend", contract=cid), 404)
        assert f"no events for contract {cid!r}" in doc["detail"]


# --- who may do what ----------------------------------------------------------------------------------

def test_no_token_or_a_bad_one_is_401(client, keys):
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, bearer("kiyaku_000000000000_" + "x" * 43),
                    bearer(keys["agent"][:-1] + ("A" if keys["agent"][-1] != "A" else "B"))):
        done = client.get("/v1/contracts/SC-2001", headers=headers)
        problem(done, 401)
        assert done.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role, method, path, body", [
    ("ingest", "post", "/v1/ask", {"question": "can-suspend", "contract": "SC-2001"}),
    ("ingest", "get", "/v1/contracts/SC-2001", None),
    ("ingest", "get", "/v1/terms/smacom:17.1.1", None),
    ("agent", "post", "/v1/contracts/SC-2001/events", {"events": [{}]}),
    ("legal", "post", "/v1/contracts/SC-2001/events", {"events": [{}]}),
    ("agent", "get", "/v1/decisions", None),
    ("agent", "post", "/v1/decisions/00000000/replay", None),
])
def test_a_role_may_do_only_what_it_is_for(client, keys, role, method, path, body):
    doc = problem(client.request(method, path, json=body, headers=bearer(keys[role])), 403)
    assert f"role {role} may not" in doc["title"]


def test_a_revoked_token_is_refused_from_then_on(client, db):
    from click.testing import CliRunner

    from kiyaku.cli import main

    made = CliRunner().invoke(main, ["token", "create", "--role", "agent", "--user", "temp", "--db", db])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert client.get("/v1/terms/smacom:17.1", headers=bearer(secret)).status_code == 200
    listed = CliRunner().invoke(main, ["token", "list", "--db", db, "--format", "json"])
    tid, = [t["id"] for t in json.loads(listed.stdout) if t["user"] == "temp"]
    assert secret.startswith(f"kiyaku_{tid}_") and secret[20:] not in listed.stdout  # the secret is kept nowhere
    assert CliRunner().invoke(main, ["token", "revoke", tid, "--db", db]).exit_code == 0
    problem(client.get("/v1/terms/smacom:17.1", headers=bearer(secret)), 401)
    again = CliRunner().invoke(main, ["token", "revoke", tid, "--db", db])
    assert again.exit_code == 2 and "revoked already" in again.stderr


# --- reading ------------------------------------------------------------------------------------------

def test_a_contract_shows_its_events_and_the_state_it_is_in(client, keys):
    doc = client.get("/v1/contracts/SC-2001", params={"at": "2025-07-10"}, headers=bearer(keys["agent"])).json()
    assert doc["agreement"] == "smacom" and doc["as_of"] == "2025-07-10T00:00:00+09:00"
    assert [e["event"] for e in doc["events"]] == lines(SC2001)
    assert {(s["state"], s["since"]) for s in doc["state"]} >= {("suspended", "2025-07-03T09:00:00+09:00")}
    before = client.get("/v1/contracts/SC-2001", params={"at": "2025-07-02"}, headers=bearer(keys["agent"])).json()
    assert before["state"] == []  # not yet suspended, no notice owed yet
    problem(client.get("/v1/contracts/SC-2001", params={"at": "2025-13-01"}, headers=bearer(keys["agent"])), 422)


def test_rulings_are_given_and_recorded_as_a_decision(client, keys):
    done = client.get("/v1/contracts/SC-2001/rulings", params={"at": "2025-07-10"}, headers=bearer(keys["agent"]))
    assert done.status_code == 200, done.text
    doc = done.json()
    unpaid, = [r for r in doc["rulings"] if r["ground"] == "smacom.suspension.unpaid_after_due_date"]
    assert unpaid["outcome"] == "may_suspend" and unpaid["at"] == "2025-07-01T00:00:00+09:00"
    recorded = client.get(f"/v1/decisions/{doc['decision_id']}", headers=bearer(keys["legal"])).json()
    assert recorded["question"] == "rulings" and recorded["asked_by"] == "alice"
    assert recorded["answer_json"]["rulings"] == doc["rulings"]


def test_the_report_is_the_case_memo_with_only_its_own_stylesheet_allowed(client, keys):
    done = client.get("/v1/contracts/SC-2001/report", params={"at": "2025-07-10"}, headers=bearer(keys["agent"]))
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert "SC-2001" in done.text and "第17条第1項第1号" in done.text
    style = re.search(r"<style>(.*?)</style>", done.text, flags=re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = done.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "<script" not in done.text


def test_a_provision_is_shown_as_in_force_then(client, keys):
    doc = client.get("/v1/terms/smacom:17.1.1", params={"at": "2025-07-01"}, headers=bearer(keys["agent"])).json()
    assert doc["text_ja"] == "料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき"
    assert doc["name_ja"] == "第17条第1項第1号" and doc["version"] == "2025-04-01"
    assert problem(client.get("/v1/terms/smacom:99.9", headers=bearer(keys["agent"])), 404)["detail"]
    problem(client.get("/v1/terms/not a citation", headers=bearer(keys["agent"])), 422)
    # smacom's only version in the corpus takes effect 2025-04-01: none was in force before.
    doc = problem(client.get("/v1/terms/smacom:17.1.1", params={"at": "2020-01-01"}, headers=bearer(keys["agent"])), 422)
    assert "no version of smacom was in force on 2020-01-01" in doc["detail"]


# --- writing events -----------------------------------------------------------------------------------

def new_contract(cid: str) -> list[dict]:
    return [{"contract": cid, "agreement": "smacom", "time": "2025-04-01T10:00", "type": "service_started"},
            {"contract": cid, "time": "2025-05-01", "type": "invoice", "id": "I1", "amount": 6578,
             "due_date": "2025-06-30"}]


def test_events_are_ingested_once_validated_and_all_or_nothing(client, keys):
    url, auth = "/v1/contracts/API-1/events", bearer(keys["ingest"])
    bad = new_contract("API-1")
    bad[1] = bad[1] | {"amount": "lots"}
    doc = problem(client.post(url, json={"events": bad}, headers=auth), 422)
    assert doc["errors"][0]["pointer"] == "/events/1" and "amount" in doc["errors"][0]["message"]
    problem(client.get("/v1/contracts/API-1", headers=bearer(keys["agent"])), 404)  # nothing was written
    done = client.post(url, json={"events": new_contract("API-1")}, headers=auth)
    assert done.status_code == 201 and done.json() == {"events": 2, "new": 2, "contracts": 1, "new_contracts": 1}
    again = client.post(url, json={"events": new_contract("API-1")}, headers=auth)
    assert again.status_code == 200 and again.json()["new"] == 0
    changed = [new_contract("API-1")[1] | {"amount": 9999}]
    doc = problem(client.post(url, json={"events": changed}, headers=auth), 422)
    assert "already has an event 'I1' with other content" in doc["errors"][0]["message"]
    answer = ask(client, keys["agent"], question="can-suspend", contract="API-1", at="2025-07-10").json()
    assert answer["answer"] == "yes" and answer["citations"][0] == "smacom:17.1.1"


def test_events_of_another_contract_are_refused(client, keys):
    doc = problem(client.post("/v1/contracts/API-2/events", json={"events": new_contract("API-3")},
                              headers=bearer(keys["ingest"])), 422)
    assert doc["errors"][0]["pointer"] == "/events/0" and "is not the contract of the URL" in doc["errors"][0]["message"]
    problem(client.post("/v1/contracts/API-2/events", json={"events": [1, 2]}, headers=bearer(keys["ingest"])), 422)


# --- the decision log ---------------------------------------------------------------------------------

def test_decisions_are_listed_by_contract_and_replayed(client, keys):
    given = ask(client, keys["agent"], question="late-interest", contract="TS-1201", at="2025-07-10").json()
    listed = client.get("/v1/decisions", params={"contract": "TS-1201"}, headers=bearer(keys["legal"])).json()
    assert given["decision_id"] in [d["id"] for d in listed["decisions"]]
    assert {d["contract"] for d in listed["decisions"]} == {"TS-1201"} and listed["truncated"] is False
    one = client.get("/v1/decisions", params={"limit": 1}, headers=bearer(keys["legal"])).json()
    assert len(one["decisions"]) == 1 and one["truncated"] is True
    replayed = client.post(f"/v1/decisions/{given['decision_id'][:8]}/replay", headers=bearer(keys["legal"]))
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["same"] is True and replayed.json()["today"]["answer"] == given["answer"]
    problem(client.get("/v1/decisions/ffffffff-ffff-ffff-ffff-ffffffffffff", headers=bearer(keys["legal"])), 404)
    problem(client.get("/v1/decisions/not-hex!", headers=bearer(keys["legal"])), 422)
    problem(client.get("/v1/decisions", params={"since": "soon"}, headers=bearer(keys["legal"])), 422)


# --- every response -----------------------------------------------------------------------------------

def test_every_response_names_the_version_and_the_terms_and_rules_it_answers_under(client, keys):
    from kiyaku.report.provenance import tree_sha256

    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    for response in (health, client.get("/v1/contracts/NOPE", headers=bearer(keys["agent"])), client.get("/nowhere"),
                     client.get("/static/page.css"), client.get("/openapi.json")):
        assert response.headers["kiyaku-terms-sha256"] == tree_sha256(ROOT, "terms")
        assert response.headers["kiyaku-rules-sha256"] == tree_sha256(ROOT, "rules")
        assert response.headers["kiyaku-version"] == health.json()["kiyaku_version"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "total;dur=" in response.headers["server-timing"]


def test_unknown_paths_and_methods_are_problems(client, keys):
    assert problem(client.get("/v1/nowhere", headers=bearer(keys["agent"])), 404)["title"] == "Not Found"
    problem(client.delete("/v1/contracts/SC-2001", headers=bearer(keys["agent"])), 405)
    problem(client.post("/v1/ask", content=b"{not json", headers=bearer(keys["agent"]) |
                        {"content-type": "application/json"}), 422)


def test_the_openapi_document_describes_every_route_and_the_answer(client):
    doc = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/contracts/{contract}", "/v1/contracts/{contract}/rulings", "/v1/contracts/{contract}/report",
            "/v1/contracts/{contract}/events", "/v1/terms/{citation}", "/v1/decisions", "/v1/decisions/{decision}",
            "/v1/decisions/{decision}/replay", "/healthz"} <= set(doc["paths"])
    assert not any(p.startswith(("/contracts", "/signin")) for p in doc["paths"])  # the page is not the API
    schemas = doc["components"]["schemas"]
    assert schemas["Answer"]["properties"]["answer"]["enum"] == ["yes", "no", "undetermined"]
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert all(r.startswith("#/components/schemas/") for r in refs), refs
    assert doc["paths"]["/healthz"]["get"]["security"] == [] and doc["security"] == [{"token": []}]


def test_a_body_too_large_is_refused_before_it_is_read(db, keys):
    with TestClient(create_app(Settings(db=db, root=ROOT, rate=0, max_body=2048))) as small:
        events = lines(SC2001) * 20
        doc = problem(small.post("/v1/ask", json={"question": "can-suspend", "contract": "SC-2001", "events": events},
                                 headers=bearer(keys["agent"])), 413)
        assert "at most 2048 bytes" in doc["detail"]

        def chunks():  # no Content-Length: counted as it comes
            yield b'{"question": "can-suspend", "contract": "SC-2001", "events": ['
            for e in events:
                yield json.dumps(e).encode() + b","
            yield b"{}]}"
        problem(small.post("/v1/ask", content=chunks(), headers=bearer(keys["agent"]) |
                           {"content-type": "application/json"}), 413)


def test_one_client_is_held_to_its_rate_and_another_is_not(db, keys):
    with TestClient(create_app(Settings(db=db, root=ROOT, rate=0.5, burst=2))) as limited:
        codes = [limited.get("/v1/terms/smacom:17.1", headers=bearer(keys["agent"])).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = limited.get("/v1/terms/smacom:17.1", headers=bearer(keys["agent"]))
        assert problem(refused, 429) and 1 <= int(refused.headers["retry-after"]) <= 2
        assert limited.get("/v1/terms/smacom:17.1", headers=bearer(keys["legal"])).status_code == 200


def test_an_unexpected_fault_is_a_500_problem_without_a_trace(db, keys):
    app = create_app(Settings(db=db, root=ROOT, rate=0))
    # A fault kiyaku does not foresee, injected where the service meets the store.
    app.state.service.term = lambda *a: 1 / 0
    with TestClient(app, raise_server_exceptions=False) as faulty:
        done = faulty.get("/v1/terms/smacom:17.1", headers=bearer(keys["agent"]))
        doc = problem(done, 500)
        assert doc["detail"] == "the server's log has the details" and "ZeroDivision" not in done.text
        assert done.headers["kiyaku-version"]


def test_the_server_commands_have_help_and_the_readme_shows_them():
    from click.testing import CliRunner

    from kiyaku.cli import main

    readme = (ROOT / "README.md").read_text("utf-8")
    for args in (["serve"], ["token", "create"], ["token", "list"], ["token", "revoke"]):
        result = CliRunner().invoke(main, [*args, "--help"])
        assert result.exit_code == 0 and "Example:" in result.output
        assert f"kiyaku {' '.join(args)} " in readme
    assert "make serve" in readme and "http://127.0.0.1:8080/" in readme
