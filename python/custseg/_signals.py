"""SIGTERM during a call (issue 18: nothing lost on failure). A scheduler
stops a job with SIGTERM; Python's default action ends the process at once,
and the core's spill files would stay on disk. While a core call runs in the
main thread of a process whose SIGTERM handler is still the default, a
handler turns the signal into an exception: the core sees it at its next
check (every 50 ms), cancels the run and removes its spill folder; then the
default is put back and the signal sent again, so the process still ends by
SIGTERM as it would have, a few milliseconds later and with nothing left
behind. A program with its own handler (the CLI has one) is left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator


class _Terminated(BaseException):
    """SIGTERM, raised inside the core's wait to cancel the run."""


def _raise(signum: int, frame: object) -> None:
    raise _Terminated


@contextlib.contextmanager
def sigterm_cleans_up() -> Iterator[None]:
    """Runs a core call so that SIGTERM removes its spill files first (module docs)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)  # ends the process, as the default would have
        raise  # only if the signal is blocked
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
