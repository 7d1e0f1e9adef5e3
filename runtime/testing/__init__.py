"""pyfn's test kit for jobs and workflows, usable with or without pytest.

- ``harness``: ``run_job``, ``run_workflow`` → ``RunResult`` with ``assert_ok()``,
  ``assert_failed(step)``, ``assert_crashed()``, ``assert_data(...)``;
- ``destination``: ``DestinationAPI``, a recording HTTP server on 127.0.0.1 (a stand-in CRM,
  SMS gateway or warehouse), answering ``Response(status, body, headers)`` (``recording``);
- ``hq``: ``HQ``, the CommCare HQ simulator with ``configuration``, ``forms()``, ``cases()``;
- ``snapshot``: ``Snapshot``, final states compared with stored JSON, volatile values ignored;
- ``plugin``: the pytest fixtures over these (``run_job``, ``run_workflow``, ``http_api``,
  ``commcare_hq``, ``snapshot``), registered by installing pyfn.
"""

from runtime.testing.harness import RunResult, run_job, run_workflow
from runtime.testing.recording import Response

__all__ = ["Response", "RunResult", "run_job", "run_workflow"]
