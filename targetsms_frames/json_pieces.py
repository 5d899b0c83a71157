"""JSON pieces of the documents' bytes, made in Arrow kernels (see encoding.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from . import fields as F
from .template_data import FIELD as TEMPLATE_DATA
from .template_data import as_object

BYTES = pa.large_binary()
_LARGE_STRING = pa.large_string()
_WIDE = (_LARGE_STRING, BYTES)  # 64-bit offsets
_smallest = np.minimum.reduce
_ESCAPED = r'["\\\x00-\x1f]'  # what json.dumps escapes (with ensure_ascii=False)
_TEMPLATE_DATA = F.MESSAGE_FIELDS.index(TEMPLATE_DATA)


def as_bytes(values: pa.Array) -> pa.Array:
    """Texts as ``BYTES`` (large_binary): a large_string is viewed as such, no copy and
    no check (its layout is the same; Arrow's cast checks, at several µs a call)."""
    if values.type == BYTES:
        return values
    if values.type == _LARGE_STRING:
        return values.view(BYTES)
    return values.cast(BYTES)


def lit(value: bytes) -> pa.Scalar:
    """Bytes as an Arrow scalar, to join with arrays."""
    return pa.scalar(value, BYTES)


def json_strings(values: pa.Array, before: bytes = b"", after: bytes = b"") -> pa.Array:
    """Each text as a JSON string literal, exactly as ``json.dumps(ensure_ascii=False)``,
    between ``before`` and ``after``; nulls stay null.

    Example:
        >>> json_strings(pa.array(['Hi', 'a"b', None])).to_pylist()
        [b'"Hi"', b'"a\\\\"b"', None]
    """
    text = values.cast(pa.large_string())
    if not escapes(text):  # the common case: one pass in C
        return pc.binary_join_element_wise(
            lit(before + b'"'), as_bytes(text), lit(b'"' + after), lit(b"")
        )
    escaped = pc.match_substring_regex(text, _ESCAPED).fill_null(False).to_numpy(False)
    out = [
        None
        if value is None
        else before
        + (json.dumps(value, ensure_ascii=False).encode() if bad else f'"{value}"'.encode())
        + after
        for value, bad in zip(text.to_pylist(), escaped.tolist(), strict=True)
    ]
    return pa.array(out, BYTES)


def escapes(text: pa.Array) -> bool:
    """Whether any byte of the array's data may need a JSON escape (one pass in C)."""
    _, offset_buffer, data = text.buffers()
    n = len(text)
    if data is None or not n:
        return False
    # Only the bytes of the array's own values: it may be a slice of a bigger one.
    ends = np.frombuffer(offset_buffer, dtype=np.int64 if text.type in _WIDE else np.int32)
    start, end = int(ends[text.offset]), int(ends[text.offset + n])
    if start == end:
        return False
    own = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    # A byte below 0x20 (the smallest, vectorised), or a quote or backslash (memchr).
    if _smallest(own) < 0x20:
        return True
    raw = own.tobytes()
    return b'"' in raw or b"\\" in raw


def pieces(field: str, values: pa.Array) -> pa.Array:
    """``"field":value,`` for each text (null stays null)."""
    if field == TEMPLATE_DATA:  # sent as a JSON object, not as its text
        encoded = pa.array(
            [
                None
                if v is None
                else json.dumps(as_object(v), ensure_ascii=False, separators=(",", ":")).encode()
                for v in values.to_pylist()
            ],
            BYTES,
        )
    else:
        return json_strings(values, json.dumps(field).encode() + b":", b",")
    key = lit(json.dumps(field, ensure_ascii=False).encode() + b":")
    return pc.binary_join_element_wise(key, encoded, lit(b","), lit(b""))


def join(*parts) -> pa.Array:
    """The parts joined row by row, nulls skipped. (A literal among them is needed: with
    arrays alone, Arrow drops a row whose parts are all null.)"""
    return pc.binary_join_element_wise(*parts, lit(b""), lit(b""), null_handling="skip")


def taken(array: pa.Array, codes: np.ndarray) -> pa.Array:
    """``array[codes]``, null where a code is -1."""
    return array.take(pa.array(codes, pa.int64(), mask=codes < 0))


def text(values) -> pa.Array:
    """Distinct values or a plan column as Arrow text, without making Python strs."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        array = pa.array(np.asarray(values, dtype=object), pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def raw(field: int, values: pa.Array, kept: np.ndarray) -> pa.Array:
    """A personal text's values as posted between the glue's quotes (``templateData``:
    its JSON object); null where the block has none."""
    if field == _TEMPLATE_DATA:
        texts = values.to_pylist()
        return pa.array(
            [
                json.dumps(as_object(v), ensure_ascii=False, separators=(",", ":")).encode()
                if k
                else None
                for v, k in zip(texts, kept.tolist(), strict=True)
            ],
            BYTES,
        )
    if not escapes(values):  # the common case: the text's own bytes
        return as_bytes(values)
    return pa.array(
        [
            json.dumps(v, ensure_ascii=False)[1:-1].encode() if k else None
            for v, k in zip(values.to_pylist(), kept.tolist(), strict=True)
        ],
        BYTES,
    )


def column(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A plan column as Arrow text without a copy where pandas keeps it in Arrow."""
    array = series.array
    if isinstance(array, ArrowStringArray):
        values = array.__arrow_array__()  # pandas' own Arrow data (no copy)
        return values if values.type == pa.large_string() else values.cast(pa.large_string())
    return text(series)
