"""Read a text file pyfn was given (a job, a workflow, a state, credentials): UTF-8 or a one-line error.

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

from pathlib import Path

from runtime.errors import UsageError

__all__ = ["read_text"]


def read_text(path: str | Path, what: str = "file") -> str:
    """The text of ``path``; bytes that are not UTF-8 are a :class:`UsageError` naming the line.

    ``OSError`` (a missing file) is left to the caller, which knows what to say.
    """
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{path}:{line}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                         f"offset {exc.start})", hint=f"Save the {what} as UTF-8") from None
