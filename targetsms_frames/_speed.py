"""Helpers that keep the bulk paths fast."""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa

try:  # what dtype="str" means in pandas 3 (and 2.3)
    TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
except TypeError:  # pandas 2.2: the same Arrow strings with NaN for missing, by its old name
    TEXT_DTYPE = pd.StringDtype("pyarrow_numpy")


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


def text_series(values, index) -> pd.Series:
    """An object array of str or None (or an Arrow array) as a pandas ``str`` Series.

    The same result as ``pd.Series(values, index=index, dtype="str")``, two to three
    times faster for a million long texts.
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        array = values.cast(pa.large_string())
    else:
        array = pa.array(values, pa.large_string(), from_pandas=True)
    return pd.Series(_text_array(array), index=index, copy=False)


def _text_array(array: pa.Array | pa.ChunkedArray):
    """Arrow text as a pandas extension array of :data:`TEXT_DTYPE`, without a copy."""
    if TEXT_DTYPE.storage == "pyarrow_numpy":  # pandas 2.2
        from pandas.core.arrays.string_arrow import ArrowStringArrayNumpySemantics

        return ArrowStringArrayNumpySemantics(array)
    return pd.arrays.ArrowStringArray(array, dtype=TEXT_DTYPE)
