"""The simulator stands alone: it imports nothing of ``runtime`` or ``adaptors``."""

from __future__ import annotations

import ast
import pathlib

import hq_simulator

PACKAGE = pathlib.Path(hq_simulator.__file__).parent


def _absolute_imports(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_simulator_imports_nothing_of_runtime_or_adaptors():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    offenders = {str(path.relative_to(PACKAGE)): sorted(_absolute_imports(path) & {"runtime", "adaptors"})
                 for path in files}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_module_names_do_not_collide_with_the_runtimes():
    runtime = pathlib.Path(PACKAGE.parent, "runtime")
    theirs = {path.stem for path in runtime.glob("*.py")} | {path.name for path in runtime.iterdir() if path.is_dir()}
    ours = {path.stem for path in PACKAGE.glob("*.py")} | {path.name for path in PACKAGE.iterdir() if path.is_dir()}
    assert ours & theirs - {"__init__", "__main__", "__pycache__", "cli"} == set()
