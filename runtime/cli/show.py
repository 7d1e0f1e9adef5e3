"""``pyfn compile`` and ``pyfn docs``: show what a job compiles to and what an adaptor offers."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from runtime.errors import PyfnError, UsageError
from runtime.linker import public_names, resolve_adaptor
from runtime.logger import create_loggers
from runtime.plan import load_plan
from runtime.report import log_error
from runtime.textfile import read_text
from runtime.workflow.load import load_workflow
from runtime.workflow import WORKFLOW_SUFFIXES
from runtime.workflow.model import describe_workflow

__all__ = ["run_compile", "run_validate", "run_docs", "describe_operation"]


def run_compile(path: Path, adaptor_name: str | None) -> int:
    """Print a job's compiled operations or a workflow's plan; return the exit code."""
    try:
        if not path.is_file():
            raise UsageError(f"File not found: {path}", hint="Give the path of a job or a workflow")
        if path.suffix in WORKFLOW_SUFFIXES:
            text = describe_workflow(load_workflow(path, require_secrets=False))
        else:
            plan = load_plan(path, adaptor_name)
            text = plan.steps[plan.start].job.describe()
    except PyfnError as error:
        log_error(create_loggers().compiler, error)
        return error.exit_code
    print(text)
    return 0


def run_validate(path: Path, credentials: Path | None, adaptor_name: str | None = None) -> int:
    """Print every problem of a workflow or a job (exit 1), or "valid" and a line per step (exit 0).

    Jobs are read (``runtime.job_check``) and configurations checked against their adaptor's
    schema without the secrets: an unset ``${VAR}`` is fine.
    """
    try:
        if path.suffix in WORKFLOW_SUFFIXES:
            text = describe_workflow(load_workflow(path, credentials, require_secrets=False, check_jobs=True))
        else:
            text = _validate_job(path, adaptor_name)
    except PyfnError as error:
        log_error(create_loggers().cli, error)
        return error.exit_code
    print(f"valid: {path}")
    print(text)
    return 0


def _validate_job(path: Path, adaptor_name: str | None) -> str:
    from runtime.job_check import check_job
    from runtime.workflow.problems import Problems

    if not path.is_file():
        raise UsageError(f"File not found: {path}", hint="Give the path of a job or a workflow")
    source = read_text(path, "job")
    plan = load_plan(path, adaptor_name, source=source)
    step = plan.steps[plan.start]
    problems = Problems(str(path))
    for finding in check_job(source, step.adaptor.name):
        problems.add(finding.line, finding.message)
    problems.raise_if_any()
    return step.job.describe()


def run_docs(adaptor_name: str | None, operation: str | None, schema: bool = False) -> int:
    """Print every adaptor, an adaptor's operations or configuration schema, or one operation in full."""
    from runtime.cli.adaptor_docs import all_adaptors_summary, schema_text

    try:
        if adaptor_name is None:
            if schema:
                raise UsageError("--schema needs an adaptor", hint="e.g. pyfn docs commcare --schema")
            print(all_adaptors_summary())
            return 0
        adaptor = resolve_adaptor(adaptor_name)
        names = public_names(adaptor.module)
        if operation is not None and operation not in names:
            raise UsageError(f"{adaptor.name} has no operation '{operation}'",
                             hint=f"Run 'pyfn docs {adaptor.name}' to list its operations")
    except PyfnError as error:
        log_error(create_loggers().cli, error)
        return error.exit_code
    if schema:
        print(schema_text(adaptor.name, getattr(adaptor.module, "CONFIGURATION_SCHEMA", None)))
        return 0
    if operation is not None:
        print(describe_operation(operation, names[operation]))
        return 0
    print(_adaptor_summary(adaptor.name, adaptor.module, names))
    return 0


def _adaptor_summary(name: str, module, names: dict) -> str:
    lines = [f"Adaptor {name}", ""]
    doc = inspect.getdoc(module)
    if doc:
        lines += [doc, ""]
    if name != "common":
        lines += ["Jobs with this adaptor also have every common operation (pyfn docs common).", ""]
    width = max((len(n) for n in names), default=0)
    for op_name, value in names.items():
        summary = (inspect.getdoc(value) or "").split("\n", 1)[0]
        lines.append(f"  {op_name.ljust(width)}  {summary}")
    lines += ["", f"Run 'pyfn docs {name} OPERATION' for one operation in full, "
                  f"'pyfn docs {name} --schema' for its configuration."]
    return "\n".join(lines)


def describe_operation(name: str, value) -> str:
    """``name(signature)`` and the docstring, as ``pyfn docs ADAPTOR OPERATION`` prints it."""
    try:
        signature = str(inspect.signature(value))
    except (TypeError, ValueError):
        signature = ""
    doc = inspect.getdoc(value) or "(no documentation)"
    return f"{name}{signature}\n\n{textwrap.indent(doc, '  ')}"
