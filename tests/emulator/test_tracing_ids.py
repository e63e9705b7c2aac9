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


def test_ids_stay_the_generators_draws_across_refills_of_the_drawn_words() -> None:
    ids = Ids(3)
    bits = random.Random("3:ids").getrandbits
    # 3 + 2 words at a time never divides the words drawn at once evenly: ids straddle refills.
    for second in range(400):
        assert ids.trace_id(float(second)) == f"1-{int(EPOCH + second):08x}-{bits(96):024x}"
        assert ids.segment_id() == f"{bits(64):016x}"


def test_small_bit_patterns_keep_their_leading_zeros() -> None:
    ids = Ids(1)
    ids._bits = lambda count: int("00000005" * (count // 32), 16)  # every 32-bit word is 5
    assert ids.segment_id() == "0000000500000005"
    assert ids.trace_id(0.0).endswith("-" + "000000050000000500000005")
