"""`kiyaku report`: case reports that a browser renders as a memo, safe against hostile event text.

The HTML tests load the report in headless Chromium (Debian's `chromium`; `make test` installs it when
run as root). Without it they fail, saying so: a report nobody has seen rendered is not tested.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiyaku.cli import main
from kiyaku.replay.events import parse_time
from kiyaku.replay.streams import load
from kiyaku.paths import version
from kiyaku.report import build, build_case, file_inputs, render_case
from kiyaku.report.provenance import Provenance, tree_sha256
from kiyaku.terms import load_terms

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*/*.jsonl"))
SMACOM = str(ROOT / "examples/smacom/unpaid-and-suspended-without-notice.jsonl")
CLAUSE_17_1_1 = "料金その他の債務（他社接続回線に係るものを含みます。）について、支払期日を経過してもなお支払わないとき"
SECTIONS = ("Timeline of events", "Rulings that apply", "Undetermined points", "Notice duties",
            "Grounds considered that do not apply", "Product decisions relied on", "How this report was produced")
SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned by img'\">"


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", *args])
    return result.exit_code, result.output


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium not found: the HTML report tests render the report in headless Chromium. "
                    "Install it (Debian: `apt-get install -y --no-install-recommends chromium`; `make test` "
                    "does so when run as root) or point $CHROMIUM at a Chromium binary.", pytrace=False)
    return found


def browse(page: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess:
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-extensions", f"--user-data-dir={tmp_path / 'chromium-profile'}",
            # Time for any script that slipped in to run before the DOM is taken.
            "--virtual-time-budget=2000", *flags, page.resolve().as_uri()]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def rendered_dom(page: Path, tmp_path: Path) -> str:
    return browse(page, tmp_path, "--dump-dom").stdout


def screenshot(page: Path, tmp_path: Path) -> Path:
    shot = tmp_path / f"{page.stem}.png"
    browse(page, tmp_path, "--hide-scrollbars", "--window-size=1100,4000", f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000
    print(f"screenshot of {page.name}: {shot}")
    return shot


class Dom(HTMLParser):
    """The rendered page as a reader sees it: its text, its title, and which elements it holds."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._stack: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        where = self._stack[-1] if self._stack else ""
        if where == "title":
            self.title += data
        elif where not in ("style", "script"):
            self.text.append(data)

    @property
    def body(self) -> str:
        return " ".join(" ".join(self.text).split())


def write_events(tmp_path: Path, *events: dict) -> str:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), "utf-8")
    return str(path)


def hostile_events(tmp_path: Path) -> str:
    contract = "X-1</title></style><script>document.title='pwned by id'</script>"
    return write_events(
        tmp_path,
        {"contract": contract, "agreement": "smacom", "time": "2025-04-01T10:00", "type": "service_started",
         "note": SCRIPT},
        {"contract": contract, "time": "2025-05-01", "type": "invoice", "id": f"INV-1 {IMG}", "amount": 6578,
         "due_date": "2025-06-30", "note": IMG + " *not emphasis* | [link](http://example.invalid)"},
        {"contract": contract, "time": "2025-07-03T09:00", "type": "suspension_started", "ground": "smacom:17.1.1"})


def test_the_bundled_example_renders_as_a_case_memo_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "SC-2001.html"
    code, output = report(SMACOM, "--contract", "SC-2001", "-o", str(out))
    assert code == 0, output
    dom = Dom(rendered_dom(out, tmp_path))
    text = dom.body
    for heading in SECTIONS:
        assert heading in text, heading
    assert "Contract SC-2001" in text and "コネクト・スマコム・サービス利用規約" in text
    assert "2025-04-01, effective 2025-04-01" in text  # the version in force
    assert CLAUSE_17_1_1 in text  # quoted verbatim...
    assert "The subscriber does not pay fees or other debts" in text  # ...with its English summary beside it
    assert "The provider may suspend the service" in text and "NOT MET" in text  # the notice duty of 第17条第2項
    assert "examples/smacom/unpaid-and-suspended-without-notice.jsonl:2" in text  # event sources
    assert hashlib.sha256(Path(SMACOM).read_bytes()).hexdigest() in text
    assert text.index("Rulings that apply") < text.index("Undetermined points") < text.index(
        "Grounds considered that do not apply")
    assert not [t for t, _ in dom.tags if t in ("script", "link", "img", "iframe")]  # self-contained
    screenshot(out, tmp_path)


def test_hostile_event_text_shows_as_text_and_nothing_executes(tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    code, output = report(hostile_events(tmp_path), "-o", str(out))
    assert code == 0, output
    raw = out.read_text("utf-8")
    assert "<script" not in raw and "<img" not in raw
    dom = Dom(rendered_dom(out, tmp_path))
    # Had any of the three scripts run, the title would be just 'pwned…'.
    assert dom.title.startswith("Case report — X-1</title></style><script>"), dom.title
    assert not [t for t, _ in dom.tags if t in ("script", "img")]
    assert not [a for _, attrs in dom.tags for a in attrs if a.startswith("on")]
    assert f"Note: {SCRIPT}" in dom.body
    assert f"Note: {IMG}" in dom.body
    screenshot(out, tmp_path)


def test_markdown_report_quotes_the_clauses_and_escapes_event_text(tmp_path: Path) -> None:
    out = tmp_path / "SC-2001.md"
    code, output = report(SMACOM, "-o", str(out))  # one contract in the input: --contract may be left out
    assert code == 0, output
    md = out.read_text("utf-8")
    assert md.startswith("# Case report — contract SC-2001\n")
    for n, heading in enumerate(SECTIONS, 1):
        assert f"\n## {n}. {heading}\n" in md
    assert f"\n> {CLAUSE_17_1_1}\n" in md
    assert "*Summary:* The subscriber does not pay fees or other debts" in md
    assert "| Status | **NOT MET**" in md

    hostile = tmp_path / "hostile.md"
    assert report(hostile_events(tmp_path), "-o", str(hostile))[0] == 0
    md = hostile.read_text("utf-8")
    assert not re.search(r"(?<!\\)<", md)  # every < a Markdown renderer could take for HTML is escaped
    assert r"\<script\>document.title='pwned'\</script\>" in md
    assert r"\*not emphasis\* \| \[link\](http://example.invalid)" in md


def test_all_writes_a_report_per_contract_and_an_index(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    code, output = report("--all", *EXAMPLES, "--at", "2025-07-10", "-o", str(folder))
    assert code == 0, output
    contracts = sorted(load([Path(p) for p in EXAMPLES]).streams)
    assert {"AB-3001", "SC-2001", "TS-1001"} <= set(contracts)
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{c}.html" for c in contracts] + ["index.html"])
    index = Dom(rendered_dom(folder / "index.html", tmp_path))
    assert [a["href"] for t, a in index.tags if t == "a"] == [f"{c}.html" for c in contracts]
    assert "Index of case reports" in index.body and "The provider may suspend the service" in index.body
    assert "Contract TS-1001" in Dom((folder / "TS-1001.html").read_text("utf-8")).body

    md = tmp_path / "md"
    assert report("--all", *EXAMPLES, "--format", "md", "-o", str(md))[0] == 0
    assert sorted(p.name for p in md.iterdir()) == sorted([f"{c}.md" for c in contracts] + ["index.md"])
    assert "[SC-2001.md](SC-2001.md)" in (md / "index.md").read_text("utf-8")


def test_same_inputs_give_byte_identical_reports_and_a_production_time_only_on_request(tmp_path: Path) -> None:
    first, second, stamped = tmp_path / "1.html", tmp_path / "2.html", tmp_path / "3.html"
    for out in (first, second):
        assert report(*EXAMPLES, "--contract", "TS-1001", "--at", "2025-07-10", "-o", str(out))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert "not recorded" in first.read_text("utf-8")
    code, _ = report(*EXAMPLES, "--contract", "TS-1001", "--at", "2025-07-10", "--produced-at",
                     "2025-07-11T09:30", "-o", str(stamped))
    assert code == 0 and "2025-07-11T09:30:00+09:00" in stamped.read_text("utf-8")


def test_a_failing_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kiyaku.output as files

    real = files._write
    written: list[Path] = []

    def disk_full_on_third(path: Path, text: str) -> None:
        written.append(path)
        if len(written) == 3:
            with path.open("x", encoding="utf-8") as f:
                f.write(text[: len(text) // 2])  # half a report, then the disk fills
            raise OSError(28, "No space left on device", str(path))
        real(path, text)

    monkeypatch.setattr(files, "_write", disk_full_on_third)
    folder = tmp_path / "all"
    code, output = report("--all", *EXAMPLES, "-o", str(folder))
    assert code == 2 and f"{folder}/" in output and "cannot write: No space left on device" in output
    assert not folder.exists()  # neither the two reports staged before, nor the half, nor the index
    assert list(tmp_path.iterdir()) == []  # nor the folder they were staged in

    written.clear()
    single = tmp_path / "SC-2001.html"
    single.write_text("the previous report", "utf-8")
    written.extend([Path("a"), Path("b")])  # the next write is the third: it fails
    code, output = report(SMACOM, "-o", str(single))
    assert code == 2 and str(single) in output
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["SC-2001.html"]
    assert single.read_text("utf-8") == "the previous report"


def test_arithmetic_steps_render_as_a_table_with_their_clauses(tmp_path: Path) -> None:
    # Money rulings are built elsewhere; this one is made by hand in their announced shape.
    terms = load_terms(ROOT / "terms")
    stream = load([Path(SMACOM)]).streams["SC-2001"]
    interest = {
        "contract": "SC-2001", "agreement": "smacom", "version": "2025-04-01", "version_label": "2025-04-01",
        "kind": "late_interest", "ground": "smacom.payment.late_interest", "outcome": "payable", "modality": "shall",
        "at": "2025-07-20T00:00:00+09:00", "amount": 49, "citations": ["smacom:26.1"],
        "summary": "Invoice INV-2025-05 was paid late; late interest at 14.5% a year is owed.",
        "reasons": [{"fact": "invoice", "event": "INV-2025-05", "time": "2025-05-01T00:00:00+09:00",
                     "source": f"{SMACOM}:2"}],
        "missing": [], "decisions": ["5: yearly rate × days ÷ 365, also in leap years"],
        "arithmetic": [
            {"label": "Debt unpaid", "expression": "invoice INV-2025-05", "value": 6578, "cites": ["smacom:26.1"]},
            {"label": "Days late", "expression": "2025-07-01 to 2025-07-19", "value": 19, "cites": ["smacom:26.1"]},
            {"label": "Interest", "expression": "6578 × 14.5% × 19 ÷ 365", "value": "49.65…",
             "cites": ["smacom:tariff-general.1"]},
            {"label": "Rounded down", "expression": "floor(49.65…)", "value": 49, "cites": []},
        ],
    }
    when = parse_time("2025-07-20")
    proof = Provenance(when, version(), file_inputs([Path(SMACOM)], stream), "t" * 64, "r" * 64)
    case = build_case(terms, stream, [interest], when, proof)
    html = tmp_path / "interest.html"
    html.write_text(render_case(ROOT, case, "html"), "utf-8")
    text = Dom(rendered_dom(html, tmp_path)).body
    assert "The arithmetic" in text and "Step Computation Value Clauses" in text
    assert "2 Days late 2025-07-01 to 2025-07-19 19 smacom:26.1" in text
    assert "1 Debt unpaid invoice INV-2025-05 6,578" in text
    assert "Amount ¥49" in text
    assert "年14.5%の割合で計算して得た額を延滞利息として支払っていただきます" in text  # smacom:26.1 quoted
    assert "smacom:tariff-general.1" in text  # a step's clause outside the citations is quoted too
    assert "5: yearly rate × days ÷ 365" in text
    md = render_case(ROOT, case, "md")
    assert "| 2 | Days late | 2025-07-01 to 2025-07-19 | 19 | `smacom:26.1` |" in md
    assert "| | **Amount** | | **¥49** | |" in md


def test_folder_digests_are_what_sha256sum_prints() -> None:
    for folder in ("terms", "rules"):
        shell = subprocess.run(f"find {folder} -type f | LC_ALL=C sort | xargs sha256sum | sha256sum",
                               shell=True, cwd=ROOT, capture_output=True, text=True, check=True)
        assert tree_sha256(ROOT, folder) == shell.stdout.split()[0]


def test_library_build_names_the_contract_and_its_version() -> None:
    cases = build(ROOT, [Path(p) for p in EXAMPLES], parse_time("2015-06-20"), "AB-3001")
    case = cases[0]
    assert (case.contract, case.agreement["id"], case.version["label"]) == ("AB-3001", "abphone", "Rev. 1.0")
    assert [r["outcome"] for r in case.applies] == ["must_suspend"]
    assert case.undetermined and "abphone:23.1.B" in case.undetermined[0]["missing"][0]


@pytest.mark.parametrize("args, message", [
    (("--contract", "NOPE", "-o", "x.html"), "no events for contract 'NOPE'"),
    (("-o", "x.html"), "name one with --contract ID, or use --all"),
    (("--contract", "SC-2001", "-o", "x.docx"), "cannot tell the format"),
    (("--all", "--contract", "SC-2001", "-o", "x"), "either --contract ID or --all"),
    (("--contract", "SC-2001", "--at", "July", "-o", "x.html"), "not an ISO 8601 time"),
])
def test_bad_input_exits_2_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = report(*EXAMPLES, *args)
    assert code == 2 and message in output
    assert not list(tmp_path.iterdir())


def test_the_readme_shows_the_report_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "kiyaku report " in readme and "kiyaku report --all " in readme


# --- printing --------------------------------------------------------------------------------------

A4 = (595.28, 841.89)  # points


def fonts_of(reader) -> dict[str, bool]:
    """Each font the PDF's pages use, by name, and whether its glyphs are embedded in the file."""
    found: dict[str, bool] = {}
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor.get_object()
                                                      for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = embedded
    return found


@pytest.mark.parametrize("at", ["2025-07-10", "2026-03-31"])  # the later also owes late interest, with its arithmetic
def test_a_three_event_memo_prints_to_at_most_six_a4_pages_with_the_japanese_font_embedded(tmp_path: Path,
                                                                                          at: str) -> None:
    import pypdf

    chromium()
    out = tmp_path / "SC-2001.pdf"
    code, output = report(SMACOM, "--at", at, "-o", str(out))
    assert code == 0, output
    assert len(load([Path(SMACOM)]).streams["SC-2001"].events) == 3
    reader = pypdf.PdfReader(out)
    pages = len(reader.pages)
    assert 2 <= pages <= 6
    for n, page in enumerate(reader.pages, 1):
        assert abs(float(page.mediabox.width) - A4[0]) < 1 and abs(float(page.mediabox.height) - A4[1]) < 1
        # The running header on every page: the contract, the as-of time, the page number.
        head = page.extract_text().splitlines()[0]
        assert head.startswith(f"kiyaku case report — contract SC-2001 — as of {at} 00:00 +09:00"), head
        assert head.endswith(f"page {n} of {pages}"), head
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert "".join(CLAUSE_17_1_1.split()) in text  # Japanese, extractable: rendered in a real font, not boxes
    assert "Groundsconsideredthatdonotapply" in text and "smacom:13-2.1" in text
    # The grounds that do not apply are a compact table on paper: their clauses are cited, not quoted
    # (第13条の2, the discontinuation, begins 「当社は、自らの裁量により」).
    assert "自らの裁量により" not in text.split("Groundsconsideredthatdonotapply")[1].split("Productdecisions")[0]
    fonts = fonts_of(reader)
    japanese = {name: embedded for name, embedded in fonts.items() if "IPA" in name}
    assert japanese and all(japanese.values()), fonts


def test_all_as_pdf_writes_a_pdf_per_contract_and_an_html_index_linking_them(tmp_path: Path) -> None:
    import pypdf

    chromium()
    two = [SMACOM, str(ROOT / "examples/ts-cloudphone/unpaid-after-demand.jsonl")]
    folder = tmp_path / "pdf"
    code, output = report("--all", *two, "--at", "2025-07-10", "--format", "pdf", "-o", str(folder))
    assert code == 0, output
    assert sorted(p.name for p in folder.iterdir()) == ["SC-2001.pdf", "TS-1001.pdf", "index.html"]
    assert "contract TS-1001" in pypdf.PdfReader(folder / "TS-1001.pdf").pages[0].extract_text()
    index = Dom((folder / "index.html").read_text("utf-8"))
    assert [a["href"] for t, a in index.tags if t == "a"] == ["SC-2001.pdf", "TS-1001.pdf"]


def test_a_missing_browser_is_a_clear_error_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    monkeypatch.delenv("CHROMIUM", raising=False)
    out = tmp_path / "SC-2001.pdf"
    code, output = report(SMACOM, "-o", str(out))
    assert code == 2 and "no Chromium found to print the PDF with" in output and "$CHROMIUM" in output
    assert not out.exists()


def test_the_provenance_lists_only_the_inputs_holding_the_contracts_events(tmp_path: Path) -> None:
    out = tmp_path / "SC-2001.html"
    code, output = report(*EXAMPLES, "--contract", "SC-2001", "--at", "2025-07-10", "-o", str(out))
    assert code == 0, output
    provenance = Dom(out.read_text("utf-8")).body.split("How this report was produced")[-1]
    listed = [p for p in EXAMPLES if p in provenance]
    assert listed == [SMACOM]
    assert "Terms and rules" in provenance and "found from the working directory" in provenance
