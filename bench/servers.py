"""The loopback servers both sides hit, each in a process of its own (no GIL shared with a runtime).

- ``destination``: ``runtime.testing.DestinationAPI`` (it sets ``TCP_NODELAY`` on every accepted
  socket, so keep-alive clients never wait on a 40 ms delayed ACK) with one bench route,
  ``GET /items?id=N`` answering ``{"id": N, "name": "item-N", "tags": [...]}``.
- ``hq --cases N``: the CommCare HQ simulator seeded with ``N`` cases (``--generated``: ``N``
  generated cases, computed when asked, for pulls larger than the simulator could hold).

``python bench/servers.py destination`` prints the URL on its first line, then serves until its
stdin closes or it gets SIGTERM. :func:`serve` does that from Python.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["serve", "item"]


def item(item_id: int) -> dict:
    """The body of ``GET /items?id=<item_id>``."""
    return {"id": item_id, "name": f"item-{item_id}", "tags": ["bench", f"group-{item_id % 7}"]}


@contextlib.contextmanager
def serve(kind: str, *args: str, timeout: float = 120) -> Iterator[str]:
    """Start a bench server in a subprocess; yield its base URL; stop it on exit."""
    process = subprocess.Popen([sys.executable, str(Path(__file__)), kind, *args], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"bench server {kind} did not start (exit {process.poll()})")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _items_route(request) -> dict:
    value = request.query.get("id", "0")
    return item(int(value[0] if isinstance(value, list) else value))


def _run_destination() -> None:
    from runtime.testing.destination import DestinationAPI

    with DestinationAPI() as api:
        api.route("GET", "/items", _items_route)
        _announce_and_wait(api.url)


def _run_hq(cases: int, generated: bool) -> None:
    from hq_simulator import CommCareSimulator

    with CommCareSimulator(**({"generate_cases": cases} if generated else {"seed": cases})) as hq:
        _announce_and_wait(hq.url)


def _announce_and_wait(url: str) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(url, flush=True)
    sys.stdin.read()  # returns when the parent closes our stdin (or exits)


def main() -> None:
    """``servers.py destination`` or ``servers.py hq --cases N``."""
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["destination", "hq"])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--generated", action="store_true", help="serve generated cases (hq only)")
    options = parser.parse_args()
    if options.kind == "destination":
        _run_destination()
    else:
        _run_hq(options.cases, options.generated)


if __name__ == "__main__":
    main()
