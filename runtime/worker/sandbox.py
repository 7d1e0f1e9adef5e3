"""``--sandbox``: each run's process inside a bubblewrap (``bwrap``) sandbox of its own.

Without it a run's process is forked from the forkserver and sees the machine as the
server's user (or ``--run-as`` user) does. With it, the supervisor starts a fresh
interpreter (``python -m runtime.worker.sandboxed``) under ``bwrap``, which sees:

- the system (``/usr``, ``/etc``), the interpreter, pyfn and the installed packages: read-only;
- the project folder: read-only, without its ``state/`` folder (the run store, the cache,
  outputs) nor the run store's own folder wherever it is: an empty ``tmpfs`` over them;
- a private ``/tmp`` (gone with the run), its own ``/proc`` (its own processes only: a pid
  namespace) and a minimal ``/dev``;
- no capability (root in the sandbox cannot mount, trace or change owners), except, under
  ``--run-as``, the two that let the process become that user before the job runs;
- the network as the server has it.

The run's end of its pipe is its standard input; its first record is the run's request.
``bwrap`` leads the run's process group and dies with the server (``--die-with-parent``); its pid
namespace ends every process in it when the run is killed.

Example:
    >>> sandbox = Sandbox(Path("/srv/project"), "postgresql://db/pyfn")
    >>> argv = sandbox.command()
    >>> argv[0].endswith("bwrap"), "--unshare-pid" in argv, argv[-2:]
    (True, True, ['-m', 'runtime.worker.sandboxed'])
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from runtime.errors import UsageError
from runtime.store import is_database_url
from runtime.worker.confine import env_names, run_environment

__all__ = ["Sandbox", "SandboxedProcess", "check_sandbox", "sandbox_for", "BWRAP"]

BWRAP = "bwrap"
_SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_INSTALL_HINT = "Install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap), or leave --sandbox out"


def check_sandbox(sandbox: bool) -> str | None:
    """At start: the ``bwrap`` program when ``--sandbox`` is asked for (``None`` without it).

    Raises:
        UsageError: bwrap is not installed, or cannot make a sandbox on this machine.
    """
    if not sandbox:
        return None
    program = shutil.which(BWRAP)
    if program is None:
        raise UsageError("--sandbox needs bubblewrap: no bwrap program on PATH", hint=_INSTALL_HINT)
    trial = subprocess.run([program, "--ro-bind", "/", "/", "--unshare-pid", "--proc", "/proc", "true"],
                           capture_output=True, text=True)
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or [f"exit code {trial.returncode}"])[-1]
        raise UsageError(f"--sandbox: bwrap cannot make a sandbox here ({reason})",
                         hint="Run the server as root, or allow unprivileged user namespaces; or leave --sandbox out")
    return program


def sandbox_for(settings: Any, project: Any, location: str | Path) -> "Sandbox | None":
    """At start: the sandbox of ``project``'s runs when ``settings.sandbox`` asks for one (and runs run here).

    Raises:
        UsageError: bwrap is missing or cannot work here, or runs would see the run store.
    """
    program = check_sandbox(settings.sandbox)
    if program is None or not settings.worker_count:
        return None
    return Sandbox(project.root, location, settings.run_as, env_names(project.plans.values()), program)


@dataclass
class Sandbox:
    """How each run's process is sandboxed (see the module docstring).

    ``store`` is the run store's file or URL; ``env_names`` the ``${ENV}`` variables some
    workflow's credentials name (each run keeps only its own); ``run_as`` the user runs become.
    """

    project: Path
    store: str | Path
    run_as: str | None = None
    env_names: Iterable[str] = ()
    program: str = BWRAP
    _shown: list[Path] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.project = Path(self.project).resolve()
        self._shown = _unique([*_python_paths(), self.project])
        folder = self._store_folder()
        if folder is not None and folder in self._shown:
            raise UsageError(f"--sandbox: the run store {self.store} is in {folder}, which runs see",
                             hint="Keep the store in a folder of its own (PROJECT/state/pyfn.db, the default)")

    def command(self) -> list[str]:
        """The ``bwrap`` command line that starts one run's process."""
        argv = [self.program, "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        for path in _SYSTEM:
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                argv += ["--ro-bind", path, path]
        for path in self._shown:
            argv += ["--ro-bind", str(path), str(path)]
        for path in self._hidden():
            argv += ["--tmpfs", str(path)]
        if os.geteuid() == 0:
            argv += ["--cap-drop", "ALL"]
            if self.run_as:
                argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        return [*argv, "--chdir", str(self.project), sys.executable, "-P", "-m", "runtime.worker.sandboxed"]

    def start(self, request: Any) -> tuple["SandboxedProcess", Any]:
        """Start ``request``'s run in a sandbox: the process and the supervisor's end of its pipe."""
        receiver, sender = multiprocessing.Pipe()
        env = {**run_environment(os.environ, self.env_names), "TMPDIR": "/tmp"}
        try:
            process = SandboxedProcess(subprocess.Popen(self.command(), stdin=sender.fileno(), env=env,
                                                        start_new_session=True))
        finally:
            sender.close()
        absolute = replace(request, workflow_path=str(Path(request.workflow_path).resolve()))
        receiver.send_bytes(json.dumps(asdict(absolute)).encode())
        return process, receiver

    def _store_folder(self) -> Path | None:
        if is_database_url(self.store) or str(self.store) == ":memory:":
            return None
        return Path(str(self.store).removeprefix("sqlite:///")).resolve().parent

    def _hidden(self) -> list[Path]:
        """The folders runs must not see under what they see: ``state/`` and the store's folder."""
        wanted = [self.project / "state", self._store_folder()]
        return [path for path in _unique(p for p in wanted if p is not None)
                if path.is_dir() and any(path.is_relative_to(shown) for shown in self._shown)]


class SandboxedProcess:
    """A sandboxed run's ``bwrap`` process, with what the supervisor uses of a ``multiprocessing.Process``."""

    def __init__(self, popen: subprocess.Popen):
        self.popen = popen

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        self.popen.kill()

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


def _python_paths() -> list[Path]:
    """The interpreter, its packages and pyfn's own (an editable install keeps them in its checkout)."""
    import adaptors
    import runtime

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(runtime.__file__).parent, Path(adaptors.__file__).parent]
    paths += [Path(entry) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    return [path.resolve() for path in paths if path.is_dir() and not path.resolve().is_relative_to("/usr")]


def _unique(paths: Iterable[Path]) -> list[Path]:
    """Each path once, leaving out those inside another one of them."""
    ordered = sorted({Path(path) for path in paths}, key=lambda path: len(path.parts))
    kept: list[Path] = []
    for path in ordered:
        if not any(path.is_relative_to(other) for other in kept):
            kept.append(path)
    return kept
