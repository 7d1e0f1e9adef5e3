"""``pyfn collections ...``: typed options and help; the work happens in ``runtime.cli.collections``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "collections_app"]

PROJECT = typer.Option(Path("."), "--project", "-p", help="The project folder (its state/pyfn.db). Default: here.")
DB = typer.Option(None, "--db", envvar="PYFN_DB",
                  help="The run store: a SQLite file or a postgresql:// URL. Default: PROJECT/state/pyfn.db.")
NAME = typer.Argument(..., help="The collection's name.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write the JSON lines to this file instead of stdout.")

collections_app = typer.Typer(help="The key/value collections a project's runs share (JSON lines in and out).",
                              no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def _run(project: Path, db: Optional[str], action: str, name: Optional[str] = None, **args) -> None:
    from runtime.cli.collections import collections_command

    raise typer.Exit(collections_command(project, db, action, name, **args))


@collections_app.command("list")
def list_(project: Path = PROJECT, db: Optional[str] = DB,
          as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the collections with their item counts.  Example: pyfn collections list"""
    _run(project, db, "list", as_json=as_json)


@collections_app.command()
def create(name: str = NAME, project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Create an empty collection (jobs fail on a missing one).  Example: pyfn collections create crm-ids"""
    _run(project, db, "create", name)


@collections_app.command()
def delete(name: str = NAME, project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Delete a collection and every item in it.  Example: pyfn collections delete crm-ids"""
    _run(project, db, "delete", name)


@collections_app.command()
def get(name: str = NAME, key: str = typer.Argument("*", help="A key, or a pattern (* matches anything)."),
        created_after: Optional[str] = typer.Option(None, help="ISO 8601 date or time."),
        created_before: Optional[str] = typer.Option(None, help="ISO 8601 date or time."),
        updated_after: Optional[str] = typer.Option(None, help="ISO 8601 date or time."),
        updated_before: Optional[str] = typer.Option(None, help="ISO 8601 date or time."),
        limit: Optional[int] = typer.Option(None, min=1, help="At most this many items."),
        cursor: Optional[str] = typer.Option(None, help="Start after the cursor a previous get gave."),
        output: Optional[Path] = OUTPUT, project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Print matching items as JSON lines {"key", "value"}; a missing exact key exits 1.

    Example: pyfn collections get crm-ids 'case-*' --created-after 2024-05-01
    """
    query = {"key": key, "created_after": created_after, "created_before": created_before,
             "updated_after": updated_after, "updated_before": updated_before, "limit": limit, "cursor": cursor}
    _run(project, db, "get", name, query=query, output=output)


@collections_app.command("set")
def set_(name: str = NAME, key: str = typer.Argument(..., help="The key."),
         value: str = typer.Argument(..., help="The value as JSON (text that is not JSON is stored as a string)."),
         project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Set one key.  Example: pyfn collections set crm-ids case-1 '{"crm_id": 7}'"""
    _run(project, db, "set", name, key=key, value=value)


@collections_app.command()
def remove(name: str = NAME, pattern: str = typer.Argument(..., help="A key, or a pattern (* matches anything)."),
           project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Remove one key or every key matching a pattern.  Example: pyfn collections remove crm-ids 'test-*'"""
    _run(project, db, "remove", name, pattern=pattern)


@collections_app.command("import")
def import_(name: str = NAME, source: str = typer.Argument(..., help="A JSON lines file ({\"key\", \"value\"} "
                                                                    "per line), a JSON {key: value} file, or -."),
            project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Upsert items from JSON lines, 1000 per transaction.  Example: pyfn collections import facilities f.jsonl"""
    _run(project, db, "import", name, source=source)


@collections_app.command()
def export(name: str = NAME, pattern: str = typer.Argument("*", help="Only keys matching this pattern."),
           output: Optional[Path] = OUTPUT, project: Path = PROJECT, db: Optional[str] = DB) -> None:
    """Print every item as JSON lines, streaming.  Example: pyfn collections export facilities -o f.jsonl"""
    _run(project, db, "export", name, pattern=pattern, output=output)


def register(app: typer.Typer) -> None:
    """Add ``collections`` to ``app``."""
    app.add_typer(collections_app, name="collections")
