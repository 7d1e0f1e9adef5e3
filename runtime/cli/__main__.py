"""``python -m runtime.cli`` is ``pyfn``."""

from . import main

main()
