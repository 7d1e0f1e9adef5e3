"""A served run's process imports nothing: the forkserver preloaded all it needs (an import in a run costs it ms)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from runtime.worker.preload import ENV

WORKFLOW = """\
name: preloaded
steps:
  - id: map
    expression: |
      fn(lambda state: {**state, "data": {"seen": state["data"]["id"]}})
"""

# In a fresh interpreter: import what the forkserver preloads, then run one run as its process does
# (child.main: own process group, confinement, execute, report), and print what it imported meanwhile; then
# the modules the forkserver's child must import to unpickle the run it is handed (its target, the pipe's end).
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
    imported = sorted(set(sys.modules) - before)
    # what the forkserver unpickles for the run's process before main starts: the modules its pickle names
    import io, pickletools
    from multiprocessing import context, popen_forkserver, reduction
    spawning = popen_forkserver.Popen.__new__(popen_forkserver.Popen)
    spawning._fds = []
    process = multiprocessing.get_context("forkserver").Process(target=main, args=(RunRequest("run-2", sys.argv[1], "{}"),
                                                                                   multiprocessing.Pipe()[1]))
    context.set_spawning_popen(spawning)
    try:
        pickled = io.BytesIO()
        reduction.ForkingPickler(pickled, 2).dump(process)  # protocol 2: each class as a GLOBAL "module name"
    finally:
        context.set_spawning_popen(None)
    named = {arg.split(" ")[0] for op, arg, _ in pickletools.genops(pickled.getvalue()) if op.name == "GLOBAL"}
    print(json.dumps({"imported": imported, "end": repr(messages[-1]), "named": sorted(named),
                      "unpickling_imports": sorted(named - before),
                      "preloaded": sorted({"adaptors.http", "jsonschema"} & before)}))
""")

HTTP_WORKFLOW = """\
name: preloaded-http
steps:
  - id: map
    adaptor: http
    configuration: {baseUrl: "http://127.0.0.1:9"}
    expression: |
      fn(lambda state: {**state, "data": {"seen": state["data"]["id"]}})
"""


def _run_preloaded(workflow: Path, served: list[Path]) -> dict:
    """SCRIPT's report, the forkserver's preloads compiling ``served`` (as ``pyfn serve`` names its workflows)."""
    env = {**os.environ, ENV: json.dumps([str(path) for path in served])}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(workflow)], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2], env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_run_process_imports_no_module_the_forkserver_did_not_preload(tmp_path: Path):
    workflow = tmp_path / "preloaded.yaml"
    workflow.write_text(WORKFLOW)
    report = _run_preloaded(workflow, [workflow])
    assert report["end"].startswith("Done(state='success'")
    assert report["preloaded"] == []  # no workflow uses the http adaptor: the forkserver holds none of it
    assert report["imported"] == []
    assert "runtime.worker.child" in report["named"]  # the pickle was read: main is named in it
    assert report["unpickling_imports"] == []


def test_the_forkserver_preloads_the_adaptors_the_served_workflows_use(tmp_path: Path):
    plain, http = tmp_path / "preloaded.yaml", tmp_path / "preloaded-http.yaml"
    plain.write_text(WORKFLOW)
    http.write_text(HTTP_WORKFLOW)
    report = _run_preloaded(http, [plain, http])
    assert report["end"].startswith("Done(state='success'")
    assert report["preloaded"] == ["adaptors.http", "jsonschema"]  # http publishes a configuration schema
    assert report["imported"] == []
