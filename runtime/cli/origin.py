"""Where the running pyfn came from, as the ``requirements.txt`` line that installs it again.

The distribution is ``pyfn-runtime`` (``pyfn`` on the package index is another
project). ``pyfn init`` writes this line into a new project, so the project's CI
installs this very pyfn: pinned from a package index, from a git URL and commit,
or from a file (a wheel, a folder) that only this machine has, which
:func:`reachable_elsewhere` tells apart. The origin is the installer's record
(``direct_url.json``, PEP 610); an editable install from a git checkout becomes
its ``origin`` remote at the checked-out commit.
"""

from __future__ import annotations

import json
import re
import subprocess
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["DISTRIBUTION", "pyfn_requirement", "requirement_for", "reachable_elsewhere"]

DISTRIBUTION = "pyfn-runtime"
_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>(?!/).+)$")  # git@host:owner/repo.git


def pyfn_requirement() -> str:
    """The requirement that installs the pyfn running now (see the module docstring).

    Example:
        >>> pyfn_requirement().startswith("pyfn-runtime")
        True
    """
    try:
        dist = metadata.distribution(DISTRIBUTION)
        origin = json.loads(dist.read_text("direct_url.json") or "null")
    except metadata.PackageNotFoundError:  # a source tree on sys.path, never installed
        dist, origin = None, {"url": Path(__file__).resolve().parents[2].as_uri(), "dir_info": {}}
    folder = _local_folder(origin)
    return requirement_for(dist and dist.version, origin, _git_origin(folder) if folder else None)


def requirement_for(version: str | None, origin: dict | None, git: tuple[str, str] | None = None) -> str:
    """The requirement for an install of ``version`` from ``origin`` (PEP 610), or from ``git`` (url, commit).

    Example:
        >>> requirement_for("0.1.0", None)
        'pyfn-runtime==0.1.0'
        >>> requirement_for("0.1.0", {"url": "https://example.org/pyfn.git",
        ...                           "vcs_info": {"vcs": "git", "commit_id": "4f2a9c1"}})
        'pyfn-runtime @ git+https://example.org/pyfn.git@4f2a9c1'
        >>> requirement_for("0.1.0", {"url": "file:///src/pyfn", "dir_info": {"editable": True}},
        ...                 ("git@example.org:team/pyfn.git", "4f2a9c1"))
        'pyfn-runtime @ git+ssh://git@example.org/team/pyfn.git@4f2a9c1'
        >>> requirement_for("0.1.0", {"url": "file:///tmp/pyfn_runtime-0.1.0-py3-none-any.whl", "archive_info": {}})
        'pyfn-runtime @ file:///tmp/pyfn_runtime-0.1.0-py3-none-any.whl'
    """
    if git:
        url, commit = git
        match = _SCP_LIKE.match(url)
        url = f"ssh://{match['user']}@{match['host']}/{match['path']}" if match else url
        return f"{DISTRIBUTION} @ git+{url}@{commit}"
    if origin is None:
        return f"{DISTRIBUTION}=={version}" if version else DISTRIBUTION
    vcs = origin.get("vcs_info")
    if vcs:
        return f"{DISTRIBUTION} @ {vcs['vcs']}+{origin['url']}@{vcs['commit_id']}"
    return f"{DISTRIBUTION} @ {origin['url']}"


def reachable_elsewhere(requirement: str) -> bool:
    """Whether another machine (a CI runner) can install ``requirement``: anything but a local file.

    Example:
        >>> reachable_elsewhere("pyfn-runtime==0.1.0"), reachable_elsewhere("pyfn-runtime @ file:///tmp/x.whl")
        (True, False)
    """
    return "@ file:" not in requirement


def _local_folder(origin: dict | None) -> Path | None:
    """The folder an install was made from (``pip install -e .``, ``pip install .``), if any."""
    if not origin or "dir_info" not in origin or not origin["url"].startswith("file:"):
        return None
    return Path(unquote(urlparse(origin["url"]).path))


def _git_origin(folder: Path) -> tuple[str, str] | None:
    """``(remote url, commit)`` of a git checkout whose ``origin`` another machine can clone, else ``None``."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10)
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        url, commit = git("remote", "get-url", "origin"), git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    remote = url and ("://" in url and not url.startswith("file:") or _SCP_LIKE.match(url))
    return (url, commit) if remote and commit else None
