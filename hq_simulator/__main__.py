"""``python -m hq_simulator serve ...``: the simulator's CLI without the rest of pyfn."""

from .cli import app

app(prog_name="python -m hq_simulator")
