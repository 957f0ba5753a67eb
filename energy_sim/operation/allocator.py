"""Keep freed memory in the process for the next chunk (glibc only): the Monte Carlo commands'
allocator setting.

The core allocates and frees arrays of ~100 MB a chunk (the (sample, time, group)
availability, the cells' generation). glibc's ``malloc`` maps every block above
``M_MMAP_THRESHOLD`` (at most 32 MB) with ``mmap`` and unmaps it on ``free``, so each chunk
faults all its pages in again and the kernel zeroes them: in the 1,000-sample ``assess`` of
the 2030 plan, 1.56 million page faults and 4-6 s of system time (about a tenth of the CPU).
:func:`keep_freed_memory` serves large blocks from the heap (``M_MMAP_MAX = 0``) and never
gives freed heap back to the system below :data:`TRIM_BYTES` (``M_TRIM_THRESHOLD``), so the
next chunk reuses pages that are already mapped. No number changes; peak memory stays that of
the largest chunk (the heap is reused, not grown).

A process-wide setting, so only the command line calls it, for its own process
(:mod:`energy_sim.cli.operation`); the library never does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: ``mallopt`` parameters of glibc's ``<malloc.h>``.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
#: Freed memory at the top of the heap is returned to the system only above this (the
#: largest value ``mallopt`` takes, an ``int``).
TRIM_BYTES = 2**31 - 1

_done = False


def keep_freed_memory() -> bool:
    """Set ``M_MMAP_MAX = 0`` and ``M_TRIM_THRESHOLD =`` :data:`TRIM_BYTES` in glibc's
    allocator (once per process). Returns True if set, False where there is no glibc
    ``mallopt`` (macOS, Windows, musl): nothing changes there."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; set the trim threshold first, so that a failure of the
    # second leaves large blocks mapped as before and freed heap merely kept longer
    _done = bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(mallopt(M_MMAP_MAX, 0))
    return _done
