"""Every public name of the simulator has a docstring with an example (pytest runs the examples)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import hq_simulator as package

MODULES = sorted(info.name.removeprefix("hq_simulator.") for info in pkgutil.walk_packages(package.__path__, "hq_simulator.")
                 if not info.name.endswith("__main__"))


def _public(module) -> list[tuple[str, object]]:
    found = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if callable(obj):
            found.append((name, obj))
        if inspect.isclass(obj):
            found += [(f"{name}.{attr}", value) for attr, value in vars(obj).items()
                      if not attr.startswith("_") and (callable(value) or isinstance(value, property))]
    return found


@pytest.mark.parametrize("name", MODULES)
def test_public_names_have_examples(name):
    module = importlib.import_module(f"hq_simulator.{name}")
    assert "Example" in (module.__doc__ or ""), f"module {name}"
    missing = [label for label, obj in _public(module) if "Example" not in (obj.__doc__ or "")]
    assert not missing


def test_package_exports_are_sorted_and_complete():
    assert package.__all__ == sorted(package.__all__)
    assert {"CommCareSimulator", "DEFAULT_DOMAIN", "DEFAULT_USERNAME", "DEFAULT_PASSWORD", "DEFAULT_API_KEY",
            "DEFAULT_APP_ID"} == set(package.__all__)
