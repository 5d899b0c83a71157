"""Plan → the posted bytes of each send document, column-wise, without a dict per phone.

The same documents as :func:`targetsms_frames.documents.documents` (same blocks, same
order), as the exact bytes ``json.dumps(document, ensure_ascii=False,
separators=(",", ":"))`` would give, made in Arrow kernels: each field's distinct
values are encoded once (``"key":value,``), the per-row values (personal texts,
phones, client ids) are quoted in bulk, and a document is one slice of the
concatenated rows between ``{"message":[`` and ``]}``. A text that needs a JSON
escape (a quote, a backslash, a control character) is encoded by ``json.dumps``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import is_string_dtype

from . import fields as F
from .documents import DEFAULT_MAX_PHONES, Layout, build_documents, plan_layout
from .template_data import FIELD as TEMPLATE_DATA
from .template_data import as_object

_BYTES = pa.large_binary()
_ESCAPED = r'["\\\x00-\x1f]'  # what json.dumps escapes (with ensure_ascii=False)
# Every byte but those json.dumps escapes: deleting them leaves only what needs care.
_PLAIN = bytes(c for c in range(256) if c >= 0x20 and c not in b'"\\')
_FEW = 1024  # a field with at most this many distinct values is encoded once per value
_BATCH = 8  # documents encoded together: the first is posted soon, intermediates stay small
_HEAD, _TAIL = b'{"message":[', b"]}"
_TEXT_COLUMNS = ("phone", "client_id_message", *F.MESSAGE_FIELDS)


def _lit(value: bytes) -> pa.Scalar:
    return pa.scalar(value, _BYTES)


class Encoded(NamedTuple):
    """One send document, ready to post (credentials are spliced in by the client).

    ``parts``: its JSON bytes in pieces (``payload`` joins them); ``rows``: the plan
    positions of its phones, in the
    order posted; ``client_ids``, ``phones``, ``names`` (the block's name_delivery, ""
    when it has none): per phone, as posted; ``sizes``: phones per block.
    """

    parts: tuple
    rows: np.ndarray
    client_ids: list
    phones: list
    names: list
    sizes: list

    @property
    def payload(self) -> bytes:
        """The document's JSON bytes, without credentials."""
        return b"".join(self.parts)

    def blocks(self) -> list[dict]:
        """The blocks' phones as dicts (what the careful answer path reads)."""
        out, start = [], 0
        for size in self.sizes:
            name = self.names[start]
            phones = [
                {"phone": p, "client_id_message": c}
                for p, c in zip(
                    self.phones[start : start + size],
                    self.client_ids[start : start + size],
                    strict=True,
                )
            ]
            out.append({"name_delivery": name, "phones": phones} if name else {"phones": phones})
            start += size
        return out


def json_strings(values: pa.Array, before: bytes = b"", after: bytes = b"") -> pa.Array:
    """Each text as a JSON string literal, exactly as ``json.dumps(ensure_ascii=False)``,
    between ``before`` and ``after``; nulls stay null.

    Example:
        >>> json_strings(pa.array(['Hi', 'a"b', None])).to_pylist()
        [b'"Hi"', b'"a\\\\"b"', None]
    """
    text = values.cast(pa.large_string())
    if not _escapes(text):  # the common case: one pass in C
        return pc.binary_join_element_wise(
            _lit(before + b'"'), text.cast(_BYTES), _lit(b'"' + after), _lit(b"")
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
    return pa.array(out, _BYTES)


def _escapes(text: pa.Array) -> bool:
    """Whether any byte of the array's data may need a JSON escape (one pass in C)."""
    data = text.buffers()[2]
    return data is not None and bool(bytes(data).translate(None, _PLAIN))


def _pieces(field: str, values: pa.Array) -> pa.Array:
    """``"field":value,`` for each text (null stays null)."""
    if field == TEMPLATE_DATA:  # sent as a JSON object, not as its text
        encoded = pa.array(
            [
                None
                if v is None
                else json.dumps(as_object(v), ensure_ascii=False, separators=(",", ":")).encode()
                for v in values.to_pylist()
            ],
            _BYTES,
        )
    else:
        return json_strings(values, json.dumps(field).encode() + b":", b",")
    key = _lit(json.dumps(field, ensure_ascii=False).encode() + b":")
    return pc.binary_join_element_wise(key, encoded, _lit(b","), _lit(b""))


def _taken(array: pa.Array, codes: np.ndarray) -> pa.Array:
    """``array[codes]``, null where a code is -1."""
    return array.take(pa.array(codes, pa.int64(), mask=codes < 0))


def _text(values) -> pa.Array:
    """Distinct values or a plan column as Arrow text, without making Python strs."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        array = pa.array(np.asarray(values, dtype=object), pa.large_string(), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _runs(layout: Layout) -> list[tuple[list[int], np.ndarray, pa.Array | None]]:
    """The block fields as runs: consecutive few-valued fields are joined into one piece
    per combination of their values (encoded once); a many-valued field is a run alone.

    Each run: its field indices, the combination code of each block, and the encoded
    combinations (None for a many-valued field: encoded per block, from the plan).
    """
    runs: list[tuple[list[int], np.ndarray, pa.Array | None]] = []
    run: list[int] = []

    def close() -> None:
        if not run:
            return
        group = np.zeros(len(layout.first), dtype=np.int64)
        for i in run:
            codes, distinct = layout.fields[i]
            group = pd.factorize(group * (len(distinct) + 1) + codes[layout.first] + 1)[0]
        _, sample = np.unique(group, return_index=True)  # a block of each combination
        parts = [
            _taken(_pieces(F.MESSAGE_FIELDS[i], _text(layout.fields[i][1])), codes)
            for i in run
            if ((codes := layout.fields[i][0][layout.first][sample]) >= 0).any()
        ]
        combos = (
            pc.binary_join_element_wise(*parts, _lit(b""), null_handling="skip")
            if parts
            else pa.nulls(len(sample), _BYTES)
        )
        runs.append((list(run), group, combos))
        run.clear()

    for i, (codes, distinct) in enumerate(layout.fields):
        if len(distinct) <= _FEW:
            run.append(i)
        else:
            close()
            runs.append(([i], codes[layout.first], None))
    close()
    return runs


def encode_documents(
    plan: pd.DataFrame, *, max_phones: int = DEFAULT_MAX_PHONES, rows: np.ndarray | None = None
) -> Iterator[Encoded]:
    """The documents of some rows of a plan as posted bytes, in the order of ``documents``.

    Args:
        plan: a frame from :func:`targetsms_frames.plan` (checked before anything is made).
        max_phones: the most phones one document may carry.
        rows: a boolean mask of the rows to include (default: every sendable row).

    Example:
        >>> import pandas as pd, targetsms_frames as tsf
        >>> p = tsf.plan(pd.DataFrame({"phone": ["79801234567"], "send_sms": "1",
        ...     "sender_sms": "Shop", "text_sms": "Hi"}), campaign="c")
        >>> (doc,) = encode_documents(p)
        >>> doc.payload == json.dumps(tsf.documents(p)[0], ensure_ascii=False,
        ...     separators=(",", ":")).encode()
        True
    """
    encoder = Encoder.of(plan, max_phones=max_phones, rows=rows)
    if encoder is None:
        return iter(())
    return (doc for d0, d1 in encoder.batches(_BATCH) for doc in encoder.encode(d0, d1))


class Encoder:
    """The documents of a plan, encoded a batch at a time (from any thread: it only reads)."""

    def __init__(self, plan: pd.DataFrame, layout: Layout, max_phones: int) -> None:
        rows, starts = layout.rows, layout.starts
        self.layout = layout
        self.phones = plan["phone"].to_numpy(dtype=object, na_value=None)[rows]  # type: ignore[call-overload]
        self.client_ids = plan["client_id_message"].to_numpy(dtype=object, na_value=None)[rows]  # type: ignore[call-overload]
        name_codes, name_values = layout.fields[F.MESSAGE_FIELDS.index("name_delivery")]
        self.names = np.append(np.asarray(name_values, dtype=object), "")[name_codes[layout.order]]
        self.dicts: list[dict] | None = None
        if not all(is_string_dtype(plan[c]) for c in _TEXT_COLUMNS):
            # Not a plan of texts (made by hand?): its documents as documents() makes
            # them, encoded by json.dumps, so the bytes are the same whatever the values.
            mask = np.zeros(len(plan), dtype=bool)
            mask[rows] = True
            self.dicts = build_documents(plan, max_phones=max_phones, rows=mask)
            self.runs: list = []
            self.texts: dict = {}
        else:
            self.phone_text = _text(plan["phone"])
            self.client_id_text = _text(plan["client_id_message"])
            self.runs = _runs(layout)
            self.texts = {  # the many-valued fields, as Arrow text, taken per batch
                fields[0]: _text(plan[F.MESSAGE_FIELDS[fields[0]]])
                for fields, _, combos in self.runs
                if combos is None
            }
        self.heads_of = rows[starts]  # the plan position of each block's first row
        self.doc_rows = np.r_[starts[layout.cuts], len(rows)]  # each document's span of rows
        self.doc_blocks = np.r_[layout.cuts, len(starts)]

    @classmethod
    def of(
        cls,
        plan: pd.DataFrame,
        *,
        max_phones: int = DEFAULT_MAX_PHONES,
        rows: np.ndarray | None = None,
    ) -> Encoder | None:
        """The encoder of some rows of a plan (None when there is nothing to send)."""
        layout = plan_layout(plan, max_phones=max_phones, rows=rows)
        return None if layout is None else cls(plan, layout, max_phones)

    def __len__(self) -> int:
        return len(self.layout.cuts)

    def batches(self, size: int) -> list[tuple[int, int]]:
        """Spans of documents, ``size`` at a time."""
        n = len(self)
        return [(d0, min(d0 + size, n)) for d0 in range(0, n, size)]

    def encode(self, d0: int, d1: int) -> list[Encoded]:
        """Documents ``d0`` to ``d1 - 1``."""
        layout, starts, ends = self.layout, self.layout.starts, self.layout.ends
        rows, doc_rows, doc_blocks = layout.rows, self.doc_rows, self.doc_blocks
        if self.dicts is not None:
            return [self._document(d, self._json(self.dicts[d])) for d in range(d0, d1)]
        r0, r1 = int(doc_rows[d0]), int(doc_rows[d1])
        b0, b1 = int(doc_blocks[d0]), int(doc_blocks[d1])
        parts = [_lit(b"{")]
        for fields, codes, combos in self.runs:
            codes = codes[b0:b1]
            if combos is not None:
                parts.append(_taken(combos, codes))
            elif (codes >= 0).any():
                values = self.texts[fields[0]].take(self.heads_of[b0:b1])
                values = pc.if_else(pa.array(codes >= 0), values, None)
                parts.append(_pieces(F.MESSAGE_FIELDS[fields[0]], values))
        parts += [_lit(b'"phones":['), _lit(b"")]
        heads = pc.binary_join_element_wise(*parts, null_handling="skip")
        at = np.full(r1 - r0, -1, dtype=np.int64)  # each row's block head, if it starts one
        at[starts[b0:b1] - r0] = np.arange(b1 - b0)
        first_of_doc = np.zeros(r1 - r0, dtype=bool)
        first_of_doc[doc_rows[d0:d1] - r0] = True
        last_of_block = np.zeros(r1 - r0, dtype=bool)
        last_of_block[ends[b0:b1] - 1 - r0] = True
        phones = json_strings(self.phone_text.take(rows[r0:r1]), b'{"phone":')
        client_ids = json_strings(
            self.client_id_text.take(rows[r0:r1]), b',"client_id_message":', b"}"
        )
        entries = pc.binary_join_element_wise(
            phones.fill_null(b'{"phone":null'),
            client_ids.fill_null(b',"client_id_message":null}'),
            _lit(b""),
        )
        joined = pc.binary_join_element_wise(
            pa.array([None if f else b"," for f in first_of_doc.tolist()], _BYTES),
            heads if len(heads) == r1 - r0 else _taken(heads, at),  # one phone a block
            entries,
            pa.array([b"]}" if e else None for e in last_of_block.tolist()], _BYTES),
            _lit(b""),
            null_handling="skip",
        )
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
            joined.offset : joined.offset + len(joined) + 1
        ].tolist()
        data = memoryview(joined.buffers()[2])
        return [
            self._document(d, (_HEAD, data[offsets[a - r0] : offsets[b - r0]], _TAIL))
            for d, a, b in zip(
                range(d0, d1),
                doc_rows[d0:d1].tolist(),
                doc_rows[d0 + 1 : d1 + 1].tolist(),
                strict=True,
            )
        ]

    @staticmethod
    def _json(document: dict) -> tuple[bytes]:
        return (json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),)

    def _document(self, d: int, parts: tuple) -> Encoded:
        """Document ``d`` with its bytes ``parts``, and what was posted in it."""
        a, b = int(self.doc_rows[d]), int(self.doc_rows[d + 1])
        starts = self.layout.starts
        blocks = starts[self.doc_blocks[d] : self.doc_blocks[d + 1]]
        return Encoded(
            parts,
            self.layout.rows[a:b],
            self.client_ids[a:b].tolist(),
            self.phones[a:b].tolist(),
            self.names[a:b].tolist(),
            np.diff(np.r_[blocks, b]).tolist(),
        )
