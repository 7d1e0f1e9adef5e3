"""An adaptor error as OpenFn records it (``details`` always), and a log that points at the job.

Expected record: ``tests/openfn_recorded/adaptor_error_details.json`` (@openfn/runtime 1.9.5 and
language-common 3.3.4 running the same job); its ``AdaptorError`` builds ``details`` as
``{message: error.message, ...the error's own JSON fields}``.
"""

from __future__ import annotations

import json
from pathlib import Path

RECORDED = json.loads((Path(__file__).resolve().parents[1] / "openfn_recorded" / "adaptor_error_details.json")
                      .read_text())


def test_an_adaptor_error_without_fields_still_records_details_with_its_message(pyfn, write):
    job = write("job.py", 'each("$.data[?(@.a.b)]", fn(lambda state: state))\n')
    result = pyfn("execute", job, "-S", json.dumps(RECORDED["initial_state"]))
    assert result.code == 0, result.output
    error = json.loads((job.parent / "output.json").read_text())["errors"]["job-1"]
    expected = RECORDED["final_state"]["errors"]["job-1"]
    assert (error["name"], error["severity"], sorted(error["details"])) == (
        expected["name"], expected["severity"], ["message"])
    assert error["details"]["message"] == error["message"]
    assert error["message"].startswith(expected["message"])  # pyfn adds the path after OpenFn's words
    assert "Additional error details:" in result.stdout


def test_the_log_points_at_the_jobs_line_not_at_pyfns_source(pyfn, write):
    job = write("job.py", 'fn(lambda state: state)\nget("/services/x")\n')
    result = pyfn("execute", job, "-a", "http")
    assert result.code == 0, result.output
    assert f"at {job}:2:1" in result.stdout and 'get("/services/x")' in result.stdout
    assert "adaptors/http" not in result.stdout and "adaptors/" not in result.output


def test_pyfns_own_frames_show_with_log_debug(pyfn, write):
    job = write("job.py", 'get("/services/x")\n')
    result = pyfn("execute", job, "-a", "http", "-l", "debug")
    assert "adaptors/http/urls.py" in result.output and f"at {job}:1:1" in result.output


def test_the_relative_url_hint_is_a_well_formed_url(pyfn, write):
    job = write("job.py", 'get("/services/x")\n')
    output = pyfn("execute", job, "-a", "http").stdout
    assert "like https://example.com/api/services/x" in output and "api//" not in output
