"""The bare floor of durable webhook ingest: Starlette on uvicorn committing one SQLite row per delivery.

Run: .venv/bin/python bench/ingest_floor.py [--count 10000] [--clients 4]

The same stack as ``pyfn serve`` (uvicorn with httptools, Starlette, SQLite in WAL mode with
``synchronous=NORMAL``) doing only what a durable ingest cannot skip: read the body, parse the
JSON, check basic auth, insert one row in its own transaction and answer 201 with the row's id.
The clients are ``webhook_ingest.py``'s (same payloads, same keep-alive connections), and it
prints the same figures, so ``bench/cases/ingest_floor.py`` reads both alike.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.webhook_ingest import AUTH, drive, spawn_until_healthy  # noqa: E402


def serve(port: int, db_path: str) -> None:
    """Answer ``POST /i/forms`` (one committed row each) and ``GET /health`` until killed."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, body TEXT NOT NULL)")

    async def ingest(request: Request) -> Response:
        if request.headers.get("authorization") != AUTH:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.body()
        json.loads(body)
        run_id = str(uuid.uuid4())
        db.execute("INSERT INTO deliveries (id, body) VALUES (?, ?)", (run_id, body.decode()))
        return JSONResponse({"run_id": run_id}, status_code=201)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/i/forms", ingest, methods=["POST"]), Route("/health", health)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off",
                http="httptools")


def _start(folder: Path, port: int) -> subprocess.Popen:
    return spawn_until_healthy([sys.executable, __file__, "--serve", str(port), str(folder / "floor.db")], port,
                               folder / "floor.log")


def _lost(db_path: Path, accepted: list[str]) -> int:
    db = sqlite3.connect(db_path)
    try:
        stored = {row[0] for row in db.execute("SELECT id FROM deliveries")}
    finally:
        db.close()
    return sum(run_id not in stored for run_id in accepted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="deliveries to post")
    parser.add_argument("--clients", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(int(options.serve[0]), options.serve[1])
        return
    from runtime.testing.waiting import free_port

    with tempfile.TemporaryDirectory(prefix="pyfn-bench-") as folder:
        port = free_port()
        server = _start(Path(folder), port)
        try:
            accepted = drive(port, options.count, options.clients, "the bare floor (Starlette + SQLite)")
        finally:
            server.terminate()
            server.wait(timeout=30)
        missing = _lost(Path(folder) / "floor.db", accepted)
        print(f"lost: {missing} of {len(accepted)} accepted deliveries missing from the store")
        if missing:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
