"""Compile a job's Python source into a pipeline of operations, as OpenFn's compiler does.

* **Top-level operations.** Every top-level expression statement that is a call
  becomes one operation of the pipeline, in source order, with its name and
  line. Other statements (imports, ``def``, constants) run once when the job
  loads, before the operations are built — as OpenFn moves the calls into
  ``export default [...]`` at the end of the module.
* **Lazy state** (OpenFn's ``$``). Inside an argument of an operation, an
  expression that reads the free name ``state`` is wrapped in
  ``lambda state: ...`` so it is evaluated when the operation runs. The wrap
  goes around the argument of the nearest enclosing *adaptor* call (or of the
  top-level call), so ``post("/x", {"n": len(state["data"])})`` and
  ``each("$.items[*]", post("/y", {"id": state["data"]["id"]}))`` both work.
* **Builtins stay builtins.** An operation whose name shadows one of Python's
  builtins (common's ``map``) is the operation where it is used as one — a
  top-level call, or a call that is itself an argument of an operation — and
  Python's builtin everywhere else (comprehensions, lambdas, helper functions).
  Operation uses are renamed ``__pyfn_op_map``; ``runtime.job`` binds that name.
* **Editor imports.** ``from adaptors.http import *`` (the adaptor's module) is there for
  editors and type checkers (docs/jobs.md): it is left out of the job, whose names come from
  its adaptor as always. Importing another adaptor than the job runs with is a compile error.

Nothing here runs job code; ``runtime.job`` loads the result.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from functools import cached_property
from types import CodeType
from typing import Iterable

from runtime.errors import CompileError

__all__ = ["OperationSpec", "CompiledJob", "compile_job", "OPERATION_PREFIX", "shadowing_builtins"]

STATE = "state"
OPERATION_PREFIX = "__pyfn_op_"  # an operation named like a builtin, where it is used as an operation


def shadowing_builtins(names: Iterable[str]) -> frozenset[str]:
    """The adaptor names that are also Python builtins (``map``)."""
    return frozenset(n for n in names if hasattr(builtins, n) and not n.startswith("_"))


@dataclass(frozen=True)
class OperationSpec:
    """One top-level operation call: its name, where it is, and its (transformed) AST."""

    name: str
    line: int
    column: int
    order: int
    node: ast.expr

    @property
    def source(self) -> str:
        return ast.unparse(self.node).replace(OPERATION_PREFIX, "")


@dataclass(frozen=True)
class CompiledJob:
    """A compiled job: module code to run once, then the operations in order."""

    path: str
    source: str
    module: ast.Module
    operations: tuple[OperationSpec, ...]

    @cached_property
    def module_code(self) -> CodeType:
        """The module's code object, compiled once (a served workflow's in the forkserver, before runs fork)."""
        return compile(self.module, self.path, "exec")

    @cached_property
    def operation_codes(self) -> tuple[CodeType, ...]:
        """Each operation's expression as a code object, in order, compiled once."""
        return tuple(compile(ast.Expression(body=op.node), self.path, "eval") for op in self.operations)

    def describe(self) -> str:
        """The pipeline as ``pyfn compile`` prints it."""
        lines = [f"{len(self.operations)} operation(s) in {self.path}:"]
        for op in self.operations:
            lines.append(f"  {op.order + 1}. line {op.line}: {op.source}")
        setup = [ast.unparse(stmt).splitlines()[0] for stmt in self.module.body]
        if setup:
            lines.append("run once when the job loads:")
            lines.extend(f"  line {stmt.lineno}: {text}" for stmt, text in zip(self.module.body, setup))
        return "\n".join(lines)


def compile_job(source: str, path: str, adaptor_names: Iterable[str] = ()) -> CompiledJob:
    """Parse ``source`` and split it into module code and operations.

    ``adaptor_names`` are the names the job gets from its adaptors: calls to
    them inside an operation's arguments wrap their own lazy arguments.
    Raises :class:`CompileError` with file, line and column on a syntax error
    or a misuse of ``state``.
    """
    tree = _parse(source, path)
    names = frozenset(adaptor_names)
    shadowing = shadowing_builtins(names)
    operation_names = (names - shadowing) | {OPERATION_PREFIX + n for n in shadowing}
    lazy = not _declares_state(tree)
    setup: list[ast.stmt] = []
    operations: list[OperationSpec] = []
    for stmt in tree.body:
        if _editor_import(stmt, names, path, source):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = ast.unparse(stmt.value.func)
            call = _rename_operations(stmt.value, names, shadowing)
            call = _Lazify(operation_names, path, source).call(call) if lazy else call
            operations.append(OperationSpec(name, stmt.lineno, stmt.col_offset + 1, len(operations), call))
        else:
            if lazy:
                _check_no_free_state(stmt, path, source)
            setup.append(stmt)
    module = ast.Module(body=setup, type_ignores=[])
    return CompiledJob(path, source, module, tuple(operations))


def _editor_import(stmt: ast.stmt, names: frozenset[str], path: str, source: str) -> bool:
    """Whether ``stmt`` is ``from adaptors.X import *``; an adaptor the job does not run with is an error."""
    import adaptors

    if not (isinstance(stmt, ast.ImportFrom) and stmt.module in adaptors.ADAPTORS.values()
            and [a.name for a in stmt.names] == ["*"]):
        return False
    adaptor = stmt.module.rsplit(".", 1)[1]
    exported = getattr(adaptors.load(adaptor), "__all__", ())
    if names and not set(exported) <= names:
        raise compile_error(f"this job imports the {adaptor} adaptor's operations, but it runs with another "
                            f"adaptor", path, source, stmt.lineno, stmt.col_offset + 1,
                            hint=f"Run it with -a {adaptor} (adaptor: {adaptor} in a workflow step), or import "
                                 f"the module of the adaptor it runs with")
    return True


def _rename_operations(call: ast.Call, names: frozenset[str], shadowing: frozenset[str]) -> ast.Call:
    """``map(...)`` → ``__pyfn_op_map(...)`` at the top level and as an argument of an operation."""
    if not shadowing:
        return call
    func = call.func
    if isinstance(func, ast.Name) and func.id in shadowing:
        func = ast.copy_location(ast.Name(OPERATION_PREFIX + func.id, ast.Load()), func)

    def argument(node: ast.expr) -> ast.expr:
        inner = node.value if isinstance(node, ast.Starred) else node
        if not (isinstance(inner, ast.Call) and _root_name(inner.func) in names):
            return node
        renamed = _rename_operations(inner, names, shadowing)
        return ast.copy_location(ast.Starred(renamed, node.ctx), node) if isinstance(node, ast.Starred) else renamed

    keywords = [ast.copy_location(ast.keyword(k.arg, argument(k.value)), k) for k in call.keywords]
    return ast.copy_location(ast.Call(func, [argument(a) for a in call.args], keywords), call)


def _parse(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise compile_error(f"SyntaxError: {exc.msg}", path, source, exc.lineno or 1,
                            exc.offset or 1, hint="Check the syntax of the job") from None


def compile_error(message: str, path: str, source: str, line: int, column: int,
                  hint: str | None = None) -> CompileError:
    """A CompileError pointing at ``path:line:column`` with the source line and a caret."""
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    caret = " " * max(column - 1, 0) + "^"
    return CompileError(f"{message} ({path}:{line}:{column})", hint=hint, line=line, column=column,
                        code=f"{text}\n{caret}" if text else None)


def _declares_state(tree: ast.Module) -> bool:
    """A module-level assignment, import or def of ``state`` disables lazy state (as OpenFn)."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if stmt.name == STATE:
                return True
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name).split(".")[0] == STATE for a in stmt.names):
                return True
        elif not isinstance(stmt, ast.Expr):
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and node.id == STATE and isinstance(node.ctx, ast.Store):
                    if not _inside_function(stmt, node):
                        return True
    return False


def _inside_function(root: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(root):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            if any(n is target for n in ast.walk(node)):
                return True
    return False


def _binds_state(args: ast.arguments) -> bool:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(a is not None and a.arg == STATE for a in every)


def _function_binds_state(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
    if _binds_state(node.args):
        return True
    if isinstance(node, ast.Lambda):
        return False
    return any(isinstance(n, ast.Name) and n.id == STATE and isinstance(n.ctx, ast.Store)
               for n in ast.walk(node))


def _check_no_free_state(stmt: ast.stmt, path: str, source: str) -> None:
    """``state`` read outside an operation's arguments is a compile error."""
    for name in _free_state_reads(stmt):
        raise compile_error("state can only be used inside the arguments of an operation",
                            path, source, name.lineno, name.col_offset + 1,
                            hint="Read state inside an operation, e.g. fn(lambda state: ...), "
                                 "or pass state[...] as an operation's argument")


def _free_state_reads(node: ast.AST):
    """Yield the reads of a free ``state`` name; scopes that bind ``state`` are skipped."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        if _function_binds_state(node):
            return
    if isinstance(node, ast.Name) and node.id == STATE and isinstance(node.ctx, ast.Load):
        yield node
        return
    for child in ast.iter_child_nodes(node):
        yield from _free_state_reads(child)


def _lambda_reading_state(node: ast.AST) -> tuple[ast.Lambda, ast.Name] | None:
    """A lambda (not binding ``state``) inside ``node`` that reads the free ``state``."""
    for lam in ast.walk(node):
        if isinstance(lam, ast.Lambda) and not _binds_state(lam.args):
            for name in _free_state_reads(lam.body):
                return lam, name
    return None


class _Lazify:
    """Wraps the arguments of operation calls that read the free ``state``."""

    def __init__(self, names: frozenset[str], path: str, source: str):
        self.names, self.path, self.source = names, path, source

    def call(self, call: ast.Call) -> ast.Call:
        args = [self._argument(a) for a in call.args]
        keywords = [ast.copy_location(ast.keyword(k.arg, self._argument(k.value)), k) for k in call.keywords]
        new = ast.Call(func=call.func, args=args, keywords=keywords)
        return ast.copy_location(new, call)

    def _argument(self, node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Starred):
            return ast.copy_location(ast.Starred(self._argument(node.value), node.ctx), node)
        node = _NestedCalls(self).visit(node)
        if not any(True for _ in _free_state_reads(node)):
            return node
        found = _lambda_reading_state(node)
        if found:
            lam, name = found
            params = ", ".join(a.arg for a in lam.args.args) or "no parameters"
            raise compile_error(f"state is read inside a lambda whose parameter is not named "
                                f"state ({params})", self.path, self.source, name.lineno,
                                name.col_offset + 1,
                                hint="Name the lambda's parameter state: lambda state: ...")
        wrapped = ast.Lambda(args=_state_args(), body=node)
        return ast.fix_missing_locations(ast.copy_location(wrapped, node))


class _NestedCalls(ast.NodeTransformer):
    """Applies lazy state to adaptor calls nested in an argument (not inside lambdas)."""

    def __init__(self, lazify: _Lazify):
        self.lazify = lazify

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if _root_name(node.func) in self.lazify.names:
            return self.lazify.call(node)
        return self.generic_visit(node)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _state_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[ast.arg(STATE)], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
