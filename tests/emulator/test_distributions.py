"""Durations: fixed, or lognormal with the given median and p99 (emulator/distributions.py)."""

from __future__ import annotations

import math
import random

import pytest

from emulator.distributions import Duration


def test_a_lognormal_draw_is_exactly_random_lognormvariate() -> None:
    # sample() writes lognormvariate out to save two calls; traces depend on it drawing the same.
    duration = Duration(50, 250)
    reference, rng = random.Random(11), random.Random(11)
    mu = math.log(50)
    sigma = (math.log(250) - mu) / 2.3263478740408408
    for _ in range(10_000):
        assert duration.sample(rng) == reference.lognormvariate(mu, sigma)
    assert rng.random() == reference.random()  # and used the same number of draws


@pytest.mark.parametrize(("median", "p99"), [(5, 20), (50, 250), (250, 900)])
def test_samples_have_the_specified_median_and_p99(median: float, p99: float) -> None:
    rng = random.Random(4)
    draws = sorted(Duration(median, p99).sample(rng) for _ in range(200_000))
    assert draws[len(draws) // 2] == pytest.approx(median, rel=0.02)
    assert draws[int(len(draws) * 0.99)] == pytest.approx(p99, rel=0.03)


def test_a_fixed_duration_draws_nothing() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    assert Duration.from_spec(12).sample(rng) == 12.0
    assert Duration(30, 30).sample(rng) == 30.0
    assert rng.getstate() == state
