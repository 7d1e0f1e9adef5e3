"""Packaging beyond pyproject.toml: the shipped examples travel inside the wheel.

``jobs/``, ``workflows/`` and ``state/`` stay where a checkout's user runs them
(``pyfn execute workflows/...``); the wheel gets a copy under
``runtime/cli/examples/`` so that ``pyfn demo`` runs wherever pyfn is installed.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES = {"jobs": ("*.py",), "workflows": ("*.yaml",), "state": ("*.json", "*.csv")}


class BuildWithExamples(build_py):
    """``build_py``, then the example folders copied into ``runtime/cli/examples`` of the build."""

    def run(self):
        super().run()
        target = Path(self.build_lib, "runtime", "cli", "examples")
        for folder, patterns in EXAMPLES.items():
            for source in (path for pattern in patterns for path in Path(folder).rglob(pattern)):
                if not {".cli-cache", "example-runs", "__pycache__"} & set(source.parts) \
                        and not source.name.endswith("-output.json"):
                    (target / source).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target / source)


setup(cmdclass={"build_py": BuildWithExamples})
