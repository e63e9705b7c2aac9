"""X-Ray ids (emulator/tracing.py Ids): hex digits from the run's own generator."""

from __future__ import annotations

import random

from emulator.ids import Ids
from emulator.tracing import EPOCH


def test_ids_are_the_zero_padded_hex_of_the_generators_bits() -> None:
    ids = Ids(9)
    bits = random.Random("9:ids").getrandbits
    for virtual_seconds in (0.0, 0.4, 1.0, 3600.5):
        assert ids.trace_id(virtual_seconds) == f"1-{int(EPOCH + virtual_seconds):08x}-{bits(96):024x}"
        for _ in range(50):
            assert ids.segment_id() == f"{bits(64):016x}"


def test_small_bit_patterns_keep_their_leading_zeros() -> None:
    ids = Ids(1)
    ids._bits = lambda count: 5
    assert ids.segment_id() == "0000000000000005"
    assert ids.trace_id(0.0).endswith("-" + "0" * 23 + "5")
