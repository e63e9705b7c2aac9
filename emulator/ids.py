"""Trace and segment ids in X-Ray's formats (compiled with the hot path: a run makes six a message)."""

from __future__ import annotations

import random
from typing import Final

from emulator.tracing import EPOCH

# 32-bit words drawn from the generator at once: one getrandbits call for some 100 ids.
_WORDS: Final = 256


class Ids:
    """Trace and segment ids in X-Ray's formats, drawn from the run's own generator.

    An id of n 32-bit words is the zero-padded hex of ``getrandbits(32 * n)``. getrandbits fills
    its result with the generator's words least significant first, so the hex of one large draw
    holds every id to come, back to front: the first id is its last 16 digits, the next the 16
    before them, and so on. Slicing that text gives the very same ids as a draw each (a test
    compares them) for a tenth of the work: a run makes several per message.
    """

    __slots__ = ("_bits", "_second", "_prefix", "_hex", "_end")

    def __init__(self, seed: int) -> None:
        self._bits = random.Random(f"{seed}:ids").getrandbits
        self._second = -1
        self._prefix = ""
        # The drawn words not yet used are the hex digits before ``_end``, the oldest last.
        self._hex = ""
        self._end = 0

    def _next_words(self, words: int) -> str:
        """The hex digits of the generator's next ``words`` words, as ``getrandbits(32 * words)`` gives them."""
        end = self._end
        start = end - 8 * words
        if start < 0:
            # Newer words go in front of the ones left over: they are more significant.
            self._hex = self._bits(32 * _WORDS).to_bytes(4 * _WORDS).hex() + self._hex[:end]
            end = len(self._hex)
            start = end - 8 * words
        self._end = start
        return self._hex[start:end]

    def trace_id(self, virtual_seconds: float) -> str:
        # X-Ray: version 1, the start time in epoch seconds as 8 hex digits, 96 random bits.
        second = int(EPOCH + virtual_seconds)
        if second != self._second:  # most traces start in the same second as the one before
            self._second = second
            self._prefix = f"1-{second:08x}-"
        return self._prefix + self._next_words(3)

    def segment_id(self) -> str:
        return self._next_words(2)
