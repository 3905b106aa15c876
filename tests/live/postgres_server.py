"""A real PostgreSQL started from a temporary directory: for the store tests and the benchmarks.

One server per test session. As root it runs as the ``postgres`` user (``runuser``), as
anyone else as that user; either way from a private directory, on a free loopback port,
with its socket in that directory and ``fsync=off`` (a test server's data dies with it).

Tests connect over TCP as ``inboxguard``, a role that is neither superuser nor owner of
anything but its own databases, with a password (so a test can check that the password
never reaches a message); the administration here goes over the socket as ``postgres``.
Each test gets a fresh database cloned from a template (``CREATE DATABASE … TEMPLATE``),
which costs milliseconds where creating the schema again would cost tens of them.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
ROLE = "inboxguard"
PASSWORD = "Pg-s3cret-7d41"
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"  # who the server runs as when the tests run as root

_databases = itertools.count(1)


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian's layout), or None."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


class PostgresError(RuntimeError):
    """PostgreSQL did not start or stop; the message carries its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bin: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    # -- URLs and connections -------------------------------------------------------------

    def url(self, database: str, *, password: str = PASSWORD, host: str = HOST) -> str:
        return f"postgresql+psycopg://{ROLE}:{password}@{host}:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection[Any]:
        """A superuser connection over the socket, autocommit (CREATE DATABASE needs it)."""
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            autocommit=True,
            connect_timeout=5,
        )

    def sql(self, statement: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        with self.admin(database) as connection:
            cursor = connection.execute(statement.encode())
            return cursor.fetchall() if cursor.description else []

    # -- databases ------------------------------------------------------------------------

    def create_database(self, *, template: str = "template0", name: str | None = None) -> str:
        name = name or f"t{next(_databases)}_{os.getpid()}"
        with self.admin() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(ROLE), sql.Identifier(template)
                )
            )
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def terminate(self, database: str, *, pids: Sequence[int] | None = None) -> int:
        """Cut the connections to ``database`` (or just ``pids``) as an administrator or a
        network fault would: pg_terminate_backend. How many were cut."""
        with self.admin() as connection:
            query = (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()"
            )
            if pids is not None:
                query += " AND pid = ANY(%s)"
            arguments = (database, list(pids)) if pids is not None else (database,)
            rows = connection.execute(query.encode(), arguments).fetchall()
        return sum(1 for (cut,) in rows if cut)

    # -- the server -----------------------------------------------------------------------

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses={HOST} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            " -c deadlock_timeout=100ms"  # a deadlock test waits that long, not a second
        )
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """``fast``: sessions are cut, as a restart by the administrator does; ``immediate``:
        as a crash (the next start recovers)."""
        self._pg_ctl("stop", "-w", "-t", "30", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def running(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _pg_ctl(self, *args: str) -> None:
        done = _run_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), *args])
        if done.returncode != 0:
            raise PostgresError(f"pg_ctl {args[0]} failed: {done.stdout.strip()}\n{self._tail()}")

    def _tail(self) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


def _run_as_postgres(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a server program as the ``postgres`` user when we are root (PostgreSQL refuses to
    run as root), as ourselves otherwise."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", SYSTEM_USER, "--", *command]
    return subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )


_HBA = """\
# local administration by the tests (the socket is in a private directory)
local all all trust
# the product connects over TCP with a password, as it would to a real server
host all all 127.0.0.1/32 scram-sha-256
"""


@contextmanager
def running(prefix: str = "inboxguard-postgres-") -> Iterator[PostgresServer]:
    """A PostgreSQL from a fresh temporary directory, stopped and removed afterwards; the
    ``inboxguard`` role exists with ``PASSWORD``."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise PostgresError("no PostgreSQL under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    server = PostgresServer(bin_dir, root, _free_port())
    started = False
    try:
        server.socket_dir.mkdir()
        if os.geteuid() == 0:
            root.chmod(0o700)
            shutil.chown(root, SYSTEM_USER, SYSTEM_USER)
            shutil.chown(server.socket_dir, SYSTEM_USER, SYSTEM_USER)
        done = _run_as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(server.data),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        if done.returncode != 0:
            raise PostgresError(f"initdb failed: {done.stdout.strip()}")
        (server.data / "pg_hba.conf").write_text(_HBA)
        if os.geteuid() == 0:
            shutil.chown(server.data / "pg_hba.conf", SYSTEM_USER, SYSTEM_USER)
        server.start()
        started = True
        with server.admin() as connection:
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(PASSWORD)
                )
            )
        _wait_until_accepting(server)
        yield server
    finally:
        if started and server.running():
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_accepting(server: PostgresServer, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while True:
        try:
            psycopg.connect(
                server.url("postgres").replace("+psycopg", ""), connect_timeout=2
            ).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)
