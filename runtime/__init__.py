"""pyfn's runtime: compile Python jobs into operations and run them the way OpenFn does.

The public API for embedding pyfn (the CLI, the server and the test kit use it)::

    from runtime import load_plan, compile_job, plan_for_job, resolve_adaptor, execute_plan, RunContext

The data path, one module per hop: ``compiler`` (job source → operations),
``linker`` (adaptor → names), ``plan`` (steps and edges; ``load_plan`` makes a
job file a plan of one step), ``job`` (load operations), ``expression`` (run
them), ``step`` (one step with its state rules), ``execute`` (the plan walk),
``state`` and ``state_file`` (the final state file). Workflow files are
``runtime.workflow``'s; the engine never imports it.
"""

from runtime.compiler import CompiledJob, compile_job
from runtime.context import RunContext, RunOptions
from runtime.errors import PyfnError
from runtime.linker import link, resolve_adaptor
from runtime.plan import Edge, Plan, Step, load_plan, plan_for_job
from runtime.execute import execute_plan

__all__ = [
    "CompiledJob",
    "Edge",
    "Plan",
    "PyfnError",
    "RunContext",
    "RunOptions",
    "Step",
    "compile_job",
    "execute_plan",
    "link",
    "load_plan",
    "plan_for_job",
    "resolve_adaptor",
]
