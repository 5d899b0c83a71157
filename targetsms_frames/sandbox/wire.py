"""The sandbox's JSON on the wire: orjson where it reads and writes as :mod:`json` does.

The provider's answers must not change with the parser, so orjson is used only where
it gives what ``json.loads`` gives; elsewhere the standard library answers:

- orjson refuses what ``json`` accepts (``NaN``, ``1e400``, a UTF-8 BOM, an escaped
  lone surrogate): those documents are read again with ``json``;
- orjson reads an integer beyond 64 bits as a float (``json``: an int), so a body with
  a run of 19 or more digits (a number that might not fit) is read with ``json``.

Finding such a run costs a pass over the body (about a tenth of a campaign document's
handling), so a send document is first read by orjson alone (``exact=False``): the
bulk path accepts only documents whose every value it reads is text (any float there
sends it to the careful path), so orjson's floats cannot change its answer; the
careful path then asks :func:`as_json_reads` for the document ``json`` reads.
"""

from __future__ import annotations

import json

import orjson

# Every digit as "0": a run of 19 digits becomes a run of 19 zeros, found in C.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_RUN = b"0" * 19


def loads(body: bytes, *, exact: bool = True):
    """A posted body as ``json.loads`` reads it (raises ValueError or UnicodeDecodeError).

    ``exact=False``: as orjson reads it, which may hold a float where ``json`` reads a
    long integer (see :func:`as_json_reads`).
    """
    if isinstance(body, bytes) and (not exact or _alike(body)):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # perhaps something only json reads: let it answer
    return json.loads(body)


def _alike(body: bytes) -> bool:
    """Whether orjson reads this body as ``json`` does (no run of 19 digits or more)."""
    return _LONG_RUN not in body.translate(_DIGITS_AS_ZERO)


def as_json_reads(doc, body: bytes):
    """``doc`` (read by ``loads(body, exact=False)``) as ``json`` reads the body."""
    return doc if not isinstance(body, bytes) or _alike(body) else json.loads(body)


def dumps(answer) -> bytes:
    """An answer as UTF-8 JSON (compact; the same values as ``json.dumps``)."""
    try:
        return orjson.dumps(answer)
    except TypeError:  # e.g. a lone surrogate echoed back: the standard library's way
        return json.dumps(answer, ensure_ascii=False).encode()
