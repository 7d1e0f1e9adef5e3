"""Adaptor names → the operations a job sees, as OpenFn's compiler adds the imports.

A job runs with ``common``'s operations plus its adaptor's on top. OpenFn
specifiers are accepted (``@openfn/language-http@7.2.0``, ``http@7``,
``language-http``); pyfn ships one version of each adaptor, so a version part
is noted and ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

import adaptors

from runtime.errors import AdaptorNotFound

__all__ = ["Adaptor", "resolve_adaptor", "link"]

_SPECIFIER = re.compile(r"^(?:@openfn/)?(?:language-)?(?P<name>[a-z0-9-]+?)(?:@(?P<version>[^@]+))?$")


@dataclass(frozen=True)
class Adaptor:
    """A resolved adaptor: its short name and the version the user asked for (ignored)."""

    name: str
    requested_version: str | None = None

    @property
    def module(self) -> ModuleType:
        return adaptors.load(self.name)


def resolve_adaptor(specifier: str | None) -> Adaptor:
    """``"@openfn/language-http@7.2.0"`` → ``Adaptor("http", "7.2.0")``; ``None`` → common."""
    if not specifier:
        return Adaptor("common")
    match = _SPECIFIER.match(specifier.strip())
    name = match.group("name") if match else specifier
    if name not in adaptors.ADAPTORS:
        known = ", ".join(sorted(adaptors.ADAPTORS))
        raise AdaptorNotFound(f"Unknown adaptor '{specifier}'",
                              hint=f"Use one of: {known} (OpenFn names such as "
                                   f"@openfn/language-http@7 work too)")
    return Adaptor(name, match.group("version"))


def public_names(module: ModuleType) -> dict[str, object]:
    """The names an adaptor module exports through ``__all__``."""
    return {name: getattr(module, name) for name in getattr(module, "__all__", ())}


def link(adaptor: Adaptor) -> dict[str, object]:
    """The job namespace: common's names and the ``collections`` namespace, then the adaptor's (which win a clash)."""
    namespace = public_names(adaptors.load("common"))
    namespace["collections"] = adaptors.load("collections").collections
    if adaptor.name != "common":
        namespace.update(public_names(adaptor.module))
    return namespace
