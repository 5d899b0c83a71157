"""Helpers that keep the bulk paths fast."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building millions of small objects.

    The bulk paths create dicts, lists and strings without reference cycles; with the
    collector on, each generation-2 pass walks all of them again and the cost grows
    with the square of the campaign. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
