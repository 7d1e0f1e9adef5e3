"""Version 6: a workflow's latest success is found in a partial index of the successful runs only.

``runs_workflow_state`` (workflow, state, finished_at) served one kind of query: the latest success of a
workflow (``last_success``, ``last_output``, the cron cursor a purge spares), always with
``state = 'success'``. Every run was written to it, a delivery's new run included, and it grew with the
whole history. ``runs_workflow_success`` holds the successful runs alone, keyed by finished time: a run
enters it when it succeeds. Writes to ``runs`` wait while it is built (seconds on a million runs).
"""

SQL = """
CREATE INDEX runs_workflow_success ON runs (workflow, finished_at) WHERE state = 'success';
DROP INDEX runs_workflow_state;
"""
