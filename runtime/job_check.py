"""Read a job before it runs: undefined names, calls an operation cannot take, JSONPaths that don't parse.

``pyfn validate`` (and ``pyfn serve`` at start-up) runs :func:`check_job` on each step's job
with the step's adaptor; every finding has its line. A name defined nowhere gets "did you
mean" from the step's adaptor, common, Python's builtins and the job's own names, or, when
another adaptor has it, :func:`other_adaptor_hint` (also the run-time hint of a ``NameError``).

Example:
    >>> [f.message for f in check_job('eahc("$.items[*]", fn(lambda state: state))\\n', "common")]
    ["undefined name 'eahc' (did you mean 'each'?)"]
"""

from __future__ import annotations

import ast
import builtins
import difflib
import inspect
import symtable
from dataclasses import dataclass
from typing import Any, Iterator

import adaptors

from runtime.compiler import shadowing_builtins
from runtime.linker import link, public_names, resolve_adaptor

__all__ = ["Finding", "check_job", "other_adaptor_hint", "name_hint"]

JOB_NAMES = frozenset({"state", "print", "__name__", "__file__"})  # what every job has besides its adaptor
JSONPATH_PARAMETERS = frozenset({"path", "data_source", "target_path", "source_path"})  # in common's operations


@dataclass(frozen=True)
class Finding:
    """One problem of a job, at ``line`` (1-based) and ``column`` (1-based)."""

    line: int
    column: int
    message: str


def check_job(source: str, adaptor: str) -> list[Finding]:
    """Every problem found by reading ``source`` as a job of ``adaptor``, in line order.

    A source that does not parse gives no findings: the compiler reports it.
    """
    try:
        tree = ast.parse(source)
        table = symtable.symtable(source, "job", "exec")
    except SyntaxError:
        return []
    namespace = link(resolve_adaptor(adaptor))
    own = _module_names(table)
    findings = list(_undefined(tree, table, namespace, own, adaptor))
    findings += _calls(tree, namespace, own)
    return sorted(findings, key=lambda f: (f.line, f.column))


def name_hint(name: str, adaptor: str, own: frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` may be undefined: another adaptor's operation, or a close spelling."""
    elsewhere = other_adaptor_hint(name, adaptor)
    if elsewhere:
        return elsewhere
    candidates = {*link(resolve_adaptor(adaptor)), *own, *JOB_NAMES,
                  *(n for n in dir(builtins) if not n.startswith("_"))}
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'?" if close else None


def other_adaptor_hint(name: str, adaptor: str) -> str | None:
    """``"`patch` is an operation of the http adaptor; this step uses common"``, or ``None``."""
    owners = [other for other in sorted(adaptors.ADAPTORS)
              if other != adaptor and name in public_names(adaptors.load(other))]
    if not owners:
        return None
    return f"`{name}` is an operation of the {' and '.join(owners)} adaptor; this step uses {adaptor}"


def _module_names(table: symtable.SymbolTable) -> frozenset[str]:
    return frozenset(s.get_name() for s in table.get_symbols()
                     if s.is_assigned() or s.is_imported() or s.is_namespace() or s.is_declared_global())


def _global_reads(table: symtable.SymbolTable) -> Iterator[str]:
    """Names read as globals anywhere (the module, functions, lambdas, comprehensions)."""
    for symbol in table.get_symbols():
        if symbol.is_referenced() and (table.get_type() == "module" or symbol.is_global()):
            yield symbol.get_name()
    for child in table.get_children():
        yield from _global_reads(child)


def _undefined(tree: ast.Module, table: symtable.SymbolTable, namespace: dict, own: frozenset[str],
               adaptor: str) -> Iterator[Finding]:
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in tree.body):
        namespace = {**namespace, **_star_imports(tree)}
    known = {*namespace, *own, *JOB_NAMES}
    missing = {name for name in _global_reads(table) if name not in known and not hasattr(builtins, name)}
    seen: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in missing and (node.id, node.lineno) not in seen:
            seen.add((node.id, node.lineno))
            hint = name_hint(node.id, adaptor, own)
            yield Finding(node.lineno, node.col_offset + 1,
                          f"undefined name '{node.id}'" + (f" ({hint})" if hint else ""))


def _star_imports(tree: ast.Module) -> dict[str, Any]:
    """The names of ``from adaptors.X import *`` (the editor's import of a job's adaptor)."""
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in adaptors.ADAPTORS.values():
            names.update(public_names(adaptors.load(node.module.rsplit(".", 1)[1])))
    return names


def _calls(tree: ast.Module, namespace: dict, own: frozenset[str]) -> list[Finding]:
    """Calls of operations with arguments the operation does not take, and literal JSONPaths that don't parse."""
    shadowing = shadowing_builtins(namespace)
    operation_calls = {id(call) for call in _operation_positions(tree, namespace)}
    findings = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if name not in namespace or name in own or (name in shadowing and id(node) not in operation_calls):
            continue
        findings += _check_call(node, name, namespace[name])
    return findings


def _operation_positions(tree: ast.Module, namespace: dict) -> Iterator[ast.Call]:
    """Top-level calls and the operation calls passed to them, recursively."""
    def walk(call: ast.Call) -> Iterator[ast.Call]:
        yield call
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in namespace:
                yield from walk(arg)

    for stmt in tree.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            yield from walk(stmt.value)


def _check_call(node: ast.Call, name: str, operation: Any) -> list[Finding]:
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return []
    try:
        signature = inspect.signature(operation)
    except (TypeError, ValueError):
        return []
    findings = []
    try:
        bound = signature.bind(*node.args, **{k.arg: k.value for k in node.keywords})
    except TypeError as error:
        findings.append(Finding(node.lineno, node.col_offset + 1,
                                f"{name}(): {error} (it takes {name}{_params(signature)})"))
        try:
            bound = signature.bind_partial(*node.args)
        except TypeError:
            return findings
    if getattr(operation, "__module__", "").startswith("adaptors.common"):
        findings += [finding for parameter, value in bound.arguments.items()
                     if parameter in JSONPATH_PARAMETERS and (finding := _jsonpath(name, value)) is not None]
    return findings


def _jsonpath(name: str, value: Any) -> Finding | None:
    if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
        return None
    from adaptors.common.jsonpath import JSONPathError, compile_path

    try:
        compile_path(value.value)
    except JSONPathError as error:
        return Finding(value.lineno, value.col_offset + 1, f"{name}(): {error}")
    return None


def _params(signature: inspect.Signature) -> str:
    return "(" + ", ".join(str(p).split(":")[0].split("=")[0] if p.kind is not p.VAR_POSITIONAL
                           and p.kind is not p.VAR_KEYWORD else str(p).split(":")[0]
                           for p in signature.parameters.values()) + ")"
