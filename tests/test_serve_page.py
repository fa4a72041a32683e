"""The support agent's page without a browser: plain HTTP, as a browser without JavaScript uses it —
signing in, the session cookie, forms that carry their CSRF value, the language, autoescaping, the
provider's proxy. (The browser tests are in test_serve_browser.py.)"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from kiyaku.server import Settings, create_app
from kiyaku.store import open_store
from kiyaku.store.decisions import get
from serving import EXAMPLES, ROOT, bearer, example_store

HOSTILE = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("page") / "kiyaku.db")


@pytest.fixture(scope="module")
def keys(db) -> dict[str, str]:
    return example_store(db)


@pytest.fixture(scope="module")
def served(db, keys):
    with TestClient(create_app(Settings(db=db, root=ROOT, rate=0)), follow_redirects=False) as client:
        yield client


@pytest.fixture
def browser(served):
    """The client, that does not follow redirects, with an empty cookie jar: a fresh browser."""
    served.cookies.clear()
    return served


def sign_in(client, token: str):
    return client.post("/signin", data={"token": token, "next": "/"})


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def test_the_page_asks_to_sign_in_first_and_comes_back(browser, keys):
    first = browser.get("/contracts/SC-2001?at=2025-07-10")
    assert first.status_code == 303 and first.headers["location"] == "/signin?next=%2Fcontracts%2FSC-2001%3Fat%3D2025-07-10"
    form = browser.get(first.headers["location"])
    assert form.status_code == 200 and 'name="token"' in form.text and 'type="password"' in form.text
    signed = browser.post("/signin", data={"token": keys["agent"], "next": "/contracts/SC-2001?at=2025-07-10"})
    assert signed.status_code == 303 and signed.headers["location"] == "/contracts/SC-2001?at=2025-07-10"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert keys["agent"].split("_", 2)[2] not in cookie  # the token's secret never travels back
    page = browser.get(signed.headers["location"])
    assert page.status_code == 200 and "Signed in as alice (agent)" in page.text
    assert "<script" not in page.text.lower()


@pytest.mark.parametrize("role, says", [("ingest", "cannot use this page"), (None, "not valid")])
def test_a_token_that_cannot_use_the_page_is_refused(browser, keys, role, says):
    done = sign_in(browser, keys[role] if role else "kiyaku_" + "0" * 12 + "_" + "x" * 43)
    assert done.status_code == 401 and says in done.text and "set-cookie" not in done.headers


def test_an_agent_finds_a_contract_and_asks(browser, keys, db):
    sign_in(browser, keys["agent"])
    found = browser.get("/", params={"q": "sc-20"})  # any case
    ids = {json.loads(line)["contract"] for path in EXAMPLES for line in path.read_text("utf-8").splitlines() if line}
    assert re.findall(r'href="/contracts/([^"]+)"', found.text) == sorted(i for i in ids if "SC-20" in i)
    assert 'href="/contracts/SC-2001"' in found.text
    assert "No contract id holds" in browser.get("/", params={"q": "%"}).text  # % is a character, not a pattern
    contract = browser.get("/contracts/SC-2001", params={"at": "2025-07-10"})
    assert "the service is suspended" in contract.text and "Events (3)" in contract.text
    asked = browser.post("/contracts/SC-2001/ask", data={"question": "can-suspend", "at": "2025-07-10",
                                                         "csrf": csrf(contract.text), "lang": "en"})
    assert asked.status_code == 200, asked.text
    verdict = re.search(r'<p class="word">([^<]+)</p>', asked.text).group(1)
    assert verdict == "YES"
    assert "「料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき」" in asked.text
    decision_id = re.search(r"Recorded in the decision log as ([0-9a-f-]{36})", asked.text).group(1)
    with open_store(db) as store:
        recorded = get(store, decision_id)
    assert recorded.asked_by == "alice" and recorded.answer == "yes" and recorded.given in asked.text
    assert recorded.given.startswith('<article class="answer verdict-yes"')


def test_a_form_without_its_csrf_value_is_refused(browser, keys):
    sign_in(browser, keys["agent"])
    for value in ("", "0" * 64):
        done = browser.post("/contracts/SC-2001/ask", data={"question": "can-suspend", "csrf": value})
        assert done.status_code in (403, 422) and "<article class=\"answer" not in done.text


def test_the_page_speaks_japanese_when_asked_or_when_the_browser_prefers_it(browser, keys):
    sign_in(browser, keys["agent"])
    page = browser.get("/contracts/SC-2001", params={"at": "2025-07-10"}, headers={"Accept-Language": "ja,en;q=0.5"})
    assert '<html lang="ja">' in page.text and "利用停止できますか" in page.text
    asked = browser.post("/contracts/SC-2001/ask", data={"question": "can-suspend", "at": "2025-07-10",
                                                         "csrf": csrf(page.text), "lang": "ja"})
    assert re.search(r'<p class="word">([^<]+)</p>', asked.text).group(1) == "はい"
    assert "事前に必要なこと" in asked.text and "必要でしたが、なされていません" in asked.text
    english = browser.get("/", params={"lang": "en"}, headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in english.text and "kiyaku_lang=en" in english.headers["set-cookie"]
    assert '<html lang="en">' in browser.get("/", headers={"Accept-Language": "ja"}).text  # remembered


def test_what_the_data_says_is_shown_as_text_never_as_markup(browser, keys):
    hostile = [{"contract": f"X{HOSTILE}", "agreement": "smacom", "time": "2025-04-01", "type": "service_started",
                "note": "<script>alert(1)</script>"}]
    stored = browser.post(f"/v1/contracts/X{HOSTILE}/events", json={"events": hostile}, headers=bearer(keys["ingest"]))
    assert stored.status_code == 201, stored.text
    sign_in(browser, keys["agent"])
    found = browser.get("/", params={"q": HOSTILE})
    assert "<img src=x" not in found.text and "&lt;img src=x onerror=alert(1)&gt;" in found.text
    contract = browser.get("/contracts/X" + HOSTILE.replace('"', "%22").replace(" ", "%20"))
    assert contract.status_code == 200
    assert "<script>alert" not in contract.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in contract.text


def test_a_revoked_token_signs_the_page_out_and_a_forged_cookie_signs_nothing_in(db, browser):
    from kiyaku.store import tokens

    with open_store(db) as store:
        token, secret = tokens.create(store, "tom", "agent", "tests")
    sign_in(browser, secret)
    assert browser.get("/").status_code == 200
    with open_store(db) as store:
        tokens.revoke(store, token.id, "tests")
    assert browser.get("/").status_code == 303
    browser.cookies.set("kiyaku_session", "eyJ0IjoiYWJjIn0.forged.signature")
    assert browser.get("/").status_code == 303


def test_signing_in_goes_back_to_this_site_only_and_signing_out_ends_the_session(browser, keys):
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        done = browser.post("/signin", data={"token": keys["agent"], "next": elsewhere})
        assert done.headers["location"] == "/"
    home = browser.get("/")
    out = browser.post("/signout", data={"csrf": csrf(home.text)})
    assert out.status_code == 303 and 'kiyaku_session=""' in out.headers["set-cookie"]
    assert browser.get("/").status_code == 303


def test_behind_the_providers_proxy_the_page_takes_the_user_it_names(db, keys):
    app = create_app(Settings(db=db, root=ROOT, rate=0, trust_proxy_user="X-Remote-User"))
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/").status_code == 303  # no header: sign in as usual
        page = client.get("/contracts/SC-2001", headers={"X-Remote-User": "carol"})
        assert page.status_code == 200 and "Signed in as carol (agent)" in page.text
        asked = client.post("/contracts/SC-2001/ask", headers={"X-Remote-User": "carol"},
                            data={"question": "can-suspend", "at": "2025-07-10", "csrf": csrf(page.text)})
        assert asked.status_code == 200
        decision_id = re.search(r"decision log as ([0-9a-f-]{36})", asked.text).group(1)
        with open_store(db) as store:
            assert get(store, decision_id).asked_by == "carol"
        # The API still wants a token, whatever the header says.
        assert client.get("/v1/contracts/SC-2001", headers={"X-Remote-User": "carol"}).status_code == 401


def test_a_page_problem_is_a_page_that_says_what_is_wrong(browser, keys):
    sign_in(browser, keys["agent"])
    missing = browser.get("/contracts/NOPE")
    assert missing.status_code == 404 and "no events for contract &#39;NOPE&#39; in the store" in missing.text
    bad = browser.get("/contracts/SC-2001", params={"at": "tomorrow-ish"})
    assert bad.status_code == 422 and "query.at" in bad.text and "is not an ISO 8601 time" in bad.text
