"""A memo for pure functions of one text that keeps no long text.

The analysis memoises per-text results with ``functools.lru_cache``, which holds the text
as its key: fine for short texts, so a text over the memo bound is recomputed on every call
(a 30 KB document read in several sessions is cut into units and segments again each
time). :func:`text_memo` keys short texts by themselves and long ones by a 16-byte
BLAKE2b digest of their content (as the spans' memo in
:mod:`incident_lab.provenance.cues` does): only the digest and the result are kept, and
at most ``long_size`` long texts.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache, update_wrapper
from typing import Generic, NamedTuple, ParamSpec, TypeVar

R = TypeVar("R")


class MemoInfo(NamedTuple):
    """What :meth:`TextMemo.cache_info` reports, as ``functools`` names it."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


def digest(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of ``text`` (lone surrogates allowed)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class TextMemo(Generic[R]):
    """``fn(text)`` memoised: by the text up to ``short_chars`` characters (``maxsize``
    entries), by its digest above (``long_size`` entries, least recently used dropped).

    Looks like an ``lru_cache`` to the code that clears memos: ``cache_clear``,
    ``cache_info``, ``__wrapped__``, and the name and module of ``fn``.
    """

    def __init__(
        self, fn: Callable[[str], R], maxsize: int, short_chars: int, long_size: int
    ) -> None:
        update_wrapper(self, fn)  # name, module, docstring: clear_memo finds it by module
        self.__wrapped__ = fn
        self._short = lru_cache(maxsize=maxsize)(fn)
        self._long: OrderedDict[bytes, R] = OrderedDict()
        self._short_chars = short_chars
        self._long_size = long_size
        self._hits = self._misses = 0

    def __call__(self, text: str) -> R:
        if len(text) <= self._short_chars:
            return self._short(text)
        key = digest(text)
        if key in self._long:
            self._hits += 1
            self._long.move_to_end(key)
            return self._long[key]
        self._misses += 1
        found = self._long[key] = self.__wrapped__(text)
        if len(self._long) > self._long_size:
            self._long.popitem(last=False)
        return found

    def cache_clear(self) -> None:
        """Forget every result."""
        self._short.cache_clear()
        self._long.clear()
        self._hits = self._misses = 0

    def cache_info(self) -> MemoInfo:
        """Hits, misses, bound and size over both memos."""
        short = self._short.cache_info()
        return MemoInfo(
            short.hits + self._hits,
            short.misses + self._misses,
            (short.maxsize or 0) + self._long_size,
            short.currsize + len(self._long),
        )


def text_memo(
    maxsize: int, short_chars: int, long_size: int
) -> Callable[[Callable[[str], R]], TextMemo[R]]:
    """Decorator: memoise a pure function of one text with :class:`TextMemo`. Its results
    are shared between callers, so they must not be mutated (return tuples)."""

    def wrap(fn: Callable[[str], R]) -> TextMemo[R]:
        return TextMemo(fn, maxsize, short_chars, long_size)

    return wrap


P = ParamSpec("P")


class ShortTextMemo(Generic[P, R]):
    """``fn`` memoised with ``functools.lru_cache`` while its text argument (the positional
    argument ``text_at``) is at most ``chars`` long; a long paste is computed on every call
    and never kept, and so is a call with keyword arguments. Looks like an ``lru_cache`` to
    the code that clears memos (``cache_clear``, ``cache_info``, ``__wrapped__``, the name
    and module of ``fn``)."""

    def __init__(self, fn: Callable[P, R], maxsize: int, text_at: int, chars: int) -> None:
        update_wrapper(self, fn)
        self.__wrapped__ = fn
        self._cached = lru_cache(maxsize=maxsize)(fn)
        self._text_at = text_at
        self._chars = chars
        self.cache_clear = self._cached.cache_clear
        self.cache_info = self._cached.cache_info

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        text = args[self._text_at] if args else None
        if kwargs or not isinstance(text, str) or len(text) > self._chars:
            return self.__wrapped__(*args, **kwargs)
        return self._cached(*args)


def short_text_memo(
    maxsize: int, text_at: int = -1, chars: int = 4096
) -> Callable[[Callable[P, R]], ShortTextMemo[P, R]]:
    """Decorator: memoise a pure function of several arguments, one of them a text, with
    :class:`ShortTextMemo`: the questions detectors ask about a user turn ("did the user ask
    for this call?") recur for every call of a session, and a long paste is not kept."""

    def wrap(fn: Callable[P, R]) -> ShortTextMemo[P, R]:
        return ShortTextMemo(fn, maxsize, text_at, chars)

    return wrap
