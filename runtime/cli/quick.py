"""``pyfn execute`` read without the command-line library, so a job's cold start does not import it.

:func:`quick_execute` understands the usual forms only: one path, and ``execute``'s options as
``--name value``, ``--name=value``, ``-x value`` or a flag, each given once. For anything else
(``--help``, an unknown or repeated option, a value that looks like an option, a bad number…)
it answers ``None`` and the full parser in ``runtime.cli`` runs the command, with its help and
error messages. What the command does once read is the same: ``run_execute``.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

__all__ = ["VALUE_OPTIONS", "FLAG_OPTIONS", "quick_execute", "read_execute"]

# ``pyfn execute``'s options, by the ``ExecuteArgs`` field each sets: declared once, here, for both
# this reader and the full parser (``runtime.cli.commands.execute`` takes its flags from these).
VALUE_OPTIONS = {"adaptor": ("-a", "--adaptor"), "state_path": ("-s", "--state-path"),
                 "state_text": ("-S", "--state-stdin"), "output_path": ("-o", "--output-path"),
                 "log": ("-l", "--log"), "timeout_ms": ("-t", "--timeout"), "start": ("--start",),
                 "end": ("--end",), "only": ("--only",), "credentials": ("--credentials", "--creds"),
                 "db": ("--db",)}
FLAG_OPTIONS = {"output_stdout": ("-O", "--output-stdout"), "log_json": ("--log-json",),
                "immutable": ("--immutable",), "cache_steps": ("--cache-steps",), "strict": ("--strict",)}
_VALUES = {flag: name for name, flags in VALUE_OPTIONS.items() for flag in flags}
_FLAGS = {flag: name for name, flags in FLAG_OPTIONS.items() for flag in flags}
_PATHS = {"state_path", "output_path", "credentials"}


def read_execute(argv: list[str]) -> dict | None:
    """The keyword arguments of ``ExecuteArgs`` for ``argv`` (after ``execute``), or ``None``.

    >>> read_execute(["job.py", "-a", "http", "--log=none", "-O"])
    {'adaptor': 'http', 'log': 'none', 'output_stdout': True, 'path': PosixPath('job.py')}
    >>> read_execute(["job.py", "--help"]) is None
    True
    """
    found: dict = {}
    paths: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        name, _, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        if not token.startswith("-") or token == "-":
            paths.append(token)
        elif name in _FLAGS and not attached and _FLAGS[name] not in found:
            found[_FLAGS[name]] = True
        elif name in _VALUES and _VALUES[name] not in found:
            value = attached if "=" in token else next(tokens, None)
            if not value or (value.startswith("-") and value != "-"):
                return None
            found[_VALUES[name]] = value
        else:
            return None
    return _typed(found, paths)


def _typed(found: dict, paths: list[str]) -> dict | None:
    if len(paths) != 1 or not paths[0]:
        return None
    if "timeout_ms" in found:
        text = found["timeout_ms"].strip()
        if not text.lstrip("-").isdigit():
            return None
        found["timeout_ms"] = int(text)
    for key in _PATHS & found.keys():
        found[key] = Path(found[key])
    if "db" not in found and os.environ.get("PYFN_DB"):
        found["db"] = os.environ["PYFN_DB"]
    found["path"] = Path(paths[0])
    return found


def quick_execute(argv: list[str]) -> int | None:
    """Run ``pyfn execute`` when :func:`read_execute` understands ``argv``; its exit code, else ``None``.

    Ends as the full parser does: exit 130 on Ctrl-C, 1 with ``Aborted!`` at the end of input,
    1 when standard output is a closed pipe.
    """
    if not argv or argv[0] != "execute" or "_PYFN_COMPLETE" in os.environ:
        return None
    arguments = read_execute(argv[1:])
    if arguments is None:
        return None
    from runtime.cli.execute import ExecuteArgs, run_execute

    try:
        return run_execute(ExecuteArgs(**arguments))
    except KeyboardInterrupt:
        return 130
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        sys.stdout = _Quiet(sys.stdout)
        sys.stderr = _Quiet(sys.stderr)
        return 1


class _Quiet:
    """A stream whose ``flush`` ignores a closed pipe (the reader went away), as the full parser leaves it."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str):
        return getattr(self._stream, name)
