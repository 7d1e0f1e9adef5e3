"""The engine calls nothing outward: ``runtime/*.py`` imports no edge and no workflow file model,
and the workflow file model (``runtime/workflow``) imports no server, worker, store, CLI or test kit."""

from __future__ import annotations

import ast
import pathlib

import runtime

ROOT = pathlib.Path(runtime.__file__).parent
EDGES = {"runtime.server", "runtime.worker", "runtime.store", "runtime.cli", "runtime.testing"}


def _imports(path: pathlib.Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _reaching(files: list[pathlib.Path], packages: set[str]) -> dict[str, list[str]]:
    hits = {path.name: sorted(m for m in _imports(path) if any(m == p or m.startswith(p + ".") for p in packages))
            for path in files}
    return {name: found for name, found in hits.items() if found}


def test_the_engine_imports_no_edge_and_no_workflow_file_model():
    engine = sorted(ROOT.glob("*.py"))
    assert len(engine) > 15
    assert _reaching(engine, EDGES | {"runtime.workflow"}) == {}


def test_the_workflow_file_model_imports_no_edge():
    model = sorted((ROOT / "workflow").glob("*.py"))
    assert len(model) > 10
    assert _reaching(model, EDGES) == {}
