"""Payload templates, compiled once per source (emulator/sources.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from emulator.sources import compile_object, compile_template
from emulator.tracing import EPOCH


def expand(template: Any, seed: int = 1, sequence: int = 7, message_id: str = "msg-000007", now: float = 1.5) -> Any:
    return compile_template(template)(random.Random(seed), sequence, message_id, now)


def test_string_generators_give_the_sequence_the_message_id_and_the_time() -> None:
    timestamp = datetime.fromtimestamp(EPOCH + 1.5, tz=UTC).isoformat(timespec="milliseconds")
    assert expand(["$seq", "$message_id", "$timestamp"]) == [7, "msg-000007", timestamp]


def test_a_doubled_dollar_is_a_literal_and_an_unknown_generator_stays_as_written() -> None:
    assert expand({"price": "$$5", "note": "$nothing", "plain": "text"}) == {
        "price": "$5", "note": "$nothing", "plain": "text"}


def test_uniform_integers_draw_as_randint_and_numbers_as_rounded_uniform() -> None:
    reference = random.Random(1)
    integer = compile_template({"$uniform": [1, 500]})
    number = compile_template({"$uniform": [0.5, 2.5]})
    rng = random.Random(1)
    for _ in range(100):
        assert integer(rng, 1, "m", 0.0) == reference.randint(1, 500)
        assert number(rng, 1, "m", 0.0) == round(reference.uniform(0.5, 2.5), 2)


def test_uniform_integers_over_one_value_or_a_range_past_64_bits_still_draw_as_randint() -> None:
    rng, reference = random.Random(8), random.Random(8)
    single = compile_template({"$uniform": [7, 7]})
    huge = compile_template({"$uniform": [-(2**70), 2**70]})
    for _ in range(200):
        assert single(rng, 1, "m", 0.0) == reference.randint(7, 7)
        assert huge(rng, 1, "m", 0.0) == reference.randint(-(2**70), 2**70)


def test_choice_draws_as_randrange_or_weighted_choices_and_expands_the_pick() -> None:
    options = ["a", "$seq", {"n": "$seq"}]
    plain = compile_template({"$choice": options})
    weighted = compile_template({"$choice": options, "weights": [1, 2, 3]})
    reference, rng = random.Random(3), random.Random(3)
    expanded = {"a": "a", "$seq": 9, 2: {"n": 9}}
    for _ in range(50):
        pick = options[reference.randrange(3)]
        assert plain(rng, 9, "m", 0.0) == expanded[pick if isinstance(pick, str) else 2]
        pick = reference.choices(options, [1, 2, 3])[0]
        assert weighted(rng, 9, "m", 0.0) == expanded[pick if isinstance(pick, str) else 2]


def test_nested_templates_keep_their_key_order_and_draw_in_order() -> None:
    template = {"b": {"$uniform": [1, 9]}, "a": [{"$uniform": [1, 9]}, "$seq"], "c": "fixed"}
    got = expand(template, seed=5)
    reference = random.Random(5)
    assert got == {"b": reference.randint(1, 9), "a": [reference.randint(1, 9), 7], "c": "fixed"}
    assert list(got) == ["b", "a", "c"]


def test_templates_without_generators_are_shared_not_rebuilt() -> None:
    template = {"event": "order.created", "items": [1, 2, {"sku": "x"}]}
    expanded = compile_template(template)
    assert expanded(random.Random(1), 1, "m", 0.0) is template
    attributes = {"store": "eu"}
    assert compile_object(attributes)(random.Random(1), 1, "m", 0.0) is attributes


def test_attribute_values_are_templates_but_their_names_are_taken_as_written() -> None:
    attributes = compile_object({"$store": {"$choice": ["eu", "us"]}, "seq": "$seq"})
    got = attributes(random.Random(2), 4, "m", 0.0)
    assert got == {"$store": ["eu", "us"][random.Random(2).randrange(2)], "seq": 4}
