"""The garbage collector held off while the sandbox answers a document.

Reading a document of a thousand blocks makes some thousands of dicts and lists that
live until the answer is sent. With the collector on, each one is scanned as it ages
and moved to the oldest generation, whose growth then sets off full collections that
walk everything the sandbox keeps (its accounts, messages, charges): a fifth of the
work of answering a campaign's document. None of these objects is in a cycle (a
document is a tree, the books are freed by reference counting), so nothing is lost by
collecting only when no document is being answered. Process-wide, hence counted: the
collector runs again when the last answer in progress is done, and only if it was on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holding = 0  # answers in progress
_was_on = False  # whether the collector ran before the first of them


@contextmanager
def held() -> Iterator[None]:
    """No automatic collection inside (nested and concurrent uses are counted)."""
    global _holding, _was_on
    with _lock:
        if _holding == 0:
            _was_on = gc.isenabled()
            gc.disable()
        _holding += 1
    try:
        yield
    finally:
        with _lock:
            _holding -= 1
            if _holding == 0 and _was_on:
                gc.enable()
