"""The HTML memo printed to PDF by headless Chromium: the print stylesheet in reports/_style.css lays
out the A4 pages (running header, page numbers); Chromium embeds the fonts it used, the Japanese one
included (IPA Mincho where it is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kiyaku.errors import Finding, InputError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless, and nothing that reaches the network or the user's own browser profile.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--no-pdf-header-footer")
TIMEOUT = 120


def chromium() -> str:
    """$CHROMIUM, else the first of BROWSERS on the PATH."""
    found = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if not found:
        raise InputError(Finding("--format pdf", None, "no Chromium found to print the PDF with",
                                 "install it (Debian: apt-get install chromium fonts-ipafont-mincho) or set "
                                 "$CHROMIUM to a Chromium or Chrome binary; or write .html and print it"))
    return found


def print_pdf(html: str) -> bytes:
    """`html` printed to PDF; an InputError naming the browser if it fails."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="kiyaku-pdf-") as tmp:
        page, pdf = Path(tmp, "memo.html"), Path(tmp, "memo.pdf")
        page.write_text(html, "utf-8")
        args = [browser, *FLAGS, f"--user-data-dir={Path(tmp, 'profile')}", f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise InputError(Finding(browser, None, f"Chromium could not print the PDF: {exc}")) from None
        if done.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            tail = done.stderr.strip().splitlines()[-3:]
            raise InputError(Finding(browser, None, f"Chromium could not print the PDF (exit {done.returncode})",
                                     " / ".join(tail) or None))
        return pdf.read_bytes()
