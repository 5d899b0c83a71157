"""Arrow kernels made safe on every pyarrow the package supports.

pyarrow 15 to 17 at least (the floor is 15) give wrong values from ``if_else`` on a
string array that is a slice (its offset not 0): ``if_else(cond, null, column[1:])``
returns NUL bytes for some rows. Plans are made a slice at a time, so every ``if_else``
in the package goes through here, with sliced inputs copied to an offset of 0 first.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc


def _unsliced(value):
    if isinstance(value, pa.Array) and value.offset:
        return pa.concat_arrays([value])  # a copy starting at offset 0
    if isinstance(value, pa.ChunkedArray) and any(chunk.offset for chunk in value.chunks):
        return pa.chunked_array([_unsliced(chunk) for chunk in value.chunks], value.type)
    return value


def if_else(condition, left, right):
    """``pc.if_else`` with sliced arrays copied first (see the module docstring).

    Example:
        >>> column = pa.array(["0", "1", "2", "1"], pa.large_string()).slice(1)
        >>> if_else(pc.equal(column, "0"), pa.scalar(None, column.type), column).to_pylist()
        ['1', '2', '1']
    """
    return pc.if_else(_unsliced(condition), _unsliced(left), _unsliced(right))
