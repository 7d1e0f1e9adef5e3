"""The README's two set-up commands are the checkout's scripts, and CI runs the README's test command."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_opens_with_the_two_set_up_commands_and_ci_runs_the_second():
    first_block = re.search(r"^```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M).group(1)
    assert first_block.splitlines() == ["bin/setup && .venv/bin/pyfn demo", "bin/test"]
    for script in ("bin/setup", "bin/test", ".ci/run"):
        assert os.access(ROOT / script, os.X_OK), script
    assert 'exec "$(dirname "$0")/../bin/test"' in (ROOT / ".ci/run").read_text()
    assert "bin/setup --test" in (ROOT / "bin/test").read_text()
