"""What the server tests share: a store holding the bundled examples, a token of each role, and the
application over it, or a real `kiyaku serve` process listening on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiyaku.replay.events import file_records
from kiyaku.store import open_store, tokens
from kiyaku.store.events import ingest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*/*.jsonl"))
KIYAKU = Path(sys.executable).parent / "kiyaku"


def example_store(db: str) -> dict[str, str]:
    """The examples ingested into `db`; a token of each role (users alice, lena, ivan), by role."""
    with open_store(db, create=True) as store:
        ingest(store, file_records(EXAMPLES))
        users = {"agent": "alice", "legal": "lena", "ingest": "ivan"}
        return {role: tokens.create(store, user, role, "tests")[1] for role, user in users.items()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Served:
    """`kiyaku serve ARGS… --port 0` in a process of its own, until stopped: its URL and what it said."""

    def __init__(self, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen([str(KIYAKU), "serve", *args, "--port", "0"], cwd=cwd,
                                        env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.said: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("kiyaku serve stopped:\n" + "".join(self.said))
            self.said.append(line)
            if "Application startup complete" in line:
                break
        else:
            self.stop()
            raise RuntimeError("kiyaku serve did not start in time:\n" + "".join(self.said))
        self.url = re.search(r"kiyaku serve: (http://\S+/) ", "".join(self.said)).group(1)
        # Read on what it says (each request it logs), or it would stop once the pipe is full.
        self._reader = threading.Thread(target=lambda: self.said.extend(self.process.stdout), daemon=True)
        self._reader.start()

    def token(self, role: str) -> str:
        """The token `--demo` printed for `role`."""
        return re.search(rf"\(role {role}\): (kiyaku_\S+)", "".join(self.said)).group(1)

    def stop(self) -> str:
        """Stop the server as Ctrl-C would; what it said until then."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        return "".join(self.said)
