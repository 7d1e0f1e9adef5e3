"""Read a text file pyfn was given (a job, a workflow, a state, credentials): UTF-8 or a one-line error.

Every read can be recorded (:func:`recording`: what a load read, for a workflow's
version) or served from texts read before (:func:`serving`: a run loads exactly
the files its worker validated, whatever the disk holds now).

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "job.py"
    >>> _ = path.write_bytes(b"fn(x)\\n# caf\\xe9\\n")
    >>> try:
    ...     read_text(path, "job")
    ... except UsageError as error:
    ...     print(error.message.rsplit("/", 1)[-1])
    job.py:2: the job is not UTF-8 text (byte 0xe9 at offset 11)
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager, Iterator

from runtime.errors import UsageError

__all__ = ["ReadFiles", "read_text", "recording", "serving"]


@dataclass
class ReadFiles:
    """The files a load read: resolved path → (what it was read as, its text)."""

    texts: dict[str, tuple[str, str]] = field(default_factory=dict)
    given: bool = False  # served from these texts, not from the disk


_READS: ContextVar[ReadFiles | None] = ContextVar("pyfn_reads", default=None)


@contextmanager
def _reading(files: ReadFiles) -> Iterator[ReadFiles]:
    token = _READS.set(files)
    try:
        yield files
    finally:
        _READS.reset(token)


def recording() -> ContextManager[ReadFiles]:
    """Record every file :func:`read_text` reads meanwhile.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.py"
        >>> _ = path.write_text("fn(x)")
        >>> with recording() as files:
        ...     _ = read_text(path, "job")
        >>> list(files.texts.values())
        [('job', 'fn(x)')]
    """
    return _reading(ReadFiles())


def serving(files: ReadFiles) -> ContextManager[ReadFiles]:
    """Answer :func:`read_text` from ``files`` (recorded before); a file not among them is not found.

    Example:
        >>> with serving(ReadFiles({"/nowhere/a.py": ("job", "fn(y)")})):
        ...     read_text("/nowhere/a.py", "job")
        'fn(y)'
    """
    return _reading(ReadFiles(files.texts, given=True))


def read_text(path: str | Path, what: str = "file") -> str:
    """The text of ``path``; bytes that are not UTF-8 are a :class:`UsageError` naming the line.

    ``OSError`` (a missing file) is left to the caller, which knows what to say.
    """
    reads = _READS.get()
    key = str(Path(path).resolve()) if reads is not None else ""
    if reads is not None and reads.given:
        if key not in reads.texts:
            raise FileNotFoundError(2, "No such file or directory", str(path))
        return reads.texts[key][1]
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{path}:{line}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                         f"offset {exc.start})", hint=f"Save the {what} as UTF-8") from None
    if reads is not None:
        reads.texts[key] = (what, text)
    return text
