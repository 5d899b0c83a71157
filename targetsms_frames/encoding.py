"""Plan → the posted bytes of each send document, column-wise, without a dict per phone.

The same documents as :func:`targetsms_frames.documents.documents` (same blocks, same
order), as the exact bytes ``json.dumps(document, ensure_ascii=False,
separators=(",", ":"))`` would give, made in Arrow kernels a batch of documents at a
time: the few-valued fields are encoded once per combination of values (the "glue"
between a block's personal texts), the personal texts, phones and client ids are read
from the plan's columns for the batch only, and one take gathers the pieces in posted
order, so a document is one slice of its data between ``{"message":[`` and ``]}``. A
text that needs a JSON escape (a quote, a backslash, a control character) is encoded
by ``json.dumps``. Nothing per row is made up front but the layout's integer arrays,
so a plan of a million rows is encoded in bounded memory.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import is_string_dtype

from . import fields as F
from . import json_pieces as J
from .arrow_text import take, window
from .documents import DEFAULT_MAX_PHONES, Layout, build_documents, plan_layout
from .json_pieces import BYTES
from .template_data import FIELD as TEMPLATE_DATA

_FEW = 1024  # a field with at most this many distinct values is encoded once per value
_BATCH = 16  # documents encoded together: the first is posted soon, intermediates stay small
_HEAD = b'{"message":['
# A row's literal pieces, for digits between quotes and for JSON literals (a phone or
# client id that needs escapes, or null): the first phone's start, between the phone and
# the client id, between two phones of a block, and a block's end.
_ROW_LITERALS = (
    (b'{"phone":"', b'","client_id_message":"', b'"},{"phone":"', b'"}]},'),
    (b'{"phone":', b',"client_id_message":', b'},{"phone":', b"}]},"),
)
# The same as pieces to take: between the phone and the client id, between two phones
# of a block, and no bytes.
_LITERAL_PIECES = tuple(pa.array([*row[1:3], b""], BYTES) for row in _ROW_LITERALS)
_AFTER_PHONE, _BETWEEN, _EMPTY = 0, 1, 2
_TEXT_COLUMNS = ("phone", "client_id_message", *F.MESSAGE_FIELDS)
_NAME = F.MESSAGE_FIELDS.index("name_delivery")
_TEMPLATE_DATA = F.MESSAGE_FIELDS.index(TEMPLATE_DATA)


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
    """The documents of a plan, encoded a batch at a time (from any thread: it only reads).

    A block's fields are its few-valued fields (encoded once per combination of values:
    the "glue" between the personal texts) and its personal texts (read from the plan
    at the block's row when its batch is encoded), so nothing per row is made up front
    but the layout's integer arrays.
    """

    def __init__(self, plan: pd.DataFrame, layout: Layout, max_phones: int) -> None:
        rows, starts = layout.rows, layout.starts
        self.layout = layout
        self.heads_of = rows[starts]  # the plan position of each block's first row
        self.doc_rows = np.r_[starts[layout.cuts], len(rows)]  # each document's span of rows
        self.doc_blocks = np.r_[layout.cuts, len(starts)]
        # One array each (a copy of the chunks, a few bytes per row): a batch's phones
        # and ids are then one take of exactly its rows, as Python strs are made of
        # each of them (a window of a chunked column would turn twice as many texts to strs).
        self.phone_text = _whole(J.column(plan["phone"]))
        self.client_id_text = _whole(J.column(plan["client_id_message"]))
        name_values = layout.fields[_NAME][1]
        self.name_values = (
            None if name_values is None else np.append(np.asarray(name_values, dtype=object), "")
        )
        self.name_text = J.column(plan["name_delivery"]) if name_values is None else None
        self.dicts: list[dict] | None = None
        self.personal: list[tuple[int, pa.Array | pa.ChunkedArray]] = []
        self.glue: list[pa.Array] = []
        self.variants: list[tuple[list[pa.Array], pa.Array]] = []
        if not all(is_string_dtype(plan[c]) for c in _TEXT_COLUMNS):
            # Not a plan of texts (made by hand?): its documents as documents() makes
            # them, encoded by json.dumps, so the bytes are the same whatever the values.
            mask = np.zeros(len(plan), dtype=bool)
            mask[rows] = True
            self.dicts = build_documents(plan, max_phones=max_phones, rows=mask)
            return
        self._glue(plan)

    def _glue(self, plan: pd.DataFrame) -> None:
        """The few-valued fields as glue: each block's combination of their values (and
        of which personal texts it has), and per combination the bytes between its
        personal texts (``{`` before the first, ``"phones":[`` after the last), encoded
        once. A personal text's key and quotes are glue too: its value goes in raw."""
        layout = self.layout
        nb = len(layout.first)
        combo, size = np.zeros(nb, dtype=np.int64), 1
        segments: list[list[int]] = [[]]
        for i, (codes, distinct) in enumerate(layout.fields):
            if distinct is None:  # a personal text: its own piece per block, read later
                self.personal.append((i, J.column(plan[F.MESSAGE_FIELDS[i]])))
                segments.append([])
                k = 2  # only whether the block has it
            else:
                k = len(distinct) + 1
                segments[-1].append(i)
            if k == 1:  # left out everywhere
                continue
            if size * k >= 2**62:
                combo = pd.factorize(combo)[0]
                size = int(combo.max()) + 1
            combo = combo * k + (np.minimum(codes[layout.first], k - 2) + 1)
            size *= k
        combo, combos = pd.factorize(combo)
        sample = np.zeros(len(combos), dtype=np.int64)
        sample[combo] = np.arange(nb)  # a block of each combination (any will do)
        self.combo = combo.astype(np.int32)
        has = [layout.fields[i][0][layout.first[sample]] >= 0 for i, _ in self.personal]
        for s, segment in enumerate(segments):
            parts: list = []
            if s == 0:
                parts.append(J.lit(b"{"))
            else:  # the end of the personal text before, where the block has it
                close = b"," if self.personal[s - 1][0] == _TEMPLATE_DATA else b'",'
                parts.append(J.taken(pa.array([close], BYTES), np.where(has[s - 1], 0, -1)))
            for i in segment:
                codes, distinct = layout.fields[i]
                if ((at := codes[layout.first[sample]]) >= 0).any():
                    parts.append(J.taken(J.pieces(F.MESSAGE_FIELDS[i], J.text(distinct)), at))
            if s < len(self.personal):  # the key of the personal text after
                i = self.personal[s][0]
                key = json.dumps(F.MESSAGE_FIELDS[i]).encode() + b":"
                key += b"" if i == _TEMPLATE_DATA else b'"'
                parts.append(J.taken(pa.array([key], BYTES), np.where(has[s], 0, -1)))
            else:
                parts.append(J.lit(b'"phones":['))
            if any(isinstance(part, pa.Array) for part in parts):
                glue = J.join(*parts)
            else:  # literals only: the same bytes for every combination
                glue = pa.array([b"".join(p.as_py() for p in parts)] * len(combos), BYTES)
            self.glue.append(glue)
        # Per way of writing phones (quoted digits, or JSON literals): the last glue runs on
        # into the first phone, and a block's first glue after another block starts with
        # that block's end, so a row is as few pieces as can be.
        self.variants = []
        for literals in _ROW_LITERALS:
            glue = list(self.glue)
            glue[-1] = J.join(glue[-1], J.lit(literals[0]))
            self.variants.append((glue, J.join(J.lit(literals[3]), glue[0])))

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
        layout, doc_rows, doc_blocks = self.layout, self.doc_rows, self.doc_blocks
        r0, r1 = int(doc_rows[d0]), int(doc_rows[d1])
        b0, b1 = int(doc_blocks[d0]), int(doc_blocks[d1])
        rows = layout.rows[r0:r1]
        phones, client_ids = take(self.phone_text, rows), take(self.client_id_text, rows)
        sizes = np.diff(np.append(layout.starts[b0:b1], r1))  # phones per block
        if self.dicts is not None:
            parts = [self._json(self.dicts[d]) for d in range(d0, d1)]
        else:
            parts = self._bytes(d0, d1, phones, client_ids)
        phone_list = phones.to_numpy(zero_copy_only=False).tolist()
        client_id_list = client_ids.to_numpy(zero_copy_only=False).tolist()
        names = np.repeat(self._names(b0, b1), sizes).tolist()
        size_list = sizes.tolist()
        spans = (doc_rows[d0 : d1 + 1] - r0).tolist()
        cuts = (doc_blocks[d0 : d1 + 1] - b0).tolist()
        return [
            Encoded(
                ps,
                rows[a:b],
                client_id_list[a:b],
                phone_list[a:b],
                names[a:b],
                size_list[c:e],
            )
            for ps, a, b, c, e in zip(parts, spans, spans[1:], cuts, cuts[1:], strict=False)
        ]

    def _names(self, b0: int, b1: int) -> np.ndarray:
        """Each block's name_delivery as posted ("" when it has none)."""
        codes = self.layout.fields[_NAME][0][self.layout.first[b0:b1]]
        if self.name_values is not None:
            return self.name_values[codes]
        assert self.name_text is not None
        names = take(self.name_text, self.heads_of[b0:b1])
        return np.where(codes >= 0, names.to_numpy(zero_copy_only=False), "")

    def _bytes(self, d0: int, d1: int, phones: pa.Array, client_ids: pa.Array) -> list[tuple]:
        """The bytes of documents ``d0`` to ``d1 - 1`` in pieces (``phones``, ``client_ids``:
        the batch's, a value per row in posted order).

        The pieces of every row (glue, personal texts, phone, client id, literals) are
        gathered into one array by a single take, in posted order, so its data is the
        documents' bytes: a block's first row is its glue and personal texts (the glue
        after another block's end starts with that end), then the phone; a block's other
        rows are the end of the phone before and their own.
        """
        layout, n = self.layout, len(phones)
        r0 = int(self.doc_rows[d0])
        b0, b1 = int(self.doc_blocks[d0]), int(self.doc_blocks[d1])
        nb = b1 - b0
        combo = self.combo[b0:b1]
        if phones.null_count or client_ids.null_count or J.escapes(phones) or J.escapes(client_ids):
            variant = 1
            phones = J.json_strings(phones).fill_null(b"null")
            client_ids = J.json_strings(client_ids).fill_null(b"null")
        else:  # the common case: digits, between literal quotes
            variant = 0
        literals = _ROW_LITERALS[variant]
        glue, after = self.variants[variant]
        arrays: list[pa.Array] = [_LITERAL_PIECES[variant]]
        size = [len(arrays[0])]

        def add(array: pa.Array) -> int:
            arrays.append(array)
            size[0] += len(array)
            return size[0] - len(array)

        def glue_at(glue: pa.Array) -> np.ndarray:
            if len(glue) > 4 * nb:  # many combinations: only this batch's
                return add(glue.take(pa.array(combo))) + np.arange(nb)
            return add(glue) + combo

        starts_document = np.zeros(nb, dtype=bool)
        starts_document[self.doc_blocks[d0:d1] - b0] = True
        block_slots = [np.where(starts_document, glue_at(glue[0]), glue_at(after))]
        for (i, text), more in zip(self.personal, glue[1:], strict=True):
            block_slots += [self._personal(i, text, b0, b1, add), glue_at(more)]
        phone_at, client_id_at = add(J.as_bytes(phones)), add(J.as_bytes(client_ids))
        # Every row is as many pieces (a row within a block has no glue nor personal
        # texts: the end of the phone before, then empty pieces), so the pieces are a
        # table of a row per phone.
        width = len(block_slots) + 3
        at = np.empty((n, width), dtype=np.int64)
        if nb == n:  # a block per row (a personal campaign)
            for k, slot in enumerate(block_slots):
                at[:, k] = slot
        else:
            heads = layout.starts[b0:b1] - r0  # each block's first row in the batch
            at[:, 0] = _BETWEEN
            at[:, 1 : width - 3] = _EMPTY
            for k, slot in enumerate(block_slots):
                at[heads, k] = slot
        at[:, width - 3] = np.arange(phone_at, phone_at + n)
        at[:, width - 2] = _AFTER_PHONE
        at[:, width - 1] = np.arange(client_id_at, client_id_at + n)
        joined = pa.concat_arrays(arrays).take(pa.array(at.ravel()))
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[
            joined.offset : joined.offset + len(joined) + 1
        ]
        data = memoryview(joined.buffers()[2])
        spans = offsets[(self.doc_rows[d0 : d1 + 1] - r0) * width].tolist()
        tail = literals[3][:-1] + b"]}"  # the last block's end, and the document's
        return [(_HEAD, data[a:b], tail) for a, b in itertools.pairwise(spans)]

    def _personal(self, i: int, text, b0: int, b1: int, add) -> np.ndarray:
        """Where the blocks' personal text ``i`` is among the pieces (``add`` puts an
        array among them and gives its start). Its texts as they are, from a window of
        the plan's column, when none needs a JSON escape (nor is templateData): a
        missing or empty one is no bytes, and the glue has its key where it is kept."""
        heads = self.heads_of[b0:b1]
        if i != _TEMPLATE_DATA:
            values, at = window(text, heads)
            if not J.escapes(values):
                return add(J.as_bytes(values)) + at
        codes = self.layout.fields[i][0][self.layout.first[b0:b1]]
        return add(J.raw(i, take(text, heads), codes >= 0)) + np.arange(b1 - b0)

    @staticmethod
    def _json(document: dict) -> tuple[bytes]:
        return (json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),)


def _whole(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as one array (its chunks joined)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
