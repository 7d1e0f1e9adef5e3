"""``pyfn demo``: run the shipped example offline, from a checkout of the project."""

from __future__ import annotations

from pathlib import Path

from .execute import ExecuteArgs, run_execute, usage_failure

__all__ = ["run_demo", "project_root"]


def project_root() -> Path:
    """The checkout pyfn was installed from (editable install), else the working directory."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "jobs").is_dir() else Path.cwd()


def run_demo() -> int:
    """Run ``jobs/hello.py`` on ``state/hello.json``; the output goes to ``state/hello-output.json``."""
    root = project_root()
    job, state = root / "jobs" / "hello.py", root / "state" / "hello.json"
    if not job.is_file():
        return usage_failure(f"The demo files are not here: {job}",
                             hint="Run pyfn demo from a checkout of pyfn (pip install -e .)")
    return run_execute(ExecuteArgs(path=job, adaptor="common", state_path=state,
                                   output_path=root / "state" / "hello-output.json"))
