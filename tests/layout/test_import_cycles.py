"""No import cycle among the product packages: their imports, read with ``ast``, form a graph without loops.

An import inside a function counts (a lazy import only hides a cycle); one under
``if TYPE_CHECKING:`` does not (it never runs). ``from package import name`` depends on
``package.name`` when that is a module, else on ``package``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("runtime", "adaptors", "hq_simulator")


def product_modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root`` by dotted name (the project scaffold's job files are not modules)."""
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if "templates" not in parts:
                found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(name: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """``(base, names)`` of each import that runs: ``import a.b`` is ``("a.b", [])``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for inner in ast.walk(node)}
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parent = package[:len(package) - node.level + 1] if node.level else []
            yield ".".join([*parent, *([node.module] if node.module else [])]), [alias.name for alias in node.names]


def _owner(target: str, modules: dict[str, Path]) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module name → the product modules it imports."""
    graph = {}
    for name, path in modules.items():
        targets = set()
        for base, names in _imported(name, path):
            submodules = {f"{base}.{each}" for each in names if f"{base}.{each}" in modules}
            targets |= submodules | ({base} if len(submodules) < len(names) or not names else set())
        graph[name] = {owner for target in targets if (owner := _owner(target, modules)) not in (None, name)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def describe(group: list[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{a} -> {b}" for a in group for b in sorted(graph[a]) if b in group)


def test_the_product_packages_have_no_import_cycle():
    modules = product_modules(ROOT)
    assert {"runtime", "runtime.cli", "adaptors.commcare", "hq_simulator"} <= set(modules) and len(modules) > 100
    graph = import_graph(modules)
    assert sum(map(len, graph.values())) > 200, "the walk sees the imports"
    assert [describe(group, graph) for group in cycles(graph)] == []


def test_a_cycle_closed_by_a_lazy_relative_import_is_found(tmp_path):
    files = {
        "runtime/__init__.py": "from runtime.store import open_store\n",
        "runtime/store/__init__.py": "def open_store():\n    from .sqlite import SQLite\n",
        "runtime/store/sqlite.py": "from . import records\nfrom runtime.store import records as again, open_store\n",
        "runtime/store/records.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from runtime import x\n",
        "adaptors/__init__.py": "",
        "adaptors/http.py": "import runtime.store.records\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(product_modules(tmp_path, ("runtime", "adaptors")))
    assert graph["runtime.store.sqlite"] == {"runtime.store", "runtime.store.records"}
    assert graph["runtime.store.records"] == set(), "typing-only imports never run"
    assert graph["adaptors.http"] == {"runtime.store.records"}
    assert cycles(graph) == [["runtime.store", "runtime.store.sqlite"]]
