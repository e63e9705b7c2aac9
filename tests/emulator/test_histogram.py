import random

import pytest

from emulator.histogram import EXACT_LIMIT, GAMMA, Latencies, percentiles
from emulator.ledger import Ledger
from emulator.messages import COMPLETED, DEAD_LETTERED


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


def test_ledger_counts_without_keeping_records() -> None:
    ledger = Ledger()
    done = ledger.accept("m1", "t1", 0.0)
    dead = ledger.accept("m2", "t2", 0.0)
    refused = ledger.accept("m3", "t3", 0.0)
    open_ = ledger.accept("m4", "t4", 0.0)
    ledger.release(done, COMPLETED, 0.25)
    ledger.release(dead, DEAD_LETTERED, 1.0)
    ledger.reject(refused)
    ledger.release(refused, COMPLETED, 1.0)
    assert open_.tokens == 1
    assert ledger.counts() == {"accepted": 3, "completed": 1, "dead_lettered": 1, "rejected": 1,
                               "in_flight": 1, "lost": 0, "duplicate_deliveries": 0}
    assert ledger.latencies.percentiles((50,)) == {"p50": 250.0}


def test_a_rejected_message_with_a_copy_still_travelling_is_not_in_flight() -> None:
    ledger = Ledger()
    record = ledger.accept("m1", "t1", 0.0)
    ledger.hold(record)  # the function queued a copy before failing the request
    ledger.reject(record)
    ledger.release(record, COMPLETED, 1.0)
    assert ledger.counts()["in_flight"] == 0 and ledger.open_messages == 1
    ledger.release(record, COMPLETED, 2.0)
    assert ledger.open_messages == 0 and ledger.counts()["completed"] == 0
