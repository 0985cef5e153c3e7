"""Keep the kiosk's resident memory flat over a day at the counter.

glibc serves large allocations with mmap and gives them back on free, but the first time a
large mmap'd block is freed it raises that threshold to the block's size (up to 32 MiB) and
lets up to twice as much free memory sit at the top of the heap. One scrypt PIN check
(16 MiB) or NFIQ 2's model load is enough: from then on camera frames and other temporaries
come from the heap and what is freed is kept, ~30 MB more in the UI process. Pinning the
threshold keeps large blocks mmap'd, so they return to the kernel when freed; what a
traveller's capture left free inside the heap is handed back after each registration.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # <malloc.h>


def pin_mmap_threshold(size: int = 256 * 1024) -> None:
    """Blocks of `size` bytes or more are mmap'd, now and later (glibc only; else nothing)."""
    libc = _glibc()
    if libc is not None and not libc.mallopt(M_MMAP_THRESHOLD, size):
        log.debug("mallopt refused the mmap threshold %d", size)


def release_free_heap() -> None:
    """Give the pages free inside the heap back to the kernel (a few ms; not on the loop)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc() -> ctypes.CDLL | None:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None)
    except OSError as exc:
        log.debug("C library not loadable: %s", exc)
        return None
