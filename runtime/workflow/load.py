"""Workflow files (YAML, or OpenFn's JSON/YAML shapes) → a validated :class:`~runtime.workflow.model.Workflow`.

Everything is loaded, checked and compiled before anything runs, and every
problem is reported at once with its file and line (see ``runtime.workflow.validate``).

```yaml
name: commcare-to-crm
credentials: credentials.yaml      # optional credential map {name: configuration}
steps:
  - id: fetch-cases
    adaptor: commcare
    job: ../jobs/fetch_cases.py     # relative to this file; or `expression:` inline
    configuration: commcare-prod    # credential name, JSON/YAML file, or mapping
    next: {upsert: on_job_success, notify-failure: on_job_failure}
triggers:                           # optional; served by `pyfn serve` (see runtime.workflow.triggers)
  - {type: webhook, path: commcare-cases, auth: {type: api_key, credential: forwarding-key}}
  - {type: cron, schedule: "0 2 * * *", cursor_step: fetch-cases}
retry: {max: 3, delay: 30s, backoff: 2}   # and max_concurrency, history_days, keep_dataclips_days,
                                          # zero_persistence: see runtime.workflow.policy
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.compiler import compile_job
from runtime.errors import PyfnError, UsageError, ValidationError
from runtime.linker import link, resolve_adaptor
from runtime.plan import Edge, Step
from runtime.workflow.conditions import compile_condition
from runtime.workflow.credentials import CredentialProblem, load_credential_map, read_config_file, resolve_configuration
from runtime.workflow.model import Workflow
from runtime.workflow.policy import POLICY_KEYS, parse_policy
from runtime.workflow.checks import check_step
from runtime.workflow.problems import Problems
from runtime.workflow.triggers import parse_triggers
from runtime.workflow.validate import check_graph
from runtime.textfile import read_text
from runtime.workflow.yaml_lines import Marked, line_of, load_marked

__all__ = ["load_workflow"]

TOP_KEYS = {"id", "name", "description", "start", "credentials", "steps", "options", "globals", "triggers",
            *POLICY_KEYS}
STEP_KEYS = {"id", "name", "description", "adaptor", "adaptors", "job", "expression",
             "configuration", "state", "next", "wait"}
EDGE_KEYS = {"condition", "label", "disabled"}


def load_workflow(path: Path, credentials: Path | dict | None = None, *, require_secrets: bool = True,
                  check_jobs: bool = False) -> Workflow:
    """Load, validate and compile the workflow at ``path``; raise ``ValidationError`` listing every problem.

    ``require_secrets=False`` (``pyfn execute``, ``pyfn validate``): an unset ``${VAR}`` is no
    problem; a step needing one fails when it runs. ``check_jobs`` (``pyfn validate``, ``pyfn
    serve``) also reads each job (``runtime.job_check``) and checks each step's configuration
    against its adaptor's schema (``runtime.config_check``).
    """
    try:
        text = read_text(path, "workflow")
    except FileNotFoundError:
        raise UsageError(f"Workflow file not found: {path}") from None
    problems = Problems(str(path))
    try:
        raw = load_marked(text, str(path))
    except UsageError as error:  # a YAML syntax error is one more problem of the workflow
        raise ValidationError(error.message, hint=error.hint) from None
    doc = _normalise(raw, problems)
    builder = _Builder(path, problems, credentials)
    builder.require_secrets, builder.check_jobs = require_secrets, check_jobs
    plan = builder.build(doc)
    problems.raise_if_any()
    return plan


def _normalise(raw: Any, problems: Problems) -> Marked:
    """OpenFn's shapes → the current one: ``{workflow: {...}, options}`` and legacy ``{jobs}``."""
    if not isinstance(raw, dict):
        problems.add(None, "a workflow must be a mapping with a 'steps' list")
        return Marked()
    if isinstance(raw.get("workflow"), dict):
        doc = raw["workflow"]
        options = raw.get("options") or {}
        if "start" in options:
            doc["start"] = options["start"]
        return doc
    if "jobs" in raw and "steps" not in raw:
        raw["steps"] = raw.pop("jobs")
        raw.key_lines["steps"] = raw.key_line("jobs")
    return raw


class _Builder:
    """Builds the plan from a normalised document, adding every problem it finds."""

    def __init__(self, path: Path, problems: Problems, credentials: Path | dict | None):
        self.path, self.base = path, path.parent
        self.problems = problems
        self.credentials_override = credentials
        self.credentials: dict | None = None
        self.require_secrets, self.check_jobs = True, False

    def build(self, doc: Marked) -> Workflow:
        for key in doc:
            if key not in TOP_KEYS:
                self.problems.add(line_of(doc, key), f"unknown key '{key}' (expected one of: "
                                                     f"{', '.join(sorted(TOP_KEYS))})")
        self._load_credentials(doc)
        raw_steps = doc.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            self.problems.add(line_of(doc, "steps"), "'steps' must be a non-empty list of steps")
            raw_steps = []
        steps: dict[str, Step] = {}
        raw_by_id: dict[str, dict] = {}
        for index, raw in enumerate(raw_steps):
            step = self._step(raw, index)
            if step is None:
                continue
            if step.id in steps:
                self.problems.add(line_of(raw, "id"), f"duplicate step id '{step.id}'")
                continue
            steps[step.id] = step
            raw_by_id[step.id] = raw
        start = doc.get("start") or (next(iter(steps)) if steps else "")
        options = doc.get("options") if isinstance(doc.get("options"), dict) else {}
        start = options.get("start", start)
        workflow = Workflow(name=str(doc.get("name") or self.path.stem), steps=steps, start=str(start),
                            triggers=parse_triggers(doc, self.credentials, self.problems, self.path.stem,
                                                    list(steps), self.require_secrets),
                            policy=parse_policy(doc, self.problems))
        check_graph(workflow, doc, raw_by_id, self.problems)
        return workflow

    def _load_credentials(self, doc: Marked) -> None:
        override = self.credentials_override
        ref = (override if isinstance(override, dict) else str(override)) if override else doc.get("credentials")
        if ref is None:
            return
        base = Path.cwd() if self.credentials_override else self.base
        try:
            self.credentials = load_credential_map(ref, base)
        except CredentialProblem as problem:
            self.problems.add(line_of(doc, "credentials"), f"credentials: {problem}")
            self.credentials = {}

    def _step(self, raw: Any, index: int) -> Step | None:
        if not isinstance(raw, dict):
            self.problems.add(None, f"step {index + 1} must be a mapping")
            return None
        for key in raw:
            if key not in STEP_KEYS:
                self.problems.add(line_of(raw, key), f"unknown key '{key}' in step "
                                  f"{raw.get('id', index + 1)} (expected one of: {', '.join(sorted(STEP_KEYS))})")
        if "id" in raw and not isinstance(raw["id"], str):
            self.problems.add(line_of(raw, "id"), f"step id {raw['id']!r} must be a string "
                                                  f"(quote it: id: \"{raw['id']}\")")
        step = Step(id=str(raw.get("id") or f"job-{index + 1}"), job=None,
                    name=raw.get("name"), wait_all=self._wait(raw))
        step.adaptor = self._adaptor(raw, step)
        step.job = self._job(raw, step)
        step.configuration = self._configuration(raw, step)
        step.state = self._default_state(raw, step)
        step.next = self._edges(raw, step)
        if self.check_jobs:
            for key, message in check_step(step, "configuration" in raw):
                key = key if key in raw else "expression"  # a job given inline
                self.problems.add(line_of(raw, key), f"step {step.id}: {message}")
        return step

    def _wait(self, raw: Marked) -> bool:
        wait = raw.get("wait")
        if wait not in (None, "all"):
            self.problems.add(line_of(raw, "wait"), f"wait must be 'all', not {wait!r}")
        return wait == "all"

    def _adaptor(self, raw: Marked, step: Step):
        specifier = raw.get("adaptor")
        if specifier is None and isinstance(raw.get("adaptors"), list) and raw["adaptors"]:
            specifier = raw["adaptors"][0]
        if specifier is not None and not isinstance(specifier, str):
            self.problems.add(line_of(raw, "adaptor") or line_of(raw, "adaptors"),
                              f"step {step.id}: adaptor must be a name such as http, not {specifier!r}")
            return resolve_adaptor(None)
        try:
            return resolve_adaptor(specifier)
        except PyfnError as error:
            self.problems.add(line_of(raw, "adaptor") or line_of(raw, "adaptors"),
                              f"step {step.id}: {error.message}. {error.hint}")
            return resolve_adaptor(None)

    def _job(self, raw: Marked, step: Step):
        source_key = "job" if "job" in raw else "expression"
        value = raw.get(source_key)
        if value is None:
            return None
        line = line_of(raw, source_key)
        job_path = self.base / str(value)
        if source_key == "job" or (str(value).endswith(".py") and "\n" not in str(value)):
            try:  # not is_file(): a run may read the job from its worker's snapshot (runtime.textfile)
                source, label = read_text(job_path, "job"), str(job_path)
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self.problems.add(line, f"step {step.id}: job file not found: {job_path}")
                return None
            except UsageError as error:
                self.problems.add(line, f"step {step.id}: {error.message}")
                return None
        else:
            source, label = str(value), f"{self.path} (step {step.id} expression)"
        try:
            return compile_job(source, label, link(step.adaptor))
        except PyfnError as error:
            self.problems.add(line, f"step {step.id}: {error.message}")
            return None

    def _configuration(self, raw: Marked, step: Step) -> dict | None:
        found: dict[str, str] = {}
        try:
            configuration = resolve_configuration(raw.get("configuration"), self.credentials, self.base, found,
                                                  self.require_secrets)
        except CredentialProblem as problem:
            self.problems.add(line_of(raw, "configuration"), f"step {step.id}: {problem}")
            return None
        step.env = found
        return configuration

    def _default_state(self, raw: Marked, step: Step) -> dict | None:
        value = raw.get("state")
        if isinstance(value, str):
            try:
                value = read_config_file(self.base / value)
            except CredentialProblem as problem:
                self.problems.add(line_of(raw, "state"), f"step {step.id}: state: {problem}")
                return None
        if value is not None and not isinstance(value, dict):
            self.problems.add(line_of(raw, "state"), f"step {step.id}: state must be a mapping or a file")
            return None
        return value

    def _edges(self, raw: Marked, step: Step) -> list[Edge]:
        value = raw.get("next")
        if value is None:
            return []
        if isinstance(value, str):
            value = {value: True}
        if not isinstance(value, dict):
            self.problems.add(line_of(raw, "next"), f"step {step.id}: next must be a step id or a mapping")
            return []
        return [edge for target, spec in value.items()
                if (edge := self._edge(step, str(target), spec, line_of(value, target))) is not None]

    def _edge(self, step: Step, target: str, spec: Any, line: int | None) -> Edge | None:
        edge = Edge(target=target)
        if isinstance(spec, dict):
            for key in spec:
                if key not in EDGE_KEYS:
                    self.problems.add(line_of(spec, key), f"unknown key '{key}' in edge "
                                      f"{step.id} -> {target} (expected condition, label, disabled)")
            edge.label, edge.disabled = spec.get("label"), bool(spec.get("disabled", False))
            spec = spec.get("condition", False)
        if isinstance(spec, bool) or spec is None:
            edge.disabled = edge.disabled or not spec
            return edge
        edge.condition = str(spec)
        try:
            edge.check = compile_condition(edge.condition, f"{self.path}:{line}")
        except (SyntaxError, ValueError) as exc:
            message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            self.problems.add(line, f"edge {step.id} -> {target}: condition {edge.condition!r} "
                                    f"does not compile: {message}")
        return edge
