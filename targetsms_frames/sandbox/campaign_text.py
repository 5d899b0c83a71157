"""A campaign's send document read from its text: columns, not a dict per block.

Reading a document of a thousand one-phone blocks with orjson makes some thirty
objects per phone (each block's dict, its keys' values, its phone list and entry)
and frees them again: a third of the sandbox's work on such a document. Yet the
blocks of a campaign are a few templates whose fixed fields are the same text in
every block: only the free texts, the phone and the client id differ. So each
template is read once (its first block, by orjson) and made into a pattern, its
fixed fields literal and the rest holes; one regular-expression pass over the
document then gives every block's holes, column by column.

The reading is taken only when it is the reading orjson (and json) would give:

- no backslash and no control character anywhere in the document, so no string
  holds an escape or a quote, and a string is exactly the text between two quotes;
- the blocks are the last key of the document, one after another with nothing
  between them but the separator, each matching its template's pattern whole (its
  keys in order, its fixed values literal: no repeated key, no other type);
- each block's phone entries are ``{"phone": ..., "client_id_message": ...}``.

Anything else gives None, and the document is read by orjson as before; so does a
document the bulk path then declines (:meth:`Text.doc`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from itertools import compress
from operator import add

import numpy as np
import orjson

from .shapes import FREE, MAX_SHAPES

_MESSAGE = re.compile(r'"message"(: ?)\[')
_HOLE = r'"([^"]*)"'
# Any block of string values with one phone entry last: a template's first block is
# read from the text it spans (its pattern then says whether it is one).
_ANY_ENTRY = r'\{"[^"]*": ?"[^"]*", ?"[^"]*": ?"[^"]*"\}'
_ANY_BLOCK = re.compile(
    rf'\{{(?:"[^"]*": ?"[^"]*", ?)*"phones": ?\[{_ANY_ENTRY}(?:, ?{_ANY_ENTRY})*\]\}}'
)
_ENTRY = ("phone", "client_id_message")
# A block's later entries, from the text its pattern matched (which checked them).
_ENTRIES = re.compile(r'\}, ?\{"phone": ?"([^"]*)", ?"client_id_message": ?"([^"]*)"')
_FEW = 8  # at most one block in this many with several phones (else orjson reads them)
_WINDOW = 65_536  # bytes looked at for blocks of many phones before the reading
_MAX_PATTERNS = 64  # compiled sets of templates kept (a campaign uses one or two)


@dataclass(frozen=True, slots=True)
class Template:
    """One shape of block: its keys in order, the fixed fields' values, which are free."""

    keys: tuple[str, ...]  # "phones" last
    fixed: tuple[tuple[str, str], ...]
    free: tuple[str, ...]
    pattern: str  # groups: "{" (this template), the free texts, phone, client id, more entries
    length: int  # the characters of a block that are not holes


@dataclass(slots=True)
class Text:
    """A document read from its text (see the module's docstring).

    Attributes:
        head: the document but its blocks (their list empty), as orjson reads it.
        shapes: each template's blocks' places in posting order.
        firsts: each template's first block, as orjson reads it.
        free: each template's free texts by field, in its blocks' order.
        counts: phones per block.
        phones, client_ids: per phone, in posting order.
        body: the posted bytes (read whole by :meth:`doc` if the bulk path declines).
    """

    head: dict
    shapes: list[list[int]]
    firsts: list[dict]
    free: list[dict[str, list[str]]]
    counts: list[int]
    phones: list[str]
    client_ids: list[str]
    body: bytes
    _doc: dict | None = field(default=None, repr=False)

    def doc(self) -> dict:
        """The whole document as orjson reads it (``wire.loads(body, exact=False)``)."""
        if self._doc is None:
            self._doc = orjson.loads(self.body)
        return self._doc


_seen: dict[str, list[Template]] = {}  # by separator: the templates of the last document
_compiled: dict[tuple, tuple[re.Pattern, re.Pattern]] = {}


def read(body: bytes) -> Text | None:
    """The document read from its text, or None (orjson reads it; see the module)."""
    if type(body) is not bytes or not body.startswith(b"{") or not body.endswith(b"]}"):
        return None
    # An escape, or a control character (which JSON allows only escaped): orjson reads it
    # (each found in C by a vector loop: memchr, numpy's smallest byte).
    if b"\\" in body or np.frombuffer(body, np.uint8).min() < 32:
        return None
    # A rough look at the first blocks (``_columns`` counts exactly): counting through
    # the whole document took a tenth of the sandbox's time on a campaign's.
    window = min(len(body), _WINDOW)
    lists = body.count(b'"phones"', 0, window)
    if (body.count(b'"phone"', 0, window) - lists) * _FEW > lists:
        return None  # blocks of many phones: orjson reads them for less
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return None
    found = _MESSAGE.search(text)
    if found is None:
        return None
    start, end = found.end(), len(text) - 2  # the blocks: text[start:end]
    head_text = text[: start - 1]
    if head_text.count('"message"') != 1:  # a repeated key: the last would win
        return None
    try:
        head = orjson.loads(head_text + "[]}")
    except orjson.JSONDecodeError:
        return None
    if type(head) is not dict or head.get("message") != []:
        return None
    seps = (", ", ": ") if found.group(1) == ": " else (",", ":")
    blocks = _blocks(text, start, end, seps)
    if blocks is None:
        return None
    shapes, firsts, free, counts, phones, client_ids = blocks
    return Text(head, shapes, firsts, free, counts, phones, client_ids, body)


def _blocks(text: str, start: int, end: int, seps: tuple[str, str]) -> tuple | None:
    """The blocks' columns; the templates found as needed (at most :data:`MAX_SHAPES`)."""
    templates = list(_seen.get(seps[0], ()))
    tried = -1
    while True:
        at = start
        if templates:
            whole, run = _patterns(tuple(templates), seps[0])
            columns = _columns(whole.findall(text, start, end), templates, end - start, seps[0])
            if columns is False:
                return None
            if columns is not None:
                break
            at = run.match(text, start, end).end()  # type: ignore[union-attr]  # (matches "")
        if at == tried or len(templates) >= MAX_SHAPES:
            return None  # the template made of the block there does not read it
        tried = at
        template = _template(text, at, end, seps)
        if template is None:
            return None
        templates.append(template)
    assert not isinstance(columns, bool)
    shapes, firsts, *rest = columns
    _seen[seps[0]] = [t for t, first in zip(templates, firsts, strict=True) if first is not None]
    return shapes, [f for f in firsts if f is not None], *rest


def _patterns(templates: tuple[Template, ...], sep: str) -> tuple[re.Pattern, re.Pattern]:
    """The pattern of one block of any of these templates with what follows it (the
    separator before another block, or the end), and that of a run of such blocks."""
    key = (templates, sep)
    patterns = _compiled.get(key)
    if patterns is None:
        either = "|".join(t.pattern for t in templates)
        after = f"(?:{re.escape(sep)}(?=\\{{)|\\Z)"
        plain = re.sub(r"\((?!\?)", "(?:", either)  # the same without groups
        if len(_compiled) >= _MAX_PATTERNS:
            _compiled.clear()
        patterns = _compiled[key] = (
            re.compile(f"(?:{either}){after}"),
            re.compile(f"(?:(?:{plain}){after})*"),
        )
    return patterns


def _columns(found: list, templates: list[Template], span: int, sep: str) -> tuple | bool | None:
    """The blocks' columns from the matches, or None unless they tile the blocks' text
    (False: they do, but a campaign's blocks are not one phone each, as a rule).

    The matches do not overlap and each ends where a block may begin; their lengths
    add up to the text's only if they cover it whole, block after block.
    """
    n = len(found)
    if not n:
        return None
    columns = list(zip(*found, strict=True))  # each template has 4 groups or more
    length, at, groups = (n - 1) * len(sep), 0, []
    for t in templates:
        mark, holes = columns[at], columns[at + 1 : at + 4 + len(t.free)]
        at += 4 + len(t.free)
        count = mark.count("{")
        length += count * t.length + sum(len("".join(c)) for c in holes)
        groups.append((t, mark, count, holes))
    if length != span:
        return None
    shapes: list[list[int]] = []
    firsts: list[dict | None] = []
    free: list[dict[str, list[str]]] = []
    phones: list[tuple] = []
    client_ids: list[tuple] = []
    more: list[tuple] = []
    for t, mark, count, holes in groups:
        if not count:
            firsts.append(None)
            continue
        if count == n:  # the one template
            where, texts = list(range(n)), [list(c) for c in holes[:-3]]
        else:
            where = list(compress(range(n), mark))
            texts = [list(compress(c, mark)) for c in holes[:-3]]
        first = where[0]
        values = {k: c[first] for k, c in zip(t.free, holes, strict=False)}
        block = {k: values[k] if v is None else v for k, v in _fixed_or_free(t)}
        block["phones"] = [
            {"phone": p, "client_id_message": c}
            for p, c in [(holes[-3][first], holes[-2][first]), *_ENTRIES.findall(holes[-1][first])]
        ]
        shapes.append(where)
        firsts.append(block)
        free.append(dict(zip(t.free, texts, strict=True)))
        phones.append(holes[-3])
        client_ids.append(holes[-2])
        more.append(holes[-1])
    # A block's values are in its template's columns ("" in the others'): added up, in C.
    each_phone, each_id = list(reduce(_add, phones)), list(reduce(_add, client_ids))
    counts = [1] * n
    if any(map(any, more)):  # blocks of several phones: their later entries put in
        later = list(reduce(_add, more))
        several = list(compress(range(n), later))
        if len(several) * _FEW > n:
            return False  # blocks of many phones: orjson reads them for less
        for i in reversed(several):  # from the last, so the earlier places hold
            entries = _ENTRIES.findall(later[i])
            each_phone[i + 1 : i + 1] = [p for p, _ in entries]
            each_id[i + 1 : i + 1] = [c for _, c in entries]
            counts[i] += len(entries)
    return shapes, firsts, free, counts, each_phone, each_id


def _add(a, b):
    return map(add, a, b)


def _fixed_or_free(t: Template) -> list[tuple[str, str | None]]:
    """The template's keys but "phones", with the fixed values (None: free)."""
    fixed = dict(t.fixed)
    return [(k, fixed.get(k)) for k in t.keys[:-1]]


def _template(text: str, at: int, end: int, seps: tuple[str, str]) -> Template | None:
    """The template of the block at ``at``, or None if it is not a campaign's block."""
    span = _ANY_BLOCK.match(text, at, end)
    if span is None:
        return None
    try:
        block = orjson.loads(text[at : span.end()])
    except orjson.JSONDecodeError:
        return None
    keys = tuple(block)
    phones = block.get("phones")
    if (
        not keys
        or keys[-1] != "phones"
        or type(phones) is not list
        or not phones
        or any(type(e) is not dict or tuple(e) != _ENTRY for e in phones)
        or any(type(v) is not str for e in phones for v in e.values())
    ):
        return None
    item, pair = seps
    pieces, literal = [], 0
    fixed, free = [], []
    for k in keys[:-1]:
        value = block[k]
        if type(value) is not str:
            return None
        if k in FREE:
            piece = re.escape(f'"{k}"{pair}') + _HOLE
            literal += len(k) + 4 + len(pair)
            free.append(k)
        else:
            piece = re.escape(f'"{k}"{pair}"{value}"')
            literal += len(k) + len(value) + 4 + len(pair)
            fixed.append((k, value))
        pieces.append(piece)
    if not fixed:
        return None  # no send_* field: an error the careful path answers
    tail = f'"phones"{pair}[{{"phone"{pair}'
    between = f'{item}"client_id_message"{pair}'
    value = _HOLE.replace("(", "(?:")
    entry = re.escape(f'}}{item}{{"phone"{pair}') + value + re.escape(between) + value
    pattern = (
        r"(\{)"
        + re.escape(item).join(pieces)
        + re.escape(item + tail)
        + _HOLE
        + re.escape(between)
        + _HOLE
        + f"((?:{entry})*)"  # the later entries, if any ("": one phone)
        + re.escape("}]}")
    )
    literal += 1 + len(item) * len(pieces) + len(tail) + 2 + len(between) + 2 + 3
    return Template(keys, tuple(fixed), tuple(free), pattern, literal)
