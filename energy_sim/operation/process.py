"""Settings of the Monte Carlo commands' own process (dispatch, assess, stress, sweep): freed
memory kept for the next chunk, and idle worker threads that sleep instead of spinning. Neither
changes a number; both are process-wide, so only the command line calls them, for its own
process (:func:`tune_process`, from :mod:`energy_sim.cli`); the library never does.

- :func:`keep_freed_memory` (glibc only). The core allocates and frees arrays of ~100 MB a
  chunk (the (sample, time, group) availability, the cells' generation). glibc's ``malloc``
  maps every block above ``M_MMAP_THRESHOLD`` (at most 32 MB) with ``mmap`` and unmaps it on
  ``free``, so each chunk faults all its pages in again and the kernel zeroes them: in the
  1,000-sample ``assess`` of the 2030 plan, 1.56 million page faults and 4-6 s of system time
  (about a tenth of the CPU). Large blocks are served from the heap (``M_MMAP_MAX = 0``) and
  freed heap is not given back below :data:`TRIM_BYTES` (``M_TRIM_THRESHOLD``), so the next
  chunk reuses pages already mapped; peak memory stays that of the largest chunk. One arena
  (``M_ARENA_MAX = 1``) for every thread: ``assess`` operates two chunks at once in threads,
  and glibc gives a second thread an arena of its own, which maps its large blocks anyway
  (measured: 4.5 s of system time instead of 1.0 s, 25.9 s wall instead of 24.1 s).
- :func:`passive_threads`. numba's OpenMP threading layer (GNU libgomp) keeps its worker
  threads spinning after every parallel kernel (``OMP_WAIT_POLICY`` unset: busy-wait), on the
  two cores the Python thread between kernels needs. ``OMP_WAIT_POLICY=PASSIVE`` puts them to
  sleep: the 1,000-sample ``assess`` took 39-41 s of CPU instead of 70-73 s on a machine
  shared with another job (and 42 s wall instead of 71-74 s).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

#: ``mallopt`` parameters of glibc's ``<malloc.h>``.
M_TRIM_THRESHOLD = -1
M_ARENA_MAX = -8
M_MMAP_MAX = -4
#: Freed memory at the top of the heap is returned to the system only above this (the
#: largest value ``mallopt`` takes, an ``int``).
TRIM_BYTES = 2**31 - 1

_kept = False


def keep_freed_memory() -> bool:
    """Set ``M_MMAP_MAX = 0``, ``M_TRIM_THRESHOLD =`` :data:`TRIM_BYTES` and ``M_ARENA_MAX = 1``
    in glibc's allocator (once per process). Returns True if the first two are set, False
    where there is no glibc ``mallopt`` (macOS, Windows, musl): nothing changes there."""
    global _kept
    if _kept:
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
    _kept = bool(mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)) and bool(mallopt(M_MMAP_MAX, 0))
    # one arena: a chunk operated in another thread (assess's threads) would otherwise get an
    # arena of its own, whose blocks are mapped and unmapped as before
    mallopt(M_ARENA_MAX, 1)
    return _kept


def passive_threads() -> bool:
    """``OMP_WAIT_POLICY=PASSIVE`` unless the user set a policy. It takes effect only if
    numba has not started its threading layer yet (libgomp reads it when loaded, at the first
    parallel kernel or ``numba.get_num_threads()``); returns True if this call set it."""
    if "OMP_WAIT_POLICY" in os.environ:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True


def tune_process() -> None:
    """Both settings above, for the command line's own process; call it before any kernel."""
    keep_freed_memory()
    passive_threads()
