"""ElastiCache: hits and misses (by hit_ratio, or by key and TTL), the database read on a miss, latency, faults.

The rules are the package docstring's (emulator/services/elasticache/__init__.py). The function's
call to the cache is its subsegment named after the cache; the database read of a miss is the
cache segment's subsegment named after the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, balanced, run, seconds, topology


def reporting(cache: dict[str, Any] | None = None, *, database: bool = True,
              db: dict[str, Any] | None = None) -> dict[str, Any]:
    components = [
        {"id": "Report", "kind": "lambda", "behavior": {"duration_ms": 20, "cold_start_ms": 0}},
        {"id": "Cache", "kind": "elasticache", "behavior": {"get_ms": 1, "set_ms": 1, **(cache or {})}},
    ]
    connections = [{"source": "Report", "target": "Cache", "role": "request"}]
    if database:
        components.append({"id": "Db", "kind": "rds", "behavior": {"query_ms": 50, "connect_ms": 0,
                                                                   "max_connections": 100, **(db or {})}})
        connections.append({"source": "Cache", "target": "Db", "role": "request"})
    return topology(components, connections)


def reads(count: int, per_second: float = 10, **payload: Any) -> list[dict[str, Any]]:
    return [{"target": "Report", "rate": {"per_second": per_second}, "count": count,
             "payload": {"n": "$seq", **payload}}]


def cache_segments(result: Run) -> list[Any]:
    return sorted(result.named("Cache"), key=lambda s: s.start_time)


def duration_ms(part: Any) -> float:
    return (seconds(part.end_time) - seconds(part.start_time)) * 1000.0


def test_without_a_key_the_share_of_hits_follows_hit_ratio() -> None:
    result = run(reporting({"hit_ratio": 0.9}), reads(2000, per_second=100), duration_s=30)
    metrics = result.component("Cache")
    assert metrics["GetTypeCmds"] == 2000 == metrics["CacheHits"] + metrics["CacheMisses"]
    assert metrics["CacheHitRate"] == pytest.approx(90, abs=2)
    assert result.component("Db")["Queries"] == metrics["CacheMisses"] == metrics["SetTypeCmds"]


def test_a_hit_answers_in_get_ms_and_never_touches_the_database() -> None:
    result = run(reporting({"hit_ratio": 1.0}), reads(5))
    assert result.component("Db")["Queries"] == 0
    for segment in cache_segments(result):
        assert segment.annotations["cache"] == "hit" and not segment.subsegments
        assert duration_ms(segment) == pytest.approx(1.0, abs=0.01)


def test_a_miss_reads_the_database_then_sets_the_value() -> None:
    result = run(reporting({"hit_ratio": 0.0}), reads(3))
    for segment in cache_segments(result):
        assert segment.annotations["cache"] == "miss"
        (query,) = segment.subsegments or []
        assert query.name == "Db"
        # GET (1 ms), the query (50 ms on an idle database), then SET (1 ms).
        assert seconds(query.start_time) - seconds(segment.start_time) == pytest.approx(0.001, abs=1e-5)
        assert duration_ms(segment) == pytest.approx(1 + duration_ms(query) + 1, abs=0.01)
    assert result.component("Cache")["SetTypeCmds"] == 3


def test_with_a_key_a_value_hits_until_its_ttl_then_misses_again() -> None:
    # One read of the same report every 10 s with a 25 s TTL: miss at 0, hits at 10 and 20, miss at 30...
    result = run(reporting({"key": "report", "ttl_s": 25}), reads(7, per_second=0.1, report="daily"),
                 duration_s=70)
    assert [s.annotations["cache"] for s in cache_segments(result)] == ["miss", "hit", "hit", "miss", "hit",
                                                                         "hit", "miss"]


def test_each_key_is_cached_on_its_own() -> None:
    source = [{"target": "Report", "rate": {"per_second": 1}, "count": 6,
               "payload": {"report": {"$choice": ["daily", "weekly"]}}}]
    result = run(reporting({"key": "report", "ttl_s": 3600}), source)
    keys = [s.metadata["message"]["payload"]["report"]  # type: ignore[index]
            for s in sorted(result.named("Report"), key=lambda s: s.start_time)]
    outcomes = [s.annotations["cache"] for s in cache_segments(result)]
    first_seen = [keys.index(k) == i for i, k in enumerate(keys)]
    assert outcomes == ["miss" if first else "hit" for first in first_seen]


def test_a_ttl_of_zero_keeps_nothing() -> None:
    result = run(reporting({"key": "report", "ttl_s": 0}), reads(4, report="daily"))
    assert result.component("Cache")["CacheHits"] == 0


def test_a_miss_uses_the_callers_database_connection() -> None:
    # One environment (sequential reads) opens one connection, whatever the number of misses.
    result = run(reporting({"hit_ratio": 0.0}), reads(5, per_second=1))
    assert result.component("Db")["DatabaseConnections"] == 1
    assert result.component("Db")["Queries"] == 5


def test_a_refused_database_connection_on_a_miss_fails_the_read_and_the_function() -> None:
    result = run(reporting({"hit_ratio": 0.0}, db={"max_connections": 1, "query_ms": 500}),
                 reads(3, per_second=1000))
    assert result.component("Db")["ConnectionsRefused"] == 2
    assert result.component("Cache")["Errors"] == 2
    assert result.component("Report")["Errors"] == 2
    assert balanced(result.summary)


def test_without_a_database_behind_it_a_miss_just_answers() -> None:
    result = run(reporting({"hit_ratio": 0.0}, database=False), reads(2))
    assert result.component("Cache")["CacheMisses"] == 2 and result.component("Cache")["SetTypeCmds"] == 0


def test_an_unavailable_cache_fails_reads_with_503() -> None:
    result = run(reporting(), reads(3), faults=[{"component": "Cache", "kind": "unavailable", "from_s": 0,
                                                 "to_s": 10}])
    assert all(s.fault for s in result.named("Cache"))
    assert result.component("Report")["Errors"] == 3


def test_an_error_rate_fault_fails_reads_with_500() -> None:
    result = run(reporting(), reads(3), faults=[{"component": "Cache", "kind": "error_rate", "value": 1.0,
                                                 "from_s": 0, "to_s": 10}])
    assert {s.cause["exceptions"][0]["type"] for s in result.named("Cache")} == {  # type: ignore[index]
        "ReplicationGroupNotAvailable"}


def test_a_slow_fault_adds_its_milliseconds_to_a_get() -> None:
    result = run(reporting({"hit_ratio": 1.0}), reads(1),
                 faults=[{"component": "Cache", "kind": "slow", "value": 40, "from_s": 0, "to_s": 10}])
    (segment,) = result.named("Cache")
    assert duration_ms(segment) == pytest.approx(41, abs=0.01)


def test_nodes_are_billed_by_the_hour() -> None:
    document = reporting({"hit_ratio": 1.0, "hourly_usd": 0.036}, database=False)
    document["components"][1]["properties"] = {"NumCacheNodes": 2, "Engine": "memcached"}
    result = run(document, reads(1), duration_s=3600, drain_s=0)
    hours = result.summary["virtual_seconds"] / 3600
    assert result.summary["cost_usd"]["by_component"]["Cache"] == pytest.approx(2 * 0.036 * hours, rel=1e-3)
