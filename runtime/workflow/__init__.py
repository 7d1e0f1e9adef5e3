"""The workflow file: YAML (or OpenFn's JSON/YAML shapes) → a validated plan with its triggers and policy.

- ``model``: a workflow = a plan, its triggers and its run policy (:class:`~runtime.workflow.model.Workflow`);
- ``load``: read, check and compile a workflow file (:func:`~runtime.workflow.load.load_workflow`);
- ``yaml_lines``: YAML read with the line of every key, so problems name their line;
- ``problems`` / ``validate``: every problem at once, and the step graph's checks;
- ``credentials``: credential maps, configuration files and ``${ENV}`` values;
- ``conditions``: edge conditions (OpenFn's named ones and Python expressions);
- ``triggers`` / ``cron``: webhook and cron triggers, five-field cron expressions;
- ``policy``: retries, concurrency and retention of a served workflow;
- ``project``: every workflow of a project's ``workflows/`` folder, validated together.

The engine (``runtime``) never imports this package; this package calls inward. Importing the
package itself loads nothing (``pyfn execute`` of a job only needs :data:`WORKFLOW_SUFFIXES`).
"""

__all__ = ["WORKFLOW_SUFFIXES"]

WORKFLOW_SUFFIXES = (".yaml", ".yml", ".json")  # files holding a workflow; anything else is a job
