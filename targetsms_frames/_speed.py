"""Helpers that keep the bulk paths fast."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray


def _text_dtype() -> tuple[pd.StringDtype[Any], bool]:
    """The text dtype, and whether it is pandas 2.2's "pyarrow_numpy" (no storage literal)."""
    try:  # what dtype="str" means in pandas 3 (and 2.3)
        return pd.StringDtype("pyarrow", na_value=np.nan), False
    except TypeError:  # pandas 2.2: the same Arrow strings with NaN for missing, by its old name
        # By its alias: pandas 3 (and so its stubs) no longer knows this storage.
        dtype = pd.api.types.pandas_dtype("string[pyarrow_numpy]")
        assert isinstance(dtype, pd.StringDtype)
        return dtype, True


TEXT_DTYPE, _PANDAS_22 = _text_dtype()
# Before pandas 3, factorize hashes and compares object strings as C strings: texts equal
# up to a NUL character ("a\x001", "a\x002") shared one code.
_C_STRING_HASH = int(pd.__version__.split(".")[0]) < 3


def factorized(values: Any) -> tuple[np.ndarray, Any]:
    r"""``pd.factorize(values, use_na_sentinel=True)`` of texts, NUL characters included.

    A text with a NUL is never valid, but a problem row must show its own text (and
    keep its own id), so on pandas 2 such columns are coded by a dict instead.

    Example:
        >>> factorized(np.array(["a\x001", "a\x002", None], dtype=object))[0].tolist()
        [0, 1, -1]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if _C_STRING_HASH and any(type(v) is str and "\0" in v for v in values.tolist()):
        index: dict = {}
        codes = np.fromiter(
            (-1 if pd.isna(v) else index.setdefault(v, len(index)) for v in values.tolist()),
            dtype=np.intp,
            count=len(values),
        )
        found = np.array(list(index), dtype=object)
        uniques = pd.Index(found, dtype=object) if isinstance(uniques, pd.Index) else found
    return codes, uniques


_gc_lock = threading.Lock()
_gc_pauses = 0  # pauses in progress, in any thread
_gc_was_on = False  # whether the collector ran before the first of them


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects.

    The bulk paths (and the sandbox answering a document) create dicts, lists and
    strings without reference cycles; with the collector on, each generation-2 pass
    walks all of them again (and everything else the process keeps) and the cost grows
    with the square of the campaign. Reference counting still frees everything.
    The switch is process-wide, so pauses are counted: nested and concurrent ones (a
    send and the in-process sandbox answering it) end together, and the collector runs
    again after the last one only if it was on before the first.
    """
    global _gc_pauses, _gc_was_on
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_on = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_on:
                gc.enable()


def text_series(values: object, index: pd.Index) -> pd.Series:
    """An object array of str or None (or an Arrow array) as a pandas ``str`` Series.

    The same result as ``pd.Series(values, index=index, dtype=TEXT_DTYPE)`` ("str" on
    pandas 3), two to three times faster for a million long texts.
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        array = values.cast(pa.large_string())
    else:
        try:  # str and None only (the usual): no look at each value for a pandas NaN
            array = pa.array(values, pa.large_string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # NaN, pd.NA, NaT: missing too
            array = pa.array(values, pa.large_string(), from_pandas=True)
    return pd.Series(_text_array(array), index=index, copy=False)


def _text_array(array: pa.Array | pa.ChunkedArray) -> ExtensionArray:
    """Arrow text as a pandas extension array of :data:`TEXT_DTYPE`, without a copy."""
    if _PANDAS_22:
        # pandas 2.2 only: pandas 3 (and so its stubs) has no such class.
        from pandas.core.arrays.string_arrow import (  # type: ignore[attr-defined]
            ArrowStringArrayNumpySemantics,
        )

        return ArrowStringArrayNumpySemantics(array)
    # pandas-stubs leave out pandas 3's keyword-only ``dtype`` (the NaN-for-missing flavour).
    return pd.arrays.ArrowStringArray(array, dtype=TEXT_DTYPE)  # type: ignore[call-arg]
