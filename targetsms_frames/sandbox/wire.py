"""The sandbox's JSON on the wire: orjson where it reads and writes as :mod:`json` does.

The provider's answers must not change with the parser, so orjson is used only where
it gives what ``json.loads`` gives; elsewhere the standard library answers:

- orjson refuses what ``json`` accepts (``NaN``, ``1e400``, a UTF-8 BOM, an escaped
  lone surrogate): those documents are read again with ``json``;
- orjson reads an integer beyond 64 bits as a float (``json``: an int), so a body with
  a run of 19 or more digits (a number that might not fit) is read with ``json``.
"""

from __future__ import annotations

import json

import orjson

# Every digit as "0": a run of 19 digits becomes a run of 19 zeros, found in C.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_RUN = b"0" * 19


def loads(body: bytes):
    """A posted body as ``json.loads`` reads it (raises ValueError or UnicodeDecodeError)."""
    if isinstance(body, bytes) and _LONG_RUN not in body.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # perhaps something only json reads: let it answer
    return json.loads(body)


def dumps(answer) -> bytes:
    """An answer as UTF-8 JSON (compact; the same values as ``json.dumps``)."""
    try:
        return orjson.dumps(answer)
    except TypeError:  # e.g. a lone surrogate echoed back: the standard library's way
        return json.dumps(answer, ensure_ascii=False).encode()
