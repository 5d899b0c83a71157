"""Regular expressions over fixed-length digit strings, run as one table for a whole column.

The Russian phone rule (phones.py) asks three of ``phonenumbers``' patterns about
every ten-digit national number. Run as regexes that is three passes of a large
alternation over each row; here the three are compiled once into a single
deterministic automaton over the digits 0-9 and a column of numbers is judged with
one NumPy lookup per digit. Only what the patterns use is understood (literals,
classes, groups, alternation, repetition); anything else gives None, and the
caller keeps its regexes. Membership is all that is asked, so greedy or lazy
repetition makes no difference.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

_sre: Any
_sre_parse: Any
try:  # the parser behind ``re`` (private, but the same from 3.11 on)
    _sre = importlib.import_module("re._constants")
    _sre_parse = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - a Python without it keeps the regexes
    _sre = _sre_parse = None

_DIGITS = frozenset(range(ord("0"), ord("9") + 1))
_ACCEPT = -1  # in a set of NFA states: the pattern has matched all it needs


class _Unsupported(Exception):
    """The pattern uses something this compiler does not understand."""


class _NFA:
    """Nodes that each take one digit of a set and go on to a set of nodes."""

    def __init__(self, length: int) -> None:
        self.length = length
        self.takes: list[frozenset[int]] = []  # per node, the digits (0-9) it takes
        self.then: list[frozenset[int]] = []  # per node, where it goes

    def node(self, digits: frozenset[int], then: frozenset[int]) -> frozenset[int]:
        self.takes.append(digits)
        self.then.append(then)
        return frozenset({len(self.takes) - 1})

    def any_tail(self) -> frozenset[int]:
        """Any digits, or none, then the end: what ``re.match`` allows after a pattern."""
        index = len(self.takes)
        self.takes.append(frozenset(range(10)))
        self.then.append(frozenset({index, _ACCEPT}))
        return frozenset({index, _ACCEPT})

    def sequence(self, items, then: frozenset[int]) -> frozenset[int]:
        for op, arg in reversed(list(items)):
            then = self.item(op, arg, then)
        return then

    def item(self, op, arg, then: frozenset[int]) -> frozenset[int]:
        if op is _sre.LITERAL:
            return self.node(_digit_set({arg}), then)
        if op is _sre.IN:
            return self.node(_class_digits(arg), then)
        if op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, items = arg
            if add_flags or del_flags:
                raise _Unsupported("inline flags")
            return self.sequence(items, then)
        if op is _sre.BRANCH:
            return frozenset().union(*(self.sequence(items, then) for items in arg[1]))
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            low, high, items = arg
            # A match of ``length`` digits has at most ``length`` non-empty repetitions, and
            # empty ones beyond ``low`` can be left out: more than max(low, length) are
            # never needed (this also bounds an unbounded repetition).
            high = min(high, max(low, self.length))
            optional = then
            for _ in range(max(high - low, 0)):
                optional = self.sequence(items, optional) | then
            for _ in range(low):
                optional = self.sequence(items, optional)
            return optional
        raise _Unsupported(str(op))


def _digit_set(codes: set[int]) -> frozenset[int]:
    return frozenset(c - ord("0") for c in codes if c in _DIGITS)


def _class_digits(items) -> frozenset[int]:
    """The digits a character class ``[...]`` takes."""
    taken: set[int] = set()
    negate = False
    for op, arg in items:
        if op is _sre.NEGATE:
            negate = True
        elif op is _sre.LITERAL:
            taken.add(arg)
        elif op is _sre.RANGE:
            taken.update(c for c in _DIGITS if arg[0] <= c <= arg[1])
        elif op is _sre.CATEGORY and arg in (_sre.CATEGORY_DIGIT, _sre.CATEGORY_UNI_DIGIT):
            taken.update(_DIGITS)  # \d: the ASCII digits are among them either way
        else:
            raise _Unsupported(f"class item {op}")
    digits = _digit_set(taken)
    return frozenset(range(10)) - digits if negate else digits


def _start(pattern: str, length: int, nfa: _NFA, whole: bool) -> frozenset[int]:
    """The pattern's start states in ``nfa``; ``whole``: fullmatch, else match (a prefix)."""
    parsed = _sre_parse.parse(pattern)
    if parsed.state.flags & ~(_sre.SRE_FLAG_UNICODE):
        raise _Unsupported("flags")
    return nfa.sequence(list(parsed), frozenset({_ACCEPT}) if whole else nfa.any_tail())


class DigitAutomaton:
    """Whether a digit string of a fixed length matches every one of several patterns.

    Example:
        >>> rule = DigitAutomaton.compile([("[0-9]{2}7", True), ("1", False)], 3)
        >>> rule.matches(np.frombuffer(b"127227108", np.uint8), np.array([0, 3, 6])).tolist()
        [True, False, False]
    """

    def __init__(self, table: np.ndarray, accepting: np.ndarray, length: int) -> None:
        # [state * 11 + symbol] -> next state * 11; symbols 0-9 are the digits, 10 any
        # other byte (which goes to a state that never matches); state 0 is the start.
        self.table = table
        self.accepting = accepting  # per state, whether ending there is a match
        self.length = length

    @classmethod
    def compile(cls, patterns: list[tuple[str, bool]], length: int) -> DigitAutomaton | None:
        """One automaton for ``(pattern, fullmatch?)`` pairs, or None if one is not understood.

        A pattern with ``fullmatch`` False is matched as ``re.match`` does (at the start).
        """
        if _sre_parse is None:
            return None
        nfa = _NFA(length)
        try:
            starts = tuple(_start(p, length, nfa, whole) for p, whole in patterns)
        except (_Unsupported, ValueError, TypeError, AttributeError, RecursionError):
            return None
        # Subset construction, one tuple of NFA state sets per DFA state (all patterns at
        # once), only as deep as the digit strings are long. A state first met after the
        # last digit is never left; every state not given a row goes to ``dead``.
        numbers: dict[tuple[frozenset[int], ...], int] = {starts: 0}
        states = [starts]
        rows: dict[int, list[int]] = {}
        layer = [0]
        for _ in range(length):
            following = []
            for state in layer:
                row = []
                for digit in range(10):
                    step = tuple(
                        frozenset().union(
                            *(nfa.then[s] for s in sets if s != _ACCEPT and digit in nfa.takes[s])
                        )
                        for sets in states[state]
                    )
                    if step not in numbers:
                        numbers[step] = len(states)
                        states.append(step)
                        following.append(numbers[step])
                    row.append(numbers[step])
                rows[state] = row
            layer = following
            if len(states) > 100_000:  # not a phone rule's size: leave it to the regexes
                return None
        dead = len(states)
        table = np.full((dead + 1, 11), dead, dtype=np.int64)
        for state, row in rows.items():
            table[state, :10] = row
        accepting = np.array([all(_ACCEPT in sets for sets in s) for s in states] + [False])
        return cls((table * 11).ravel(), accepting, length)

    def matches(self, data: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Whether the ``length`` bytes of ``data`` (ASCII) from each start match all patterns."""
        state = np.zeros(len(starts), dtype=np.int64)
        for k in range(self.length):
            symbol = data[starts + k] - np.uint8(ord("0"))  # other bytes wrap past 9
            state += np.minimum(symbol, np.uint8(10))
            state = self.table[state]
        return self.accepting[state // 11]
