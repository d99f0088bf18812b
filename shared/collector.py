"""Pausing Python's cyclic garbage collector around a bounded piece of work whose objects
all live until it ends (a big batch, a disclosure-controlled report)."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(when: bool = True) -> Iterator[None]:
    """Pause the cyclic collector for the block (``when`` is False: leave it running).

    While such work runs, generational collections only traverse its live objects, and a
    full collection traverses the whole heap of the process (a hundred milliseconds and
    more for a service process): time spent for nothing. Reference counting still frees
    what is dropped. A pause inside another leaves the collector to the outer one. The
    pause is process-wide, so it suits work of bounded size and duration only.
    """
    if not when or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
