import random

import pytest

from emulator.histogram import EXACT_LIMIT, GAMMA, Latencies, percentiles


def test_small_distributions_are_exact() -> None:
    latencies = Latencies()
    for value in (5.0, 1.0, 3.0, 2.0, 4.0):
        latencies.add(value)
    assert latencies.exact
    assert latencies.percentiles((50, 90), with_max=True) == {"p50": 3.0, "p90": 5.0, "max": 5.0}


def test_empty_distribution_reports_zeros() -> None:
    assert Latencies().percentiles((50, 99), with_max=True) == {"p50": 0.0, "p99": 0.0, "max": 0.0}


def test_large_distributions_stay_within_half_a_percent_of_exact() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(4.0, 1.2) for _ in range(5 * EXACT_LIMIT)]
    latencies = Latencies()
    for value in values:
        latencies.add(value)
    assert not latencies.exact and len(latencies) == len(values)
    exact = percentiles(values, (1, 50, 90, 99, 100), with_max=True)
    folded = latencies.percentiles((1, 50, 90, 99, 100), with_max=True)
    assert folded["max"] == exact["max"]
    bound = (GAMMA - 1) / (GAMMA + 1)
    for name, value in exact.items():
        assert folded[name] == pytest.approx(value, rel=bound, abs=0.05), name


def test_memory_is_buckets_not_values_once_large() -> None:
    latencies = Latencies()
    for index in range(20 * EXACT_LIMIT):
        latencies.add(100.0 + index % 1000 / 10.0)  # 100 ms to 200 ms: about 70 buckets of 1%
    assert len(latencies._buckets) < 80


def test_zero_latencies_sort_first_once_folded() -> None:
    latencies = Latencies()
    for index in range(EXACT_LIMIT + 1):
        latencies.add(0.0 if index % 2 else 50.0)
    assert latencies.percentiles((25, 75)) == {"p25": 0.0, "p75": pytest.approx(50.0, rel=0.005)}
