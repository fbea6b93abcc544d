"""Process-wide settings that make a match faster, for the programs that own the process.

Two settings of the Python process cost a match time without buying it anything:

- **The cyclic garbage collector.** A match allocates many short-lived, acyclic objects
  (parsed cells, n-grams, explanation records), and every full pass of the collector
  walks every live object of the cohort.
- **NumPy's transparent-hugepage advice.** On Linux NumPy advises huge pages
  (``madvise(MADV_HUGEPAGE)``) for every array of 4 MiB and more. Where the kernel's THP
  ``defrag`` setting is ``madvise`` (a common default), each first touch of such an
  array may stall in direct memory compaction, and a match allocates score blocks of
  tens of MiB over and over. A user who sets NumPy's own ``NUMPY_MADVISE_HUGEPAGE``
  variable keeps her choice: the advice is then left as NumPy set it.

(``benchmarks/README.md`` has the measurements.)

:func:`process_settings` is opt-in: :func:`matching.match` changes no global state, and a
library caller or a server thread gets none of this. The programs that own their process
turn it on around a match: the ``marraine`` command and the service's run worker. Uses may
nest and overlap on threads: the first to start switches the settings, the last to finish
restores what the process had before.

NumPy has no public setter for the hugepage advice; :func:`process_settings` uses its
``numpy._core.multiarray._set_madvise_hugepage`` where it exists and changes nothing where
it does not.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HUGEPAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"
"""NumPy's documented switch for its hugepage advice (read once, at NumPy's import)."""


def _hugepage_switch() -> Callable[[bool], bool] | None:
    """NumPy's run-time setter of the hugepage advice (it returns the previous value),
    or None where this NumPy has none (then nothing is changed)."""
    try:
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - NumPy < 2 is below our lower bound
        return None
    switch: Callable[[bool], bool] | None = getattr(multiarray, "_set_madvise_hugepage", None)
    return switch


_lock = threading.Lock()
_running = 0  # blocks in progress
_gc_was_enabled = False
_hugepage_was: bool | None = None  # the advice before the first block, if we changed it


@contextmanager
def process_settings() -> Iterator[None]:
    """Pause the garbage collector and NumPy's hugepage advice for the length of the block
    (module docstring); restore both, as the process had them, when the last block ends."""
    global _running, _gc_was_enabled, _hugepage_was
    with _lock:
        if _running == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
            switch = _hugepage_switch()
            if switch is not None and HUGEPAGE_VARIABLE not in os.environ:
                _hugepage_was = switch(False)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                if _gc_was_enabled:
                    gc.enable()
                switch = _hugepage_switch()
                if switch is not None and _hugepage_was is not None:
                    switch(_hugepage_was)
                _hugepage_was = None
