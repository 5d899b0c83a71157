"""State documents as bytes: the body of a state request, made by joining the ids.

A state document for ids that are ASCII digits needs no JSON encoder: each id is its
own JSON text inside quotes, so the body is the ids joined between fixed pieces, the
same bytes as ``json.dumps({"state": [{"id_message": id}, ...]}, separators=(",", ":"))``
(tests/test_state_columns.py checks it). Other ids (the careful path) are encoded by
the client as any document is.
"""

from __future__ import annotations

from collections.abc import Sequence

_HEAD = '{"state":[{"id_message":"'
_JOIN = '"},{"id_message":"'
_TAIL = '"}]}'


def joined_digits(texts: Sequence) -> str | None:
    """The texts joined, when every one is a non-empty text of ASCII digits; else None.

    Checked on the join, in C (``bytes.isdigit``: ``str.isdigit`` weighs every character
    against Unicode's digits, ten times slower).

    Example:
        >>> joined_digits(["7", "0012"]), joined_digits(["7", ""]), joined_digits(["７"])
        ('70012', None, None)
    """
    try:
        joined = "".join(texts)
    except TypeError:  # a None, a number: not a text
        return None
    if not (joined.isascii() and joined.encode("ascii").isdigit()):
        return None  # also: no texts, or only empty ones
    return None if "" in texts else joined  # every one a text: an empty one equals ""


def state_body(ids: Sequence) -> bytes | None:
    """The state document for ``ids`` without credentials, or None when an id is not a
    non-empty text of ASCII digits (or there are none).

    Example:
        >>> state_body(["7", "0012"])
        b'{"state":[{"id_message":"7"},{"id_message":"0012"}]}'
        >>> state_body(["7", " 8"]) is None, state_body([]) is None
        (True, True)
    """
    if joined_digits(ids) is None:
        return None
    return (_HEAD + _JOIN.join(ids) + _TAIL).encode("ascii")
