"""The keyed 64-bit hash of content keys that client ids are derived from, in NumPy.

A derived ``client_id_message`` is ``hash(campaign, content key) mod (2**53 - 1) + 1``
(:mod:`targetsms_frames.client_ids`). Until 0.1 the hash was a keyed BLAKE2b, one
Python call per row (about 0.8 µs a row, most of the client id's cost). This one is
computed a column at a time in NumPy, over the key bytes where Arrow keeps them:

- the campaign (UTF-8) gives two 64-bit numbers, ``seed`` and an odd ``step``: the
  first and last 8 bytes (little-endian) of ``BLAKE2b(campaign, digest_size=16,
  person=b"tsf-client-ids")``, ``step`` with its lowest bit set;
- a key's UTF-8 bytes (``L`` of them) are padded with zero bytes to a multiple of 8 and
  read as little-endian 64-bit words ``w[0], w[1], ...``;
- ``h = fmix(sum(fmix(w[j] ^ K[j])) + L * 0x9E3779B97F4A7C15 + seed)``, all mod 2**64,
  where ``K[j] = fmix(seed + (j + 1) * step)`` and ``fmix`` is MurmurHash3's 64-bit
  finalizer (a bijection with full avalanche).

Each word is mixed with a key of its position, so a change in one word always changes
the sum (``fmix`` is a bijection), and the length tells apart keys that differ only in
trailing zero bytes. It is not a cryptographic MAC, nor need it be: a client id only
has to be the same for the same campaign and content, and different otherwise but
for chance (a repeated id is reported as a row problem, never sent). The name of the
derivation, :data:`DERIVATION`, goes with a plan (``plan.attrs``) and into a send
journal, so a journal written with ids of one derivation is never resumed with ids of
another (which would post its rows again).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DERIVATION = "tsf-wordmix-64"  # this module's hash (client ids since 0.2)
LEGACY_DERIVATION = "blake2b-64"  # the keyed BLAKE2b of earlier versions
ATTR = "client_id_derivation"  # the plan's attrs key naming the derivation of its ids

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53
_U1, _U2, _SHIFT, _GOLD = np.uint64(_M1), np.uint64(_M2), np.uint64(33), np.uint64(_GOLDEN)
# Zero bytes that pad a key to a whole number of words, by how many are needed.
_PADS = pa.array(["\0" * k for k in range(8)], pa.large_string())
_NOTHING = pa.scalar("", pa.large_string())


def named(plan: pd.DataFrame, derived: bool) -> pd.DataFrame:
    """The plan with ``attrs`` naming :data:`DERIVATION` when some row's id was derived
    (a send journal of other ids then refuses it), else naming none; returned as is."""
    plan.attrs.pop(ATTR, None)  # concat keeps attrs only where all frames agree
    if derived:
        plan.attrs[ATTR] = DERIVATION
    return plan


def campaign_words(campaign: str) -> tuple[int, int]:
    """The campaign's ``seed`` and odd ``step`` (see the module's docstring)."""
    made = hashlib.blake2b(campaign.encode(), digest_size=16, person=b"tsf-client-ids").digest()
    return int.from_bytes(made[:8], "little"), int.from_bytes(made[8:], "little") | 1


def _fmix(x: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """MurmurHash3's fmix64, in place (``scratch``: an array of the same shape)."""
    np.right_shift(x, _SHIFT, out=scratch)
    x ^= scratch
    x *= _U1
    np.right_shift(x, _SHIFT, out=scratch)
    x ^= scratch
    x *= _U2
    np.right_shift(x, _SHIFT, out=scratch)
    x ^= scratch
    return x


def _position_keys(seed: int, step: int, words: int) -> np.ndarray:
    """``K[0 .. words - 1]``."""
    with np.errstate(over="ignore"):
        k = np.arange(1, words + 1, dtype=np.uint64) * np.uint64(step) + np.uint64(seed)
    return _fmix(k, np.empty_like(k))


def hashes(campaign: str, keys) -> np.ndarray:
    """The hash of each key (texts or an Arrow text array), as unsigned 64-bit integers.

    Example:
        >>> hashes("spring", ["79801234567"]).tolist() == hashes("spring", ["79801234567"]).tolist()
        True
        >>> int(hashes("spring", [""])[0]) == reference("spring", "")
        True
    """
    seed, step = campaign_words(campaign)
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    if not isinstance(keys, pa.Array):
        keys = pa.array(keys, pa.large_string())
    return padded_hashes(*padded([keys.cast(pa.large_string())]), seed, step)


def padded(pieces: list) -> tuple[pa.Array, np.ndarray]:
    """Keys joined from ``pieces`` (large_string arrays of one length, or scalars; a
    missing piece as ""), each padded with zero bytes to whole words, so that in the
    joined bytes every key starts on a word; and their unpadded lengths in bytes.
    """
    n = next((len(p) for p in pieces if not isinstance(p, pa.Scalar)), 1)
    lengths = np.zeros(n, dtype=np.int64)
    for piece in pieces:
        if isinstance(piece, pa.Scalar):
            lengths += len(piece.as_py().encode()) if piece.is_valid else 0
        else:
            lengths += np.asarray(pc.binary_length(piece).fill_null(0), dtype=np.int64)
    joined = pc.binary_join_element_wise(
        *pieces, _PADS.take(pa.array(-lengths % 8)), _NOTHING, null_handling="replace"
    )
    return (joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined), lengths


def padded_hashes(padded: pa.Array, lengths: np.ndarray, seed: int, step: int) -> np.ndarray:
    """:func:`hashes` of keys already padded to whole words (``lengths``: unpadded)."""
    n = len(padded)
    offsets = np.frombuffer(padded.buffers()[1], dtype=np.int64)[
        padded.offset : padded.offset + n + 1
    ]
    first = int(offsets[0]) if n else 0
    total = (int(offsets[-1]) - first) // 8 if n else 0
    counts = np.diff(offsets) // 8  # words per key
    sums = np.zeros(n, dtype=np.uint64)
    if total:
        data = padded.buffers()[2]
        words = np.frombuffer(data, dtype="<u8", count=total, offset=first).astype(
            np.uint64, copy=False
        )
        starts = (offsets[:-1] - first) // 8
        # Each word's position in its key, and that position's key K[j] (in 32 bits when
        # they fit: NumPy's repeat is then several times faster).
        small = np.int32 if total < 2**31 else np.int64
        position = np.arange(total, dtype=small)
        np.subtract(position, np.repeat(starts.astype(small), counts), out=position)
        mixed = _position_keys(seed, step, int(counts.max()))[position]
        mixed ^= words
        _fmix(mixed, np.empty_like(mixed))
        some = counts > 0
        sums[some] = np.add.reduceat(mixed, starts[some])
    with np.errstate(over="ignore"):
        sums += lengths.astype(np.uint64) * _GOLD
        sums += np.uint64(seed)
    return _fmix(sums, np.empty_like(sums))


def reference(campaign: str, key: str) -> int:
    """The hash of one key in plain Python: the definition the NumPy code is tested against."""

    def fmix(x: int) -> int:
        x ^= x >> 33
        x = (x * _M1) & _MASK
        x ^= x >> 33
        x = (x * _M2) & _MASK
        return x ^ (x >> 33)

    seed, step = campaign_words(campaign)
    data = key.encode()
    padded = data + b"\0" * (-len(data) % 8)
    total = 0
    for j in range(len(padded) // 8):
        word = int.from_bytes(padded[8 * j : 8 * j + 8], "little")
        total += fmix(word ^ fmix((seed + (j + 1) * step) & _MASK))
    return fmix((total + len(data) * _GOLDEN + seed) & _MASK)
