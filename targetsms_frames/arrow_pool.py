"""The Arrow memory pool the bulk paths allocate from.

pyarrow's default pool (mimalloc) hands the pages of a freed large buffer back to the
system, so the next slice's buffers of the same size are faulted in and zeroed again:
at a million rows that is about as much system time as plan's own work. The system
allocator (glibc) keeps such memory for reuse. Buffers remember the pool they came
from, so arrays made here are freed correctly whatever the default is afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

_lock = threading.Lock()
_depth = 0  # nested or concurrent users of the switched pool
_previous: pa.MemoryPool | None = None


def _switchable() -> bool:
    """Whether the default pool is pyarrow's own choice (mimalloc), not the user's."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False  # the user chose a pool: keep it
    return pa.default_memory_pool().backend_name == "mimalloc"


@contextmanager
def system_pool() -> Iterator[None]:
    """Allocate Arrow buffers from the system pool while inside (when the default is mimalloc).

    Nested and concurrent uses share one switch; the last to leave restores the pool.
    A pool the user set (``pa.set_memory_pool`` or ``ARROW_DEFAULT_MEMORY_POOL``) is kept.
    """
    global _depth, _previous
    with _lock:
        if _depth == 0:
            _previous = pa.default_memory_pool() if _switchable() else None
            if _previous is not None:
                pa.set_memory_pool(pa.system_memory_pool())
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _previous is not None:
                pa.set_memory_pool(_previous)
                _previous = None
