"""The SQLite store's file on disk: its owner only may read it (runs, under ``--run-as``, may not)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_file"]


def private_file(path: str | Path) -> None:
    """Make the SQLite store file at ``path`` (created empty if missing) readable by its owner only.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so they are private too. A file
    another user owns is left as it is.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "state" / "pyfn.db"
        >>> private_file(path); oct(path.stat().st_mode & 0o777)
        '0o600'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.geteuid():
        path.chmod(0o600)  # made by an older pyfn, or under a loose umask
