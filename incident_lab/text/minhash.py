"""Shingling, MinHash signatures and a banded LSH index (numpy, no other dependency).

- A text (already normalised, see :mod:`incident_lab.text.normalize`) becomes the
  sequence of its overlapping :data:`SHINGLE`-byte shingles of UTF-8, each packed
  exactly into one ``uint64`` (no hashing, so no collisions and the same values in
  every process: Python's ``hash`` is salted per process and would break Dask).
- :class:`MinHasher` maps a set of shingles to :data:`NUM_PERM` minima of
  multiply-shift hash functions ``h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32`` with
  random odd ``a_i`` from a fixed seed. The share of equal minima between two
  signatures estimates the Jaccard similarity of the two sets.
- :meth:`MinHasher.window_signatures` signs every window of ``width`` shingles at
  a stride, in one pass: minima per block of ``stride`` shingles, then a running
  minimum over consecutive blocks. A payload pasted inside a long document is
  found because some window covers it almost exactly.
- :class:`LSHIndex` splits signatures into ``bands`` of ``rows`` values; two
  signatures become candidates when one band is identical, which happens with
  probability ``1 - (1 - J**rows)**bands`` (the S-curve). :func:`lsh_params`
  picks the bands for a similarity threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]

#: Shingle size in bytes of normalised UTF-8 (5 letters of Latin text).
SHINGLE = 5
#: Hash functions per signature.
NUM_PERM = 128
#: Seed of the hash functions: fixed, so signatures are comparable across runs and workers.
SEED = 20260201
_ROWS_PER_CHUNK = 4096
_SHIFT = np.uint64(32)


def shingle_array(text: str, k: int = SHINGLE) -> U64:
    """Return the positional shingles of ``text`` (``len(utf8) - k + 1`` values, at least 1).

    Each shingle is ``k`` consecutive bytes read as a little-endian integer: one
    unaligned 8-byte view of the (zero-padded) bytes at every offset, masked to
    ``k`` bytes, so the whole array costs two vector operations.

    Args:
        text: Normalised text; empty text gives an empty array.
        k: Shingle size in bytes (at most 8, so a shingle packs into 64 bits exactly).
    """
    return shingle_bytes(text.encode("utf-8"), k)


def shingle_bytes(data: bytes, k: int = SHINGLE) -> U64:
    """:func:`shingle_array` of text already encoded as UTF-8 (``data``)."""
    if not data:
        return np.zeros(0, dtype=np.uint64)
    n = max(1, len(data) - k + 1)
    padded = data + bytes(8 + k)
    view = np.ndarray((n,), dtype="<u8", buffer=padded, strides=(1,))
    out: U64 = view & np.uint64((1 << (8 * k)) - 1)
    return out.astype(np.uint64, copy=False)


def sorted_distinct(values: U64) -> U64:
    """The distinct values of a 1-D array, ascending: ``np.unique(values)`` for integers.

    A sort and a shifted compare: ``np.unique`` answers the same for integer arrays but
    imports ``numpy.ma`` on its first call (about 10 ms of every search's start-up) and
    costs several times more on the prefilter's keys.
    """
    out: U64 = np.sort(values)
    if out.size > 1:
        out = out[np.concatenate(([True], out[1:] != out[:-1]))]
    return out


def lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """Choose ``(bands, rows)`` with ``bands * rows == num_perm`` for a Jaccard threshold.

    Picks the split whose S-curve midpoint ``(1/bands) ** (1/rows)`` is the largest
    value at or below ``0.8 * threshold``: pairs at the threshold are almost surely
    candidates (few false negatives), and the exact estimate then filters.
    """
    target = 0.8 * threshold
    options = [(b, num_perm // b) for b in range(1, num_perm + 1) if num_perm % b == 0]
    below = [(b, r) for b, r in options if (1.0 / b) ** (1.0 / r) <= target]
    if not below:
        return options[-1]
    return max(below, key=lambda br: (1.0 / br[0]) ** (1.0 / br[1]))


class MinHasher:
    """MinHash signatures with :data:`NUM_PERM` multiply-shift hash functions.

    Args:
        num_perm: Number of hash functions.
        seed: Seed of their parameters.
    """

    def __init__(self, num_perm: int = NUM_PERM, seed: int = SEED) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self._a = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(
            1
        )
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)

    def _hash_unshifted(self, shingles: U64) -> U64:
        """``(a_i * x + b_i) mod 2**64`` for every shingle and hash function: the hash
        before its ``>> 32``. Shifting is monotone, so the minimum of the shifted values
        is the shifted minimum: callers shift only the minima (one pass over the
        ``(n, num_perm)`` array less)."""
        # Array arithmetic on uint64 wraps modulo 2**64 (no overflow warning for arrays);
        # in place, so the (n, num_perm) array is allocated once.
        out: U64 = np.multiply.outer(shingles, self._a)
        out += self._b
        return out

    def signature(self, shingles: U64) -> U64:
        """Return the MinHash signature of a set of shingles (duplicates do not matter)."""
        if shingles.size == 0:
            return np.full(self.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        mins = [
            self._hash_unshifted(shingles[i : i + _ROWS_PER_CHUNK]).min(axis=0)
            for i in range(0, shingles.size, _ROWS_PER_CHUNK)
        ]
        out: U64 = np.minimum.reduce(mins) if len(mins) > 1 else mins[0]
        out >>= _SHIFT
        return out

    def window_signatures(self, shingles: U64, width: int, stride: int) -> U64:
        """Sign every window of ``width`` shingles starting at multiples of ``stride``.

        Windows are made of whole blocks of ``stride`` shingles (``ceil(width/stride)``
        blocks), so each is at most ``stride - 1`` shingles wider than ``width``. Text
        shorter than one window gives one signature of the whole.

        Returns:
            A ``(windows, num_perm)`` array.
        """
        n = shingles.size
        stride = max(1, stride)
        per_window = max(1, -(-width // stride))
        if n <= per_window * stride:
            return self.signature(shingles)[None, :]
        step = max(stride, (_ROWS_PER_CHUNK // stride) * stride)
        blocks = [
            _block_minima(self._hash_unshifted(shingles[start : start + step]), stride)
            for start in range(0, n, step)
        ]
        mins = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        mins >>= _SHIFT
        count = mins.shape[0] - per_window + 1
        windows: U64 = mins[:count].copy()
        for t in range(1, per_window):
            np.minimum(windows, mins[t : t + count], out=windows)
        return windows


def _block_minima(hashed: U64, stride: int) -> U64:
    """Column minima of each block of ``stride`` rows (the last block may be shorter).

    ``np.minimum.reduceat(hashed, range(0, n, stride), axis=0)``, computed as one
    reduction over a ``(blocks, stride, num_perm)`` view of the whole blocks (reduceat
    along the first axis of a 2-D array costs about twice as much).
    """
    full = hashed.shape[0] // stride
    out: U64 = hashed[: full * stride].reshape(full, stride, hashed.shape[1]).min(axis=1)
    if full * stride < hashed.shape[0]:
        out = np.concatenate((out, hashed[full * stride :].min(axis=0)[None, :]))
    return out


@dataclass
class LSHIndex:
    """Banded LSH over MinHash signatures.

    Attributes:
        bands: Number of bands.
        rows: Signature values per band (``bands * rows`` = signature length).
    """

    bands: int
    rows: int
    _table: list[dict[int, list[int]]] = field(default_factory=list, repr=False)
    _weights: U64 = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(SEED + 1)
        self._weights = rng.integers(1, 2**63, size=self.rows, dtype=np.uint64) | np.uint64(1)
        self._table = [{} for _ in range(self.bands)]

    def band_keys(self, signatures: U64) -> U64:
        """Return one 64-bit key per band for each signature: shape ``(n, bands)``."""
        sigs = np.atleast_2d(signatures).reshape(-1, self.bands, self.rows)
        # The weighted sum of each band's rows modulo 2**64, as a matrix product (integer
        # matmul wraps as the elementwise product and sum did; no temporary array).
        keys: U64 = sigs @ self._weights
        return keys

    def insert(self, key: int, signature: U64) -> None:
        """Index ``signature`` under the integer ``key``."""
        for band, value in enumerate(self.band_keys(signature)[0].tolist()):
            self._table[band].setdefault(value, []).append(key)

    def query(self, signatures: U64) -> list[set[int]]:
        """For each signature, the keys sharing at least one band with it."""
        out: list[set[int]] = []
        for row in self.band_keys(signatures).tolist():
            hits: set[int] = set()
            for band, value in enumerate(row):
                found = self._table[band].get(value)
                if found:
                    hits.update(found)
            out.append(hits)
        return out

    def keys(self) -> Iterable[int]:
        """Every key in the index."""
        seen: set[int] = set()
        for table in self._table:
            for keys in table.values():
                seen.update(keys)
        return sorted(seen)
