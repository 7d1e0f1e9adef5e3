"""``python -m runtime.cli`` is ``pyfn``."""

from runtime.cli import main

main()
