"""pyfn's runtime: compile Python jobs into operations and run them the way OpenFn does.

The public API for embedding pyfn (the CLI, the server and the test kit use it)::

    from runtime import compile_job, plan_for_job, resolve_adaptor, execute_plan, RunContext

The data path, one module per hop: ``compiler`` (job source → operations),
``linker`` (adaptor → names), ``job`` (load operations), ``expression`` (run
them), ``step`` (one step with its state rules), ``run`` (the plan walk),
``state`` and ``output`` (the final state file).
"""

from runtime.compiler import CompiledJob, compile_job
from runtime.context import RunContext, RunOptions
from runtime.errors import PyfnError
from runtime.linker import link, resolve_adaptor
from runtime.plan import Edge, Plan, Step, plan_for_job
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
    "plan_for_job",
    "resolve_adaptor",
]
