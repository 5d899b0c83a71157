"""Keep the C heap's big blocks for reuse while planning (glibc's malloc).

glibc serves a block above its mmap threshold (128 KiB at first) with fresh pages from
the system, faulted in and zeroed on first touch, and returns them when it is freed;
the threshold rises to the size of the first such block freed (up to 32 MiB). A plan's
slices allocate and free Arrow buffers of a few MiB each (with the system pool, see
arrow_pool.py): until the threshold has risen, each is fresh pages again. One block
freed at the start raises it, so they come from the heap and are reused. With another
allocator this is one allocation and its release.
"""

from __future__ import annotations

import pyarrow as pa

_BLOCK = 31 << 20  # below glibc's ceiling for the threshold (32 MiB on 64-bit systems)


def keep_big_blocks() -> None:
    """Allocate and free one big block from the system pool (see the module's docstring)."""
    block = pa.allocate_buffer(_BLOCK, memory_pool=pa.system_memory_pool())
    del block  # never written: its pages are never faulted in
