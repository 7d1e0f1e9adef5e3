"""A per-step time limit that holds even when a job loops forever or blocks.

On the main thread the limit is a ``SIGALRM`` timer: its handler raises inside
the job, which also interrupts blocking calls (``time.sleep``, a socket read).
It fires again every 250 ms, so a job that swallows the first one is hit
again. On other threads the exception is injected with
``PyThreadState_SetAsyncExc``. The exception derives from ``BaseException`` so
``except Exception`` in a job does not catch it.

Code stuck inside C that never returns to Python cannot be interrupted from
within the process: after a grace period ``on_stuck`` is called, and the edge
(the CLI, a worker) ends the process.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from runtime.errors import StepTimeoutError

__all__ = ["step_deadline"]

GRACE_SECONDS = 2.0
_REPEAT_SECONDS = 0.25


class _Expired(BaseException):
    """Raised inside a job whose step ran out of time."""


def _raise_expired(signum, frame):  # signal handler signature
    raise _Expired()


@contextmanager
def step_deadline(timeout_ms: int | None,
                  on_stuck: Callable[[StepTimeoutError], None] | None = None) -> Iterator[None]:
    """Run the ``with`` body under a limit of ``timeout_ms`` (0 or None: no limit)."""
    if not timeout_ms:
        yield
        return
    seconds = timeout_ms / 1000
    error = StepTimeoutError(f"Job took longer than {timeout_ms}ms to complete",
                             hint="Raise the limit with -t/--timeout (milliseconds), or find the "
                                  "loop or call in the job that does not return")
    disarm = _arm(seconds)
    watchdog = threading.Timer(seconds + GRACE_SECONDS, on_stuck, args=(error,)) if on_stuck else None
    if watchdog:
        watchdog.daemon = True
        watchdog.start()
    try:
        yield
    except _Expired:
        disarm()
        raise error from None
    finally:
        disarm()
        if watchdog:
            watchdog.cancel()


def _arm(seconds: float) -> Callable[[], None]:
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGALRM, _raise_expired)
        signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT_SECONDS)

        def disarm() -> None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return disarm
    return _arm_thread(threading.get_ident(), seconds)


def _arm_thread(thread_id: int, seconds: float) -> Callable[[], None]:
    done = threading.Event()
    lock = threading.Lock()

    fired = []  # ctypes is imported only when a deadline passes

    def inject() -> None:
        if done.wait(seconds):
            return
        import ctypes

        while True:
            with lock:
                if done.is_set():
                    return
                fired.append(True)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                                           ctypes.py_object(_Expired))
            done.wait(_REPEAT_SECONDS)

    injector = threading.Thread(target=inject, daemon=True, name="pyfn-step-deadline")
    injector.start()

    def disarm() -> None:
        with lock:
            if not done.is_set():
                done.set()
                if fired:  # an exception may still be pending in the thread: take it back
                    import ctypes

                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)
    return disarm
