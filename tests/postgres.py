"""A throwaway PostgreSQL server for tests: one cluster per test session, one database per test.

``PYFN_TEST_POSTGRES_URL`` (a server URL whose user may create databases, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``) points the tests at a running
server. Without it, :class:`TempCluster` creates a cluster in a temporary folder
with Debian's ``postgresql`` binaries (``initdb``, ``pg_ctl``), listening on
127.0.0.1 on a free port with trust authentication, and removes it at the end.
PostgreSQL refuses to run as root: as root, the cluster runs as the
``postgres`` user (``runuser``). Should the test process die without cleaning
up (SIGKILL, a CI timeout), a detached watcher stops the cluster and removes
it. Missing binaries are an error that says how to install them, never a
silent skip.

Example::

    with TempCluster() as cluster:
        url = cluster.create_database()      # postgresql://postgres@127.0.0.1:PORT/pyfn_test_1
        store = open_store(url)
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

__all__ = ["TempCluster", "PostgresMissing", "find_bindir", "INSTALL_HINT", "ENV"]

ENV = "PYFN_TEST_POSTGRES_URL"
INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them "
                "(Debian/Ubuntu, as root: apt-get update && apt-get install -y postgresql), or point the tests "
                f"at a running server: {ENV}=postgresql://USER@HOST:PORT/postgres (USER may create databases)")
_SETTINGS = {"listen_addresses": "'127.0.0.1'", "fsync": "off", "synchronous_commit": "off",
             "full_page_writes": "off", "max_connections": "300", "shared_buffers": "64MB"}


class PostgresMissing(RuntimeError):
    """No PostgreSQL to test against: the message says how to get one.

    Example:
        >>> "apt-get install -y postgresql" in str(PostgresMissing(INSTALL_HINT))
        True
    """


def find_bindir() -> str:
    """The folder of ``initdb`` and ``pg_ctl``: ``pg_config --bindir``, Debian's newest, or ``PATH``.

    Example::

        find_bindir()    # '/usr/lib/postgresql/15/bin'
    """
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        candidates.append(found)
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
                         reverse=True)
    if shutil.which("initdb"):
        candidates.append(os.path.dirname(os.path.realpath(shutil.which("initdb"))))
    for folder in candidates:
        if os.path.isfile(os.path.join(folder, "initdb")) and os.path.isfile(os.path.join(folder, "pg_ctl")):
            return folder
    raise PostgresMissing(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempCluster:
    """A PostgreSQL cluster in a temporary folder (or the server of ``PYFN_TEST_POSTGRES_URL``).

    ``create_database()`` gives each test a fresh, empty database; ``stop()``
    (or leaving the ``with`` block, or the interpreter exiting) stops the
    cluster and removes its folder.

    Example::

        cluster = TempCluster().start()
        url = cluster.create_database("scale")
        cluster.stop()
    """

    def __init__(self, url: str | None = None):
        self.url = url if url is not None else os.environ.get(ENV) or None
        self.external = self.url is not None
        self.folder: str | None = None
        self._user: str | None = None
        self._numbers = itertools.count(1)

    def __enter__(self) -> "TempCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> "TempCluster":
        """Start the cluster (nothing to do for an external server); wait until it accepts connections."""
        if self.external or self.folder:
            return self
        bindir = find_bindir()
        # /tmp: traversable by the postgres user, and short enough for the server's unix socket path
        self.folder = tempfile.mkdtemp(prefix="pyfn-pg-", dir="/tmp" if os.path.isdir("/tmp") else None)
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            shutil.chown(self.folder, self._user, self._user)
        atexit.register(self.stop)
        data, port = os.path.join(self.folder, "data"), _free_port()
        self._run(os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        options = " ".join(f"-c {key}={value}" for key, value in
                           {**_SETTINGS, "port": str(port), "unix_socket_directories": f"'{self.folder}'"}.items())
        self._run(os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(self.folder, "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        self._watch(os.path.join(bindir, "pg_ctl"), data)
        return self

    def _watch(self, pg_ctl: str, data: str) -> None:
        """A detached shell that stops the cluster and removes it if this process dies without cleaning up."""
        script = (f'while [ -d /proc/{os.getpid()} ]; do sleep 1; done; '
                  f'"{pg_ctl}" -D "{data}" -m immediate -w stop; rm -rf "{self.folder}"')
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        subprocess.Popen([*prefix, "sh", "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, cwd=self.folder)
        if done.returncode != 0:
            log = os.path.join(self.folder or "", "server.log")
            tail = open(log, errors="replace").read()[-2000:] if os.path.isfile(log) else ""
            raise RuntimeError(f"{' '.join(command[:1])} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}")

    def create_database(self, prefix: str = "pyfn_test") -> str:
        """A new empty database; its URL.

        Example::

            cluster.create_database()    # 'postgresql://postgres@127.0.0.1:54012/pyfn_test_3'
        """
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`create_database` (its connections are ended first)."""
        import psycopg

        name = urlsplit(url).path.lstrip("/")
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the cluster at once and remove its folder (an external server is left alone)."""
        if self.external or not self.folder:
            return
        folder, self.folder = self.folder, None
        bindir = find_bindir()
        data = os.path.join(folder, "data")
        if os.path.isfile(os.path.join(data, "postmaster.pid")):
            prefix = ["runuser", "-u", self._user, "--"] if self._user else []
            subprocess.run([*prefix, os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                           capture_output=True)
            time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)

