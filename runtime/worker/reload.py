"""Live reload for ``pyfn serve`` and ``pyfn worker``: watch the project, reload it when its files change.

A thread watches (``watchfiles``, not recursively: a virtualenv in the project
costs nothing) the project folder, its ``workflows/`` and ``jobs/`` and the
folder of every file the served workflows were loaded from (a credential map
outside the project too). A change to one of those files, or to any ``.py``,
``.yaml``, ``.yml`` or ``.json`` file in those folders (a new job a fixed
workflow names), reloads the project through :meth:`runtime.workflow.live.LiveProject.reload`: the same
validation as at start-up, then one atomic swap. Runs already running keep
the version they started with; runs claimed afterwards — new deliveries,
cron firings, retries, manual or automatic — run the new one. An invalid
change keeps the previous version serving; every problem is logged, one line
each with its file and line, and shown on ``GET /health`` and the run page.

Example::

    live = LiveProject(load_project(root))
    watcher = Watcher(live, log)
    live.status.watching = True
    watcher.start()          # edits of root/workflows, root/jobs… are reloaded from now on
    watcher.stop()
"""

from __future__ import annotations

import threading
from pathlib import Path

from runtime import defaults
from runtime.logger import Logger
from runtime.worker.settings import WorkerSettings
from runtime.workflow.live import LiveProject, Reloaded

__all__ = ["Watcher", "report", "watch"]

_SUFFIXES = (".py", ".yaml", ".yml", ".json")
_SKIPPED = ("state", "__pycache__")  # the store's folder; compiled files


def report(result: Reloaded, log: Logger) -> None:
    """Log what a reload did: each workflow whose version changed, or each problem of a refused change.

    Example:
        >>> from runtime.logger import Logger, LogSink
        >>> import sys
        >>> report(Reloaded(False, ["workflows/a.yaml:3: unknown key 'stpes'"]), Logger("SRV", "default", LogSink(sys.stdout)))
        [SRV] ✘ reload refused: 1 problem, still serving the previous version
        [SRV] ✘ reload: workflows/a.yaml:3: unknown key 'stpes'
    """
    if result.problems:
        count = len(result.problems)
        log.error(f"reload refused: {count} problem{'s' if count > 1 else ''}, still serving the previous version")
        for problem in result.problems:
            log.error(f"reload: {problem}")
        return
    for name, (old, new) in result.changed.items():
        if old is None:
            log.success(f"reloaded: workflow {name} added (version {new})")
        elif new is None:
            log.success(f"reloaded: workflow {name} removed (was version {old})")
        else:
            log.success(f"reloaded: workflow {name} version {old} -> {new}")
    if result.swapped and not result.changed:
        log.success("reloaded: credentials changed (versions unchanged)")


class Watcher:
    """The watching thread of one process (see the module docstring)."""

    def __init__(self, live: LiveProject, log: Logger, debounce_ms: int = defaults.RELOAD_DEBOUNCE_MS):
        self.live, self.log, self.debounce_ms = live, log, debounce_ms
        self.root = live.project.root.resolve()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pyfn-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def apply(self) -> Reloaded:
        """Reload now and log what happened (the watching thread calls it on each change)."""
        result = self.live.reload()
        report(result, self.log)
        return result

    def _files(self) -> set[str]:
        return {path for snap in self.live.project.snapshots.values() for path in snap.paths}

    def _folders(self) -> list[Path]:
        """The project folder, its workflows/ and jobs/, and the folder of each file the workflows read."""
        folders = {self.root / name for name in ("workflows", "jobs")} | {Path(p).parent for p in self._files()}
        return [self.root, *sorted(folder for folder in folders - {self.root} if folder.is_dir())]

    def relevant(self, change: object, path: str) -> bool:
        """Whether a changed ``path`` may change the project (``watchfiles``' filter)."""
        if path in self._files():
            return True
        try:
            parts = Path(path).relative_to(self.root).parts
        except ValueError:
            return False
        if not parts or any(part.startswith(".") or part in _SKIPPED for part in parts):
            return False
        return path.endswith(_SUFFIXES)

    def _loop(self) -> None:
        import watchfiles

        while not self._stop.is_set():
            folders = self._folders()
            try:
                for _changes in watchfiles.watch(*folders, watch_filter=self.relevant, debounce=self.debounce_ms,
                                                 stop_event=self._stop, raise_interrupt=False, recursive=False):
                    self.apply()
                    if self._folders() != folders:
                        break  # a credential file elsewhere now: watch its folder too
            except Exception as exc:  # noqa: BLE001 - a watching failure must not stop the server
                self.log.error(f"live reload stopped watching: {type(exc).__name__}: {exc}")
                return


def watch(live: LiveProject, settings: WorkerSettings, log: Logger) -> Watcher | None:
    """Start watching ``live``'s project, unless ``settings.reload`` is off (``--no-reload``); the watcher.

    Example::

        watcher = watch(live, WorkerSettings(reload=True), log)   # after every on_swap listener is added
        ...
        if watcher:
            watcher.stop()
    """
    if not settings.reload:
        log.always("live reload is off (--no-reload): the workflows loaded now are served until a restart")
        return None
    watcher = Watcher(live, log)
    live.status.watching = True
    watcher.start()
    return watcher
