"""``pyfn init DIR``: scaffold a project with a job, a workflow, a state file and a passing test."""

from __future__ import annotations

from pathlib import Path

from runtime.cli.origin import pyfn_requirement, reachable_elsewhere
from runtime.errors import UsageError
from runtime.logger import create_loggers
from runtime.report import log_error

__all__ = ["run_init", "TEMPLATE"]

TEMPLATE = Path(__file__).parent / "templates" / "project"
_RENAMED = {"gitignore": ".gitignore"}  # dot-files that packaging tools would otherwise drop


def _targets(folder: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for source in sorted(TEMPLATE.rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            relative = source.relative_to(TEMPLATE)
            relative = relative.with_name(_RENAMED.get(relative.name, relative.name))
            pairs.append((source, folder / relative))
    return pairs


def run_init(folder: Path, force: bool = False) -> int:
    """Write the project files into ``folder``; return the exit code."""
    log = create_loggers().cli
    pairs = _targets(folder)
    existing = [str(target.relative_to(folder)) for _, target in pairs if target.exists()]
    if existing and not force:
        log_error(log, UsageError(f"{folder} already has {', '.join(existing)}",
                                  hint="Choose an empty folder, or pass --force to overwrite them"))
        return 2
    requirement = pyfn_requirement()
    values = {"{{ name }}": folder.resolve().name, "{{ pyfn_requirement }}": requirement}
    for source, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        target.write_text(text, encoding="utf-8")
    log.success(f"Created a pyfn project in {folder} ({len(pairs)} files)")
    if not reachable_elsewhere(requirement):
        log.warn(f"requirements.txt installs pyfn from this machine ({requirement.split(' @ ')[1]}): "
                 "for CI, replace that line with a source CI can reach (a package index, a git URL)")
    log.always("Next: cd into it, then 'pytest' runs its tests and 'pyfn execute "
               "workflows/registrations.yaml -s state/registration.json' runs the workflow")
    return 0
