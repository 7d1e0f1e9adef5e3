"""The PostgreSQL schema, one module per version: ``vNNNN_name.py`` with a ``SQL`` string.

Migrations are applied in version order by :mod:`runtime.store.migrate`, each in
its own transaction, and never edited once released: a change of schema is a
new module with the next number. (They are Python modules rather than ``.sql``
files so they ship inside the package with no package-data rule.)

Example:
    >>> [(m.version, m.name) for m in load()][:1]
    [(1, 'initial')]
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

__all__ = ["Migration", "load"]


@dataclass(frozen=True)
class Migration:
    """One schema version: its number, its name and the SQL that makes it.

    Example:
        >>> Migration(2, "cron", "CREATE TABLE x ()").version
        2
    """

    version: int
    name: str
    sql: str


def load() -> list[Migration]:
    """Every migration of this package, in version order (two modules with one number is an error)."""
    found: dict[int, Migration] = {}
    for info in pkgutil.iter_modules(__path__):
        head, _, name = info.name.partition("_")
        if not (head.startswith("v") and head[1:].isdigit()):
            continue
        version = int(head[1:])
        if version in found:
            raise ValueError(f"two migrations numbered {version}: {found[version].name} and {name}")
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[version] = Migration(version, name, module.SQL)
    return [found[v] for v in sorted(found)]
