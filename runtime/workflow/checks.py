"""What ``pyfn validate`` (and ``pyfn serve`` at start-up) reads in a step besides its shape.

Its job (``runtime.job_check``: undefined names, arguments an operation does not take,
literal JSONPaths that don't parse), its configuration against its adaptor's schema
(``runtime.config_check``; an unset ``${VAR}`` is fine), and, for the http adaptor, a
relative request path with no ``baseUrl`` to resolve it against.

Example:
    >>> from runtime.compiler import compile_job
    >>> from runtime.linker import link, resolve_adaptor
    >>> from runtime.plan import Step
    >>> http = resolve_adaptor("http")
    >>> step = Step("push", compile_job('get("/patients")', "push.py", link(http)), http, configuration={})
    >>> check_step(step, True)
    [('configuration', "push.py:1: get('/patients') is a relative path, but the configuration has no baseUrl")]
"""

from __future__ import annotations

import ast
import os

from runtime.config_check import configuration_problems
from runtime.job_check import check_job
from runtime.plan import Step

__all__ = ["check_step"]

_HTTP_OPERATIONS = {"get", "post", "put", "patch", "delete"}


def check_step(step: Step, has_configuration: bool) -> list[tuple[str, str]]:
    """The step's problems as ``(key of the step whose line to show, message)``."""
    problems: list[tuple[str, str]] = []
    label = os.path.normpath(step.job.path) if step.job and step.job.path.endswith(".py") else None
    if step.job is not None:
        for finding in check_job(step.job.source, step.adaptor.name):
            where = f"{label}:{finding.line}" if label else f"expression line {finding.line}"
            problems.append(("job", f"{where}: {finding.message}"))
    if has_configuration and step.configuration is not None:
        schema = getattr(step.adaptor.module, "CONFIGURATION_SCHEMA", None)
        problems += [("configuration", f"{problem} ({step.adaptor.name} adaptor)")
                     for problem in configuration_problems(step.configuration, schema, placeholders=True)]
        if step.adaptor.name == "http" and step.job is not None and not step.configuration.get("baseUrl"):
            where = f"{label}:" if label else "expression line "
            problems += [("configuration", f"{where}{line}: {call} is a relative path, but the configuration "
                                           f"has no baseUrl") for line, call in _relative_requests(step.job.source)]
    return problems


def _relative_requests(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _HTTP_OPERATIONS \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and not node.args[0].value.lower().startswith(("http://", "https://")):
            found.append((node.lineno, f"{node.func.id}({node.args[0].value!r})"))
    return found
