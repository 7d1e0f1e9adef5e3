"""The real peers pyfn races, installed with pinned versions (first use only, then reused).

- OpenFn: ``@openfn/runtime`` 1.9.5, ``@openfn/language-common`` 3.3.4 and ``@openfn/language-http``
  7.2.10 from the npm registry, with ``npm install --prefix bench/.peers/node`` (gitignored). They are
  driven by ``bench/openfn_driver.mjs`` (see :func:`openfn_command`).
- ``commcare-export`` 1.16.0 from PyPI, in a venv of its own because it pins ``jsonpath-ng~=1.6.0``
  and ``openpyxl==3.1.5``: ``$PYFN_COMMCARE_EXPORT_VENV``, by default
  ``~/.cache/pyfn/commcare-export-1.16.0``. The simulator's tests (``tests/simulator``) use the same
  venv through :func:`commcare_export`.

Run ``python bench/peers.py`` to install both ahead of a benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

__all__ = ["NODE_PACKAGES", "COMMCARE_EXPORT_VERSION", "node_peers", "openfn_command", "commcare_export"]

BENCH = Path(__file__).resolve().parent
NODE_DIR = BENCH / ".peers" / "node"
DRIVER = BENCH / "openfn_driver.mjs"
NODE_PACKAGES = {"@openfn/runtime": "1.9.5", "@openfn/language-common": "3.3.4",
                 "@openfn/language-http": "7.2.10"}
COMMCARE_EXPORT_VERSION = "1.16.0"


def node_peers(directory: Path = NODE_DIR) -> Path:
    """Install the pinned OpenFn packages into ``directory`` unless already there; return it.

    Raises:
        RuntimeError: npm is missing or the install fails (never skipped silently).
    """
    marker = directory / ".installed"
    wanted = json.dumps(NODE_PACKAGES, sort_keys=True)
    if marker.exists() and marker.read_text() == wanted:
        return directory
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH: the OpenFn peer needs Node 18+ and npm")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps(
        {"name": "pyfn-bench-peers", "private": True, "type": "module"}, indent=2))
    specs = [f"{name}@{version}" for name, version in NODE_PACKAGES.items()]
    install = subprocess.run([npm, "install", "--prefix", str(directory), "--save-exact", "--no-audit",
                              "--no-fund", "--loglevel=error", *specs], capture_output=True, text=True)
    if install.returncode != 0:
        raise RuntimeError(f"npm install of {' '.join(specs)} failed:\n{install.stdout}\n{install.stderr}")
    marker.write_text(wanted)
    return directory


def openfn_command(job: Path, state: Path | None, output: Path) -> list[str]:
    """The command that runs a compiled OpenFn ``job`` on ``state`` and writes ``output``."""
    command = [shutil.which("node") or "node", "--experimental-vm-modules", "--no-warnings", str(DRIVER),
               "--peers", str(node_peers()), "--job", str(job), "--output", str(output)]
    return command + (["--state", str(state)] if state else [])


def commcare_export() -> Path:
    """The ``commcare-export`` executable of its own venv, created on first use (about 10 s).

    Processes asking at once (the test processes, a benchmark) take turns through a lock file beside the
    venv: one installs, the others then find it installed.

    Raises:
        RuntimeError: the venv or the pip install fails (never skipped silently).
    """
    default = Path.home() / ".cache" / "pyfn" / f"commcare-export-{COMMCARE_EXPORT_VERSION}"
    path = Path(os.environ.get("PYFN_COMMCARE_EXPORT_VENV", default))
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):
        _install_commcare_export(path)
    return path / "bin" / "commcare-export"


def _install_commcare_export(path: Path) -> None:
    ready = path / ".installed"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
        install = subprocess.run([str(path / "bin" / "pip"), "install", "--quiet",
                                  f"commcare-export=={COMMCARE_EXPORT_VERSION}"], capture_output=True, text=True)
        if install.returncode != 0:
            raise RuntimeError(f"installing commcare-export failed:\n{install.stdout}\n{install.stderr}")
        ready.write_text(COMMCARE_EXPORT_VERSION)


if __name__ == "__main__":
    print(f"OpenFn packages in {node_peers()}")
    print(f"commcare-export at {commcare_export()}")
