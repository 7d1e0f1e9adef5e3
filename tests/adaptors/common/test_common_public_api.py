"""The public surface: __all__, docstrings, lazy imports."""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import adaptors.common as common

OPERATIONS = [
    "fn", "fn_if", "each", "field", "fields", "data_value", "data_path", "source_value", "source",
    "last_reference_value", "merge", "join", "group", "combine", "chunk", "array_to_string", "to_array",
    "map", "as_", "cursor", "assert_", "log", "debug", "parse_csv", "validate", "human_proper",
    "split_keys", "scrub_emojis", "compose_next_state", "expand_references", "json_value",
    "reference_path", "index", "as_data", "alter_state", "execute",
]


def test_all_is_sorted_complete_and_resolvable():
    assert common.__all__ == sorted(common.__all__)
    assert set(OPERATIONS) | {"date_fns", "util"} == set(common.__all__)
    for name in common.__all__:
        assert getattr(common, name) is not None


def test_every_public_function_documents_args_and_an_example():
    for name in OPERATIONS:
        doc = inspect.getdoc(getattr(common, name))
        assert doc and doc.splitlines()[0].strip(), name
        assert "Example:" in doc, name
        if inspect.signature(getattr(common, name)).parameters:
            assert "Args:" in doc, name


def test_namespaces_are_documented_modules():
    for namespace in (common.date_fns, common.util):
        assert isinstance(namespace, types.ModuleType)
        assert "Example:" in namespace.__doc__
        for name in namespace.__all__:
            assert "Example:" in inspect.getdoc(getattr(namespace, name)), name


def test_divergences_are_documented_under_the_heading():
    for name in ("map", "reference_path", "chunk", "validate", "group"):
        assert "Differences from OpenFn:" in inspect.getdoc(getattr(common, name)), name


def test_importing_common_loads_no_heavy_dependencies():
    code = (
        "import sys, adaptors.common; "
        "heavy = [m for m in ('jsonpath_ng', 'jsonschema', 'requests', 'csv', 'uuid', 'inspect') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == ""
