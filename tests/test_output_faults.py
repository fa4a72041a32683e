"""What kiyaku writes: whole or not at all, one line when it cannot, the exit status shells expect on
Ctrl-C and a closed pipe, and event text that cannot drive a terminal or reorder what a reader sees."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile import ROOT, START, cli, jsonl, refused

KIYAKU = str(Path(sys.executable).with_name("kiyaku"))
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*/*.jsonl"))
SMACOM = str(ROOT / "examples" / "smacom" / "unpaid-and-suspended-without-notice.jsonl")
HOSTILE = "\x1b[2J\x1b[31m\r\u202eevil\u202c\x07"


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([KIYAKU, *args, "--root", str(ROOT)], capture_output=True, timeout=120, **kwargs)


# --- standard output -----------------------------------------------------------------------------

def test_a_closed_pipe_ends_in_one_line_and_status_141() -> None:
    process = subprocess.Popen([KIYAKU, "evaluate", *EXAMPLES, "--format", "json", "--root", str(ROOT)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.read(10)  # far less than the output, which cannot all fit in the pipe
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert err == "kiyaku: standard output: closed before the output ended\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_standard_output_ends_in_one_line() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([KIYAKU, "evaluate", SMACOM, "--root", str(ROOT)], stdout=full, stderr=subprocess.PIPE,
                              timeout=120)
    assert done.returncode == 1
    assert done.stderr.decode() == "kiyaku: standard output: cannot write: No space left on device\n"


# --- files ---------------------------------------------------------------------------------------

def test_a_name_too_long_for_the_file_system_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 300 + ".md")
    refused(cli("report", SMACOM, "-o", str(target)), 2, f"{target}: cannot write: File name too long")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("code", "says"), [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")])
def test_a_report_folder_that_cannot_be_written_is_not_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   code: int, says: str) -> None:
    import kiyaku.output as output

    real, calls = output._write, []

    def fail_on_second(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(code, os.strerror(code), str(path))
        real(path, text)

    monkeypatch.setattr(output, "_write", fail_on_second)
    folder = tmp_path / "reports"
    refused(cli("report", "--all", *EXAMPLES, "-o", str(folder)), 2, f"{folder}/", f"cannot write: {says}")
    assert list(tmp_path.iterdir()) == []


def test_report_to_standard_output_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("report", SMACOM, "-o", "-")
    assert result.exit_code == 0 and result.stdout.startswith("# Case report — contract SC-2001")
    assert list(tmp_path.iterdir()) == []
    html = cli("report", SMACOM, "-o", "-", "--format", "html")
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>")
    refused(cli("report", "--all", SMACOM, "-o", "-"), 2, "Usage:", "with --all, -o names the folder")


def test_a_full_temporary_folder_while_keeping_standard_input_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiyaku.textio as textio

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(textio, "_IN_MEMORY", 100)  # beyond this much, standard input goes to a temporary file
    monkeypatch.setattr(textio.tempfile, "mkdtemp", full)
    refused(cli("evaluate", "-", input=Path(SMACOM).read_bytes()), 2,
            "<stdin>: cannot keep the input in the temporary folder", "No space left on device")


def test_a_full_temporary_folder_anywhere_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiyaku.replay.judge as judge

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/kiyaku-spool")

    monkeypatch.setattr(judge.Judge, "_replay", full)  # every path to rulings replays
    result = cli("evaluate", SMACOM)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "kiyaku: /tmp/kiyaku-spool: No space left on device\n"


# --- Ctrl-C --------------------------------------------------------------------------------------

@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/wchan").exists(), reason="needs Linux's /proc to see the wait")
def test_ctrl_c_during_evaluate_exits_130_with_nothing_on_standard_output() -> None:
    process = subprocess.Popen([KIYAKU, "evaluate", "-", "--root", str(ROOT)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write(Path(SMACOM).read_bytes())
    process.stdin.flush()  # and left open: the command is now reading, waiting for the rest
    wchan = Path(f"/proc/{process.pid}/wchan")
    deadline = time.monotonic() + 60
    while "pipe" not in wchan.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    process.stdin.close()
    assert (process.returncode, out, err) == (130, b"", b"kiyaku: interrupted\n")


def test_ctrl_c_during_report_all_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kiyaku.report as report

    real, calls = report.render_case, []

    def interrupted_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "render_case", interrupted_on_third)
    result = cli("report", "--all", *EXAMPLES, "-o", str(tmp_path / "reports"))
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "kiyaku: interrupted\n")
    assert list(tmp_path.iterdir()) == []


# --- event text on a terminal and in reports -----------------------------------------------------

def hostile_events(tmp_path: Path) -> str:
    path = tmp_path / "events.jsonl"
    # An application the provider may refuse (ts-cloudphone 第11条第2項(1)): a ruling that applies, so the
    # contract is shown whatever else the output leaves out.
    path.write_text(jsonl(START | {"contract": f"C{HOSTILE}", "type": "application", "technically_difficult": True,
                                   "note": f"<script>alert(1)</script> {HOSTILE} [click](javascript:alert(1)) "
                                           "<img src=x onerror=alert(1)>"}), "utf-8")
    return str(path)


def test_control_characters_in_event_text_reach_the_terminal_escaped(tmp_path: Path) -> None:
    path = hostile_events(tmp_path)
    table = cli("evaluate", path)
    assert table.exit_code == 0
    assert "C\\u001b[2J\\u001b[31m\\u000d\\u202eevil\\u202c\\u0007" in table.stdout
    assert not set("\x1b\r\u202e\x07") & set(table.stdout)
    as_json = cli("evaluate", path, "--format", "json")
    assert {r["contract"] for r in json.loads(as_json.stdout)} == {f"C{HOSTILE}"}  # the same text, escaped
    assert not set("\x1b\r\u202e\x07") & set(as_json.stdout)
    answer = cli("ask", "can-refuse", path, "--contract", f"C{HOSTILE}", "--at", "2025-07-01")
    assert answer.exit_code == 0 and "C\\u001b[2J\\u001b[31m\\u000d\\u202eevil\\u202c\\u0007" in answer.stdout
    assert not set("\x1b\r\u202e\x07") & set(answer.stdout)


def test_control_characters_in_error_messages_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(jsonl(START | {"type": f"x{HOSTILE}"}), "utf-8")
    err = refused(cli("evaluate", str(path)), 2, f"{path}:1: field type: unknown event type")
    assert "\\x1b[2J" in err and not set("\x1b\r\u202e\x07") & set(err)
    bad_option = cli("evaluate", SMACOM, "--at", HOSTILE)
    assert bad_option.exit_code == 2 and "Invalid value for --at" in bad_option.stderr
    assert not set("\x1b\r\u202e\x07") & set(bad_option.stderr)


def test_markup_in_event_text_stays_text_in_markdown_and_html_reports(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    path = hostile_events(tmp_path)
    markdown = cli("report", path, "-o", "-")
    assert markdown.exit_code == 0
    rendered = MarkdownIt("commonmark").enable("table").render(markdown.stdout)
    for danger in ("<script", "<img", 'href="javascript', "\u202e", "\x1b"):
        assert danger not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "\\u202eevil\\u202c" in rendered
    html = cli("report", path, "-o", "-", "--format", "html")
    assert html.exit_code == 0 and "<script>alert" not in html.stdout and "<img src=x" not in html.stdout
    assert "\\u202eevil\\u202c" in html.stdout and not set("\x1b\u202e") & set(html.stdout)


def test_a_report_file_shows_bidi_controls_as_the_standard_output_does(tmp_path: Path) -> None:
    path = hostile_events(tmp_path)
    target = tmp_path / "C.md"
    assert cli("report", path, "-o", str(target)).exit_code == 0
    assert target.read_text("utf-8") == cli("report", path, "-o", "-").stdout


def test_the_output_check_finds_every_character_that_escape_controls_escapes() -> None:
    # Rendered output is escaped only when this quick check on its bytes finds something to escape: it
    # must find every such character, and nothing else, whatever text surrounds it (here the lead bytes
    # of the arithmetic's − ⌊ ⌋ … and Japanese). JSON text never holds a raw C0 control (orjson escapes it).
    from kiyaku.answers.table import _has_controls
    from kiyaku.output import escape_controls

    missed = []
    # Every character up to U+2FFF: the escaped ones begin with a byte below 0x80 or with 0xC2, 0xD8 or
    # 0xE2, and past U+2FFF no character's UTF-8 holds any of those bytes (the samples show a few).
    for code in [*range(0x3000), 0x3000, 0xFEFF, 0xFFFD, 0x1F600, 0x10FFFF]:
        char = chr(code)
        text = f"〔{char}〕 − ⌊1…2⌋ ¥".encode()
        escaped = escape_controls(char) != char
        if _has_controls(text, json=False) != escaped:
            missed.append((hex(code), "text"))
        if (code >= 0x20 or code in (0x09, 0x0A)) and _has_controls(text, json=True) != escaped:
            missed.append((hex(code), "json"))
    assert missed == []
    assert _has_controls("\u202e".encode(), json=True) and _has_controls(b"a\x1b[2J", json=False)
