"""A throw-away PostgreSQL server for the store tests: Debian's PostgreSQL 15, a cluster made with
initdb in a private temporary folder, listening on a unix socket in that folder only (no TCP port,
so test sessions running side by side never meet), stopped and removed afterwards. As root, the
server runs as the `postgres` user (initdb refuses root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    def __init__(self) -> None:
        if not (BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 is not installed ({BIN}/initdb missing): `make test` installs it "
                               "as root (apt-get install postgresql)")
        self.dir = Path(tempfile.mkdtemp(prefix="kiyaku-pg-"))
        self.data = self.dir / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.dir} -c fsync=off -c full_page_writes=off -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")

    def halt(self) -> None:
        """Stop the server, keeping its data: `start()` brings it back (a database that goes away)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(BIN / program), *args], check=True, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.dir}"

    def new_database(self) -> str:
        """A fresh empty database's URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.dir), user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def execute(self, database_url: str, sql: str) -> None:
        import psycopg

        dbname = self.database_name(database_url)
        with psycopg.connect(host=str(self.dir), user="postgres", dbname=dbname, autocommit=True) as conn:
            conn.execute(sql)

    @staticmethod
    def database_name(database_url: str) -> str:
        return database_url.split("?")[0].rsplit("/", 1)[1]

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
