"""A served run's process imports nothing: the forkserver preloaded all it needs (an import in a run costs it ms)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

WORKFLOW = """\
name: preloaded
steps:
  - id: map
    expression: |
      fn(lambda state: {**state, "data": {"seen": state["data"]["id"]}})
"""

# In a fresh interpreter: import what the forkserver preloads, then run one run as its process does
# (child.main: own process group, confinement, execute, report), and print what it imported meanwhile.
SCRIPT = textwrap.dedent("""
    import json, multiprocessing, sys
    from runtime.worker.supervisor import PRELOAD
    for name in PRELOAD:
        __import__(name)
    from runtime.worker.child import RunRequest, main
    from runtime.worker.messages import decode_bundle
    before = set(sys.modules)
    receiver, sender = multiprocessing.Pipe()
    main(RunRequest("run-1", sys.argv[1], json.dumps({"data": {"id": "f-1"}})), sender)
    messages = []
    try:
        while True:
            messages += decode_bundle(receiver.recv_bytes())
    except EOFError:  # main closed its end once done
        pass
    print(json.dumps({"imported": sorted(set(sys.modules) - before), "end": repr(messages[-1])}))
""")


def test_a_run_process_imports_no_module_the_forkserver_did_not_preload(tmp_path: Path):
    workflow = tmp_path / "preloaded.yaml"
    workflow.write_text(WORKFLOW)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(workflow)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["end"].startswith("Done(state='success'")
    assert report["imported"] == []
