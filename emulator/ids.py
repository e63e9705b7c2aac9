"""Trace and segment ids in X-Ray's formats (compiled with the hot path: a run makes six a message)."""

from __future__ import annotations

import random

from emulator.tracing import EPOCH


class Ids:
    """Trace and segment ids in X-Ray's formats, drawn from the run's own generator.

    Random bits become hex through ``int.to_bytes(...).hex()``: the same digits as a ``:016x``
    format (zero-padded, lower case) at about half the cost, and a run makes several per message.
    """

    __slots__ = ("_bits", "_second", "_prefix")

    def __init__(self, seed: int) -> None:
        self._bits = random.Random(f"{seed}:ids").getrandbits
        self._second = -1
        self._prefix = ""

    def trace_id(self, virtual_seconds: float) -> str:
        # X-Ray: version 1, the start time in epoch seconds as 8 hex digits, 96 random bits.
        second = int(EPOCH + virtual_seconds)
        if second != self._second:  # most traces start in the same second as the one before
            self._second = second
            self._prefix = f"1-{second:08x}-"
        return self._prefix + self._bits(96).to_bytes(12).hex()

    def segment_id(self) -> str:
        return self._bits(64).to_bytes(8).hex()
