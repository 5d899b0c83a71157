"""Secrets kept out of sight: masked holders and the scrubber of every text we produce.

The password and the token travel to the provider and nowhere else. They are
held in objects whose ``repr`` masks them (so a frame local captured by an
error tracker prints ``***``), and every text the client produces (exception
messages, log lines, row errors, anything derived from an answer) passes
through a :class:`Scrubber` first, because a hostile or broken server may echo
the request back to us.
"""

from __future__ import annotations

import base64
import functools
import html.entities
import json
import re
import reprlib
import unicodedata
from collections.abc import Iterable
from typing import Any, NoReturn

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


# How a server may spell one character of a secret when it echoes it. Every backslash
# escape takes one to eight backslashes (an escape escaped again, e.g. JSON in JSON, up to
# three times), so a spelling found in a decoded text is still found in that text's JSON
# dump (deep()'s check). Repeats are bounded so that a hostile run of backslashes or %25
# costs linear time, not quadratic.
_BS = r"\\{1,8}"
_SHORT = {'"': '"', "'": "'", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_SHORT |= {"\x0b": "v", "\x00": "0"}
# An entity's & as is, JSON-hexed or escaped again.
_AMP = r"(?:&|\\{1,8}u0026|%(?:25){0,3}26)(?:amp;){0,3}"
_NAMES: dict[str, list[str]] = {}
for _name, _value in html.entities.html5.items():
    if len(_value) == 1 and _name.lower() == _name:  # matched regardless of case anyway
        _NAMES.setdefault(_value, []).append(_name)
# A text cut inside the escape of the next character: "...pa%2", "...pa\u00", "...pa&am".
_DANGLING = (
    r"(?:\\{1,8}(?:u[0-9a-f]{0,3}|x[0-9a-f]?)?"
    r"|(?:%(?:25){0,3}[0-9a-f]{0,2}){1,4}|&#?x?[0-9a-z]{0,32})?"
)


@functools.lru_cache(maxsize=4096)
def _char(c: str) -> str:
    """A regex for every spelling of one character: raw, escaped, entity, percent, mangled."""
    o, utf8 = ord(c), c.encode("utf-8", "surrogatepass")
    alts = {re.escape(c)}
    if c == "\\":
        alts.add(_BS)
    elif c in _SHORT:
        alts.add(_BS + re.escape(_SHORT[c]))
    if o < 0x10000:  # JSON, JavaScript and Python \uXXXX
        alts.add(f"{_BS}u{o:04x}")
    else:  # JSON's surrogate pair
        hi, lo = 0xD800 + ((o - 0x10000) >> 10), 0xDC00 + ((o - 0x10000) & 0x3FF)
        alts.add(f"{_BS}u{hi:04x}{_BS}u{lo:04x}")
    alts |= {f"{_BS}U{o:08x}", f"{_BS}u\\{{0*{o:x}\\}}"}  # Python \U, JavaScript \u{...}
    if o < 0x100:
        alts.add(f"{_BS}x{o:02x}")
        alts.add(f"%(?:25){{0,3}}{o:02x}")  # percent-encoded as Latin-1
    # HTML entities: decimal and hex (leading zeros, the ; optional), then the named ones.
    alts.add(f"{_AMP}#0*{o}(?:;|(?![0-9]))")
    alts.add(f"{_AMP}#x0*{o:x}(?:;|(?![0-9a-f]))")
    alts |= {_AMP + re.escape(name) for name in _NAMES.get(c, ())}
    # Percent-encoded UTF-8 (escaped again any number of times), JavaScript's escape().
    alts.add("".join(f"%(?:25){{0,3}}{b:02x}" for b in utf8))
    if o < 0x10000:
        alts.add(f"%u{o:04x}")
    if c == " ":
        alts.add(r"\+")
    if o >= 0x80:
        for codec in ("latin-1", "cp1252", "cp1251"):  # UTF-8 read in a legacy code page
            alts.add(re.escape(utf8.decode(codec, "replace")))
        alts.add(f"(?:\\?|\ufffd{{1,{len(utf8)}}})")  # lost in a lossy re-encoding
    spelled = "(?:" + "|".join(sorted(alts, key=len, reverse=True)) + ")"
    if c in "\"'/":  # escaped for JSON first, then the escape's parts escaped again
        spelled = f"(?:\\\\|%(?:25){{0,3}}5c){{0,8}}{spelled}"
    return spelled


def _variants(secret: str) -> set[str]:
    """The secret as given, in both Unicode normal forms (a server may normalise) and in
    upper and folded case where these change its length (ß and SS)."""
    forms = {secret, unicodedata.normalize("NFC", secret), unicodedata.normalize("NFD", secret)}
    return forms | {v for v in (secret.upper(), secret.casefold()) if len(v) != len(secret)}


# Characters every spelling may use besides the secret's own (escapes, entities, hex).
_SYNTAX = frozenset("\\&#;%+?{}xXuUmp0123456789abcdefABCDEF\ufffd" + "".join(_SHORT.values()))


def _alphabet(secret: str) -> set[str]:
    """Every character any spelling in :func:`_char` of this secret's characters can hold."""
    chars = set(_SYNTAX)
    for variant in _variants(secret):
        for c in variant:
            chars.add(c)
            utf8 = c.encode("utf-8", "surrogatepass")
            for codec in ("latin-1", "cp1252", "cp1251"):
                chars.update(utf8.decode(codec, "replace"))
            for name in _NAMES.get(c, ()):
                chars.update(name)
    return chars


def _base64(secret: str) -> list[str]:
    """The secret inside any base64 text (a Basic auth echo of ``login:password``).

    A base64 text spells the secret three ways, by its offset modulo 3; each way's
    characters that depend on the secret's bytes alone are matched, case-sensitively.
    """
    data, forms = secret.encode("utf-8", "surrogatepass"), []
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + data).decode()
        middle = encoded[-(-8 * shift // 6) : 8 * (shift + len(data)) // 6]
        if len(middle) >= MIN_FRAGMENT:
            urlsafe = middle.translate(str.maketrans("+/", "-_"))
            forms += [f"(?-i:{re.escape(middle)})", f"(?-i:{re.escape(urlsafe)})"]
    return forms


class Scrubber:
    """Replaces every spelling of the given secrets in a text with ``***``.

    Example:
        >>> scrub = Scrubber(["s3cret"])
        >>> scrub('echo: {"password":"s3cret"}'), scrub("cut short: s3cr")
        ('echo: {"password":"***"}', 'cut short: ***')
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        whole: list[str] = []
        heads: list[str] = []  # a secret's first characters, cut short at a text's end
        tails: list[str] = []  # its last characters, at a text's start
        self._width, shortest = 0, 1 << 30
        self._literals: list[str] = []  # the base64 forms, case-sensitive
        self._hex: list[str] = []  # the hex dumps, lowercase
        alphabet: set[str] = set()
        for secret in filter(None, secrets):
            for variant in _variants(secret):
                chars = [_char(c) for c in variant]
                whole.append("".join(chars))
                if len(chars) > MIN_FRAGMENT:
                    # Nested optional groups: every cut length, in a pattern linear in size.
                    rest = ""
                    for c in reversed(chars[MIN_FRAGMENT:-1]):
                        rest = f"(?:{c}{rest})?"
                    heads.append("".join(chars[:MIN_FRAGMENT]) + rest)
                    lead = ""
                    for c in chars[1:-MIN_FRAGMENT]:
                        lead = f"(?:{lead}{c})?"
                    tails.append(lead + "".join(chars[-MIN_FRAGMENT:]))
            literal = [*_base64(secret), secret.encode("utf-8", "surrogatepass").hex()]
            whole += literal
            self._literals += [form[5:-1].replace("\\", "") for form in literal[:-1]]
            self._hex.append(literal[-1])
            alphabet |= _alphabet(secret)
            shortest = min([shortest, *map(len, _variants(secret))])
            # How far from a text's end a cut-short head can start: a character's longest
            # spelling is 14 characters, escapes of escapes aside.
            self._width = max(self._width, 32 * len(secret) + 32)
        # Matched regardless of case (base64 aside): a host name, for one, comes back
        # lowercased, and hex digits and entity names come in either case.
        flags = re.IGNORECASE | re.DOTALL
        self._any = re.compile("|".join(whole), flags) if whole else None
        self._head = re.compile(f"(?:{'|'.join(heads)}){_DANGLING}\\Z", flags) if heads else None
        self._tail = re.compile("|".join(tails), flags) if tails else None
        # Every other spelling is a run of at least `shortest` characters of the alphabet:
        # runs are found by a character-class scan (fast in C), the exact pattern is then
        # tried on the runs alone, so a long answer costs one scan.
        members = "".join(sorted(re.escape(c) for c in alphabet))
        # Maximal runs only (the lookbehind): a scan never restarts inside a shorter run.
        runs = f"(?<![{members}])[{members}]{{{shortest},}}"
        self._runs = re.compile(runs, flags) if whole else None
        # For ASCII text, the same runs seen through a byte table (1: a member, as the
        # class above matches it): no run that long means no run at all, in one C scan.
        member = re.compile(f"[{members}]", flags).fullmatch if whole else lambda c: None
        self._ascii_members = bytes(b < 128 and member(chr(b)) is not None for b in range(256))
        # (No secret: `shortest` is a sentinel, not a length, and the table is never read.)
        self._ascii_run = b"\x01" * shortest if whole else b""

    def _found(self, text: str) -> bool:
        """Whether any full spelling of a secret is in the text (cheap when none is)."""
        if self._any is None or self._runs is None:
            return False
        if any(form in text for form in self._literals):
            return True
        if self._hex and any(form in text.lower() for form in self._hex):
            return True
        if text.isascii() and self._ascii_run not in text.encode().translate(self._ascii_members):
            return False
        search = self._any.search
        return any(search(text, run.start(), run.end()) for run in self._runs.finditer(text))

    def __call__(self, text: str) -> str:
        if self._any is None:
            return text
        if self._found(text):
            text = self._any.sub(MASK, text)
        return self._edges(text)

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
                if not self._found(raw.decode("utf-8")):
                    return value
            except UnicodeDecodeError:
                pass
        try:  # one pass in C first: a secret in any decoded text shows in this dump
            if not self._found(json.dumps(value, ensure_ascii=False)):
                return value
        except (RecursionError, ValueError):
            pass
        root = [value]
        stack: list[tuple[Any, Any]] = [(root, 0)]
        while stack:
            holder, key = stack.pop()
            item = holder[key]
            if isinstance(item, str):
                if self._found(item) and not (item.isascii() and item.isdigit()):
                    holder[key] = self(item)
            elif isinstance(item, list):
                stack.extend((item, k) for k in range(len(item)))
            elif isinstance(item, dict):
                if any(self._found(k) for k in item):
                    item = holder[key] = {self(k): v for k, v in item.items()}
                stack.extend((item, k) for k in item)
        return root[0]

    def _edges(self, text: str) -> str:
        """Mask a secret cut short at either end of the text."""
        if self._head is None or self._tail is None:
            return text
        window = max(0, len(text) - self._width)
        cut = self._head.search(text, window)
        if cut is not None:
            text = text[: cut.start()] + MASK
        cut = self._tail.match(text)
        if cut is not None and cut.end() > 0:
            text = MASK + text[cut.end() :]
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
