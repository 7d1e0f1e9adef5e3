"""A run confined to itself: its own environment, its own process group, optionally its own user.

What pyfn does for every run of ``pyfn serve`` and ``pyfn worker`` (see docs/server.md,
"What a run can reach"):

- **Environment**: the forkserver the runs are forked from starts with only
  :data:`BASE_ENV` and the variables some workflow's ``${ENV}`` references name
  (:func:`forkserver_environment`), never the server's others (``PYFN_DB``,
  ``PYFN_API_TOKEN``…); each run then keeps only the variables its own steps name
  (:func:`confine`), and forgets the other workflows' compiled plans.
- **Process group**: each run leads its own process group, so the supervisor's time and
  memory limits cover every process the job starts (memory summed over its descendants,
  :func:`tree_resident_bytes`) and killing the run kills all of it (:func:`kill_group`),
  also whatever is left when it ends.
- **User** (``--run-as USER``, when the server runs as root): the run drops to that user
  before any job code runs, so it cannot open the run store (a file only the server's
  user may read, see ``runtime.store.files``) or the server's files.

Limits: a process that leaves the group (``setsid``) escapes the group kill (it still
counts in the memory sum); without ``--run-as`` a run has the server's user's file permissions (it can
open a SQLite store file); code that reads the process's memory (``ctypes``) can find
values the forkserver held. Run untrusted jobs under ``--run-as``, and ``--sandbox``
(``runtime.worker.sandbox``) on a machine shared with others.

Example:
    >>> sorted(run_environment({"PATH": "/bin", "DB_URL": "x", "KEY": "k"}, ["KEY"]))
    ['KEY', 'PATH']
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping

__all__ = ["BASE_ENV", "env_names", "run_environment", "forkserver_environment", "own_group", "become_subreaper",
           "confine", "tree_resident_bytes", "kill_group"]

BASE_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
            "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
            "no_proxy", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHASHSEED")


def env_names(workflows: Iterable[Any]) -> set[str]:
    """The ``${ENV}`` variables the steps of ``workflows`` name (their credentials')."""
    return {name for workflow in workflows for step in workflow.steps.values() for name in step.env}


def run_environment(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """The variables of ``environ`` a run may see: :data:`BASE_ENV` and ``names``."""
    keep = {*BASE_ENV, *names}
    return {name: value for name, value in environ.items() if name in keep}


@contextmanager
def forkserver_environment(names: Iterable[str], extra: Mapping[str, str] = {}) -> Iterator[None]:
    """While the ``with`` body starts the forkserver, ``os.environ`` holds only what runs may see."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({**run_environment(saved, names), **extra})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def check_run_as(run_as: str | None, warn: Any) -> None:
    """At start: ``--run-as`` names a user and the server is root; warn when root runs jobs as root.

    Raises:
        UsageError: an unknown user, or ``--run-as`` without root.
    """
    from runtime.errors import UsageError

    if run_as is None:
        if os.geteuid() == 0:
            warn("runs execute as root: a job can read the run store and every file (use --run-as USER)")
        return
    import pwd

    try:
        pwd.getpwnam(run_as)
    except KeyError:
        raise UsageError(f"--run-as {run_as}: no such user", hint="Name an existing unprivileged user") from None
    if os.geteuid() != 0:
        raise UsageError(f"--run-as {run_as} needs the server to run as root",
                         hint="Start it as root, or leave --run-as out") from None


def own_group() -> None:
    """The run's process, first thing: lead a process group of its own, and adopt its orphans."""
    os.setpgid(0, 0)
    become_subreaper()


def confine(names: Iterable[str], run_as: str | None = None) -> None:
    """In the run's process, before any job code: only its own variables, and its own user."""
    kept = run_environment(os.environ, names)
    for name in [name for name in os.environ if name not in kept]:  # what is kept is not set again
        del os.environ[name]
    if run_as:
        _become(run_as)


def become_subreaper() -> None:
    """Orphaned grandchildren are re-parented to the run's process, so they stay its descendants."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass  # not Linux: the process group still holds them


def _become(user: str) -> None:
    import pwd

    entry = pwd.getpwnam(user)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ["HOME"] = entry.pw_dir


def tree_resident_bytes(pid: int) -> int | None:
    """The resident memory of process ``pid`` and all its descendants, or ``None`` if it is gone.

    The run's process is a child subreaper (see :func:`confine`), so a grandchild whose parent
    exited is still its descendant.

    Example:
        >>> tree_resident_bytes(os.getpid()) > 0
        True
    """
    page = os.sysconf("SC_PAGE_SIZE")
    total, pending, seen = None, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/stat", "rb") as handle:
                rss = int(handle.read().rsplit(b")", 1)[1].split()[21])
            tasks = os.listdir(f"/proc/{current}/task")
        except (OSError, ValueError, IndexError):
            continue
        total = (total or 0) + rss * page
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", "rb") as handle:
                    pending.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return total


def kill_group(pgid: int) -> None:
    """SIGKILL every process of group ``pgid`` (nothing if it is gone)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
