"""The support agent's page in a real Chromium (Playwright, on Debian's chromium binary), against a real
`kiyaku serve --demo` listening on 127.0.0.1: sign in with the token it prints, find a bundled example
contract, ask "can we suspend?", read the verdict and the quoted clause, open the case report — on a
laptop's screen in English and on a phone's in Japanese. The screenshots are kept in
build/screenshots/ (a test artefact, not committed).

SC-2001 as of 2025-07-10 (worked by hand): its invoice fell due on 2025-06-30 unpaid, so smacom
第17条第1項第1号 (「料金その他の債務…支払期日を経過してもなお支払わないとき」) lets the provider
suspend from 2025-07-01; it suspended on 2025-07-03 without the notice 第17条第2項 requires.
"""

from __future__ import annotations

import os
import re

import pytest

from serving import ROOT, Served

SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CLAUSE = "料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき"


def make_serve() -> list[str]:
    """The arguments `make serve` gives `kiyaku serve` (the README's one command to start the server)."""
    recipe = re.search(r"^serve:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text("utf-8"), flags=re.M).group(1)
    line, = [line for line in recipe.splitlines() if "$(BIN)/kiyaku serve" in line]
    return line.split("$(BIN)/kiyaku serve", 1)[1].split()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert make_serve() == ["--demo"]
    served = Served(*make_serve(), cwd=tmp_path_factory.mktemp("browser"))
    yield served
    said = served.stop()
    assert "Traceback" not in said, said


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def visit(browser, viewport: dict, locale: str):
    """A fresh browser context; what the page's console complained of (CSP refusals included)."""
    context = browser.new_context(viewport=viewport, locale=locale, device_scale_factor=1,
                                  is_mobile=viewport is PHONE, has_touch=viewport is PHONE)
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if m.type in ("error", "warning") else None)
    return context, page, complaints


def sign_in_and_ask(page, server, search: str, question: str) -> None:
    page.goto(server.url)
    assert page.url.startswith(server.url + "signin")  # not signed in yet
    page.fill("#token", server.token("agent"))
    page.locator("form.signin button").click()
    page.fill("#q", search)
    page.locator("form.find button").click()
    page.get_by_role("link", name="SC-2001").click()
    page.fill("#at", "2025-07-10")
    page.get_by_role("button", name=question).click()


def shot(page, name: str, full_page: bool = False, pdf: bytes | None = None) -> None:
    """Kept as a test artefact under build/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if pdf is not None:
        (SHOTS / name).write_bytes(pdf)
    else:
        page.screenshot(path=str(SHOTS / name), full_page=full_page)


def open_report(page, name: str) -> None:
    page.get_by_role("link", name="Open the case report").click()
    assert "SC-2001" in page.content() and "第17条第1項第1号" in page.content()
    shot(page, name)


def refused(complaints: list[str]) -> list[str]:
    """What the browser refused to load or run (a Content-Security-Policy would say so)."""
    return [c for c in complaints if "Content Security Policy" in c or "Refused" in c]


def test_an_agent_asks_can_we_suspend_and_reads_the_answer_on_a_laptop(server, browser):
    context, page, complaints = visit(browser, LAPTOP, "en-GB")
    sign_in_and_ask(page, server, "SC-20", "Can we suspend the service?")
    assert page.locator(".verdict .word").inner_text() == "YES"
    assert "may suspend the service" in page.locator(".verdict .consequence").inner_text()
    assert "2025-07-03 09:00+09:00: owed and not given" in page.locator(".first").inner_text()
    quote = page.locator("#clause-smacom\\:17\\.1\\.1 blockquote")
    assert quote.inner_text() == f"「{CLAUSE}」"
    assert page.locator("#clause-smacom\\:17\\.1\\.1 .en").inner_text().endswith(
        "after the payment due date.")
    shot(page, "answer-en-laptop.png", full_page=True)
    open_report(page, "report-en-laptop.png")
    assert not refused(complaints), complaints
    context.close()


def test_the_same_in_japanese_on_a_phone(server, browser):
    context, page, complaints = visit(browser, PHONE, "ja-JP")
    sign_in_and_ask(page, server, "SC-2001", "利用停止できますか")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator(".verdict .word").inner_text() == "はい"
    assert "利用を停止することがあります" in page.locator(".verdict .consequence").inner_text()
    assert page.locator("#clause-smacom\\:17\\.1\\.1 blockquote").inner_text() == f"「{CLAUSE}」"
    # Nothing wider than the phone's screen: the page never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "answer-ja-phone.png", full_page=True)
    # The language switch asks again in English (a new decision, recorded as shown).
    page.get_by_role("button", name="English").click()
    assert page.locator(".verdict .word").inner_text() == "YES"
    open_report(page, "report-phone.png")
    assert not refused(complaints), complaints
    context.close()


def test_the_answer_prints_without_the_forms(server, browser):
    context, page, _ = visit(browser, LAPTOP, "en-GB")
    sign_in_and_ask(page, server, "SC-2001", "Can we suspend the service?")
    page.emulate_media(media="print")
    assert not page.locator("form.ask").is_visible() and not page.locator("header.bar").is_visible()
    assert page.locator(".verdict .word").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    shot(page, "answer-print.pdf", pdf=pdf)
    context.close()
