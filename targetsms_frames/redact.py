"""Secrets kept out of sight: masked holders and the scrubber of every text we produce.

The password and the token travel to the provider and nowhere else. They are
held in objects whose ``repr`` masks them (so a frame local captured by an
error tracker prints ``***``), and every text the client produces (exception
messages, log lines, row errors, anything derived from an answer) passes
through a :class:`Scrubber` first, because a hostile or broken server may echo
the request back to us.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterable
from typing import Any, NoReturn
from urllib.parse import quote

MASK = "***"
# A secret cut short at the edge of a text (a server that echoes the first bytes of
# the body) is masked too, down to this many characters.
MIN_FRAGMENT = 4
MAX_TEXT = 1000  # longest answer-derived text kept in an error


class Secret:
    """A string that never shows itself in a repr, str or format.

    Example:
        >>> s = Secret("s3cret")
        >>> print(repr(s), f"{s}", s.reveal())
        '***' '***' s3cret
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"'{MASK}'"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("credentials are not pickled")


class SecretBytes(bytes):
    """Bytes that carry a secret (a request body): usable as bytes, never printed.

    requests and http.client take it as the body as it is, so the request object
    and every frame that holds it show ``b'***'``.

    Example:
        >>> body = SecretBytes(b'{"password":"s3cret"}')
        >>> repr(body), len(body), body.startswith(b"{")
        ("b'***'", 21, True)
    """

    def __repr__(self) -> str:
        return f"b'{MASK}'"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a body that holds credentials is not pickled")


class SecretHeader(str):
    """A header value that carries a secret (``Bearer <token>``), masked in any repr."""

    def __repr__(self) -> str:
        return f"'{MASK}'"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a header that holds credentials is not pickled")


def _forms(secret: str) -> set[str]:
    """The ways a secret can be spelled in a text we produce or receive."""
    return (
        {
            secret,
            json.dumps(secret, ensure_ascii=False)[1:-1],  # as it is in our request body
            json.dumps(secret)[1:-1],  # re-encoded by a server as ASCII JSON
            repr(secret)[1:-1],  # inside a !r of a text that contains it
            quote(secret, safe=""),  # percent-encoded, e.g. echoed in a URL
        }
        - {""}
    )


class Scrubber:
    """Replaces every spelling of the given secrets in a text with ``***``.

    Example:
        >>> scrub = Scrubber(["s3cret"])
        >>> scrub('echo: {"password":"s3cret"}'), scrub("cut short: s3cr")
        ('echo: {"password":"***"}', 'cut short: ***')
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _forms(secret)
        # Longest first, so that a form containing another is replaced whole. Matched
        # regardless of case: a host name, for one, comes back lowercased.
        self._forms = sorted(forms, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, self._forms))
        self._any = re.compile(alternatives, re.IGNORECASE) if forms else None
        self._folded = [f.lower() for f in self._forms if len(f.lower()) == len(f)]

    def __call__(self, text: str) -> str:
        if self._any is None:
            return text
        return self._edges(self._any.sub(MASK, text))

    def deep(self, value: Any, raw: bytes | None = None) -> Any:
        """A decoded JSON answer (``raw``: its bytes) with every text holding a secret scrubbed.

        Texts of ASCII digits only are left alone: they are ids and counts, and a
        numeric password that happens to sit inside an id must not break the id.
        Walks without recursion (an answer may be nested as deep as JSON allows).
        """
        if self._any is None:
            return value
        if raw is not None and b"\\" not in raw:
            # Without escapes every decoded text is a slice of the raw UTF-8 answer.
            try:
                if not self._any.search(raw.decode("utf-8")):
                    return value
            except UnicodeDecodeError:
                pass
        try:  # one pass in C first: a secret in any decoded text shows in this dump
            if not self._any.search(json.dumps(value, ensure_ascii=False)):
                return value
        except (RecursionError, ValueError):
            pass
        root = [value]
        stack: list[tuple[Any, Any]] = [(root, 0)]
        while stack:
            holder, key = stack.pop()
            item = holder[key]
            if isinstance(item, str):
                if self._any.search(item) and not (item.isascii() and item.isdigit()):
                    holder[key] = self(item)
            elif isinstance(item, list):
                stack.extend((item, k) for k in range(len(item)))
            elif isinstance(item, dict):
                if any(self._any.search(k) for k in item):
                    item = holder[key] = {self(k): v for k, v in item.items()}
                stack.extend((item, k) for k in item)
        return root[0]

    def _edges(self, text: str) -> str:
        """Mask a secret cut short at either end of the text."""
        for form in self._folded:
            low = text.lower()
            if len(low) != len(text):  # a character that lowercases to two: compare as is
                low = text
            for k in range(min(len(form), len(text)) - 1, MIN_FRAGMENT - 1, -1):
                if low.endswith(form[:k]):
                    text, low = text[:-k] + MASK, low[:-k] + MASK
                    break
            for k in range(min(len(form), len(text)) - 1, MIN_FRAGMENT - 1, -1):
                if low.startswith(form[-k:]):
                    text = MASK + text[k:]
                    break
        return text

    def clip(self, text: str, limit: int = MAX_TEXT) -> str:
        """Scrub, then cut to ``limit`` characters (a cut never reveals a fragment)."""
        text = self(text)
        if len(text) > limit:
            text = self._edges(text[:limit]) + "…"
        return text

    def raw(self, value: object, limit: int = 80) -> str:
        """A short, scrubbed rendering of any value from an answer, for an error text."""
        return self.clip(value if isinstance(value, str) else _repr(value), limit)


def _repr(value: object) -> str:
    """A bounded repr: deep or huge JSON values never recurse without end."""
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxstring, shown.maxother = 4, 10_000, 200
    shown.maxlist = shown.maxdict = 8
    return shown.repr(value)


NO_SECRETS = Scrubber(())
