"""RDS: one connection per Lambda execution environment, the connection limit, slowdown under load.

The rules are the package docstring's (emulator/services/rds/__init__.py), read from traces and
summaries: the database call is the function's subsegment named after the database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.scenario import Run, run, seconds, topology

AT_ONCE = 1_000_000  # requests per second: a source that sends its whole count in a few microseconds


def function_to_database(max_connections: int = 100, query_ms: Any = 10, connect_ms: float = 25,
                         function_properties: dict[str, Any] | None = None, **function_behavior: Any) -> dict[str, Any]:
    return topology(
        [{"id": "Handler", "kind": "lambda", "properties": function_properties or {},
          "behavior": {"duration_ms": 100, "cold_start_ms": 0, **function_behavior}},
         {"id": "Db", "kind": "rds", "behavior": {"max_connections": max_connections, "query_ms": query_ms,
                                                 "connect_ms": connect_ms}}],
        [{"source": "Handler", "target": "Db", "role": "request"}],
    )


def invocations(count: int, per_second: float = AT_ONCE, start_s: float = 0) -> list[dict[str, Any]]:
    return [{"target": "Handler", "rate": {"per_second": per_second}, "count": count, "start_s": start_s,
             "payload": {"n": "$seq"}}]


def queries(result: Run) -> list[Any]:
    """The function's calls to the database, in the order the invocations started."""
    handlers = sorted(result.named("Handler"), key=lambda s: s.annotations["message_id"])
    return [next(s for s in h.subsegments if s.name == "Db") for h in handlers]


def duration_ms(part: Any) -> float:
    return (seconds(part.end_time) - seconds(part.start_time)) * 1000.0


def ms(expected: float) -> Any:
    """A duration read back from epoch timestamps, which keep about a microsecond."""
    return pytest.approx(expected, abs=0.01)


# One connection per execution environment ----------------------------------------------------------
def test_an_environment_opens_one_connection_on_its_first_query_and_reuses_it() -> None:
    result = run(function_to_database(max_connections=4), invocations(3, per_second=1))
    # One environment (the invocations do not overlap): one connection, opened once (25 ms).
    first, second, third = (duration_ms(q) for q in queries(result))
    one_of_four = 10 * (1 + 3 * 0.25 ** 2)
    assert first == ms(25 + one_of_four)
    assert second == ms(one_of_four) and third == ms(one_of_four)
    metrics = result.component("Db")
    assert metrics["DatabaseConnections"] == 1
    assert metrics["Queries"] == 3


def test_concurrent_environments_each_hold_a_connection() -> None:
    result = run(function_to_database(), invocations(7))
    assert result.component("Handler")["ConcurrentExecutions"] == 7
    assert result.component("Db")["DatabaseConnections"] == 7


def test_connections_stay_open_while_the_environments_live_and_count_against_the_limit() -> None:
    # Two environments at t=0 keep their connections; at t=10 they are warm and busy again with
    # a third invocation that needs a third environment, whose connection the limit refuses.
    result = run(function_to_database(max_connections=2), [*invocations(2), *invocations(3, start_s=10)],
                 duration_s=11)
    assert result.component("Db")["ConnectionsRefused"] == 1
    assert result.component("Handler")["Errors"] == 1


def test_the_connection_of_a_reclaimed_environment_is_closed() -> None:
    # One connection allowed; the first environment is reclaimed after 30 idle seconds, so the
    # environment that starts at t=100 may open its own.
    result = run(function_to_database(max_connections=1, idle_timeout_s=30),
                 [*invocations(1), *invocations(1, start_s=100)], duration_s=101)
    assert [s.annotations["cold_start"] for s in result.named("Handler")] == [True, True]
    assert result.component("Db")["ConnectionsRefused"] == 0
    assert result.component("Handler")["Errors"] == 0


# The connection limit ----------------------------------------------------------------------------
def test_connections_beyond_max_connections_are_refused_with_too_many_connections() -> None:
    result = run(function_to_database(max_connections=3), invocations(5))
    refused = [q for q in queries(result) if q.fault]
    assert len(refused) == 2
    for query in refused:
        assert query.cause["exceptions"][0]["type"] == "TooManyConnections"
        assert "sorry, too many clients already" in query.cause["exceptions"][0]["message"]
        # A database driver does not retry like the AWS SDKs.
        assert "retries" not in query.aws
    metrics = result.component("Db")
    assert metrics["ConnectionsRefused"] == 2
    assert metrics["DatabaseConnections"] == 3
    assert metrics["Queries"] == 3
    assert result.component("Handler")["Errors"] == 2
    assert result.summary["messages"]["rejected"] == 2


def test_at_the_limit_environments_that_hold_a_connection_keep_querying() -> None:
    # The first wave: 3 environments, 2 connections, 1 refusal. The later invocations run one at a
    # time on a warm environment that holds a connection: no new connection, no refusal.
    result = run(function_to_database(max_connections=2, connect_ms=500),
                 [*invocations(3), *invocations(3, per_second=1, start_s=5)], duration_s=8)
    assert [q.fault for q in queries(result)] == [False, False, True, False, False, False]
    opened = [duration_ms(q) > 500 for q in queries(result)]
    assert opened == [True, True, False, False, False, False]
    metrics = result.component("Db")
    assert (metrics["DatabaseConnections"], metrics["ConnectionsRefused"], metrics["Queries"]) == (2, 1, 5)


# Slowdown under load -----------------------------------------------------------------------------
@pytest.mark.parametrize(("connections", "expected_ms"), [(1, 10 * (1 + 3 * 0.1 ** 2)),
                                                          (5, 10 * (1 + 3 * 0.5 ** 2)),
                                                          (10, 10 * (1 + 3 * 1.0 ** 2))])
def test_queries_slow_down_by_one_plus_three_times_the_squared_share_of_connections_in_use(
        connections: int, expected_ms: float) -> None:
    result = run(function_to_database(max_connections=10, connect_ms=0), invocations(connections))
    # The last query to start sees every connection open.
    assert duration_ms(queries(result)[-1]) == ms(expected_ms)
    assert result.component("Db")["QueryLatency"]["p99"] == pytest.approx(expected_ms, rel=0.01)


# Faults ------------------------------------------------------------------------------------------
def fault(kind: str, value: float | None = None, to_s: float = 1) -> list[dict[str, Any]]:
    window: dict[str, Any] = {"component": "Db", "kind": kind, "from_s": 0, "to_s": to_s}
    if value is not None:
        window["value"] = value
    return [window]


def test_an_unavailable_database_answers_503_and_the_invocation_fails() -> None:
    result = run(function_to_database(), invocations(4, per_second=2), faults=fault("unavailable", to_s=1.05))
    failed = [q for q in queries(result) if q.fault]
    assert len(failed) == 2
    assert {q.cause["exceptions"][0]["type"] for q in failed} == {"ServiceUnavailable"}
    assert result.component("Handler")["Errors"] == 2


def test_a_slow_fault_adds_its_milliseconds_to_each_query() -> None:
    result = run(function_to_database(max_connections=4, connect_ms=0), invocations(2, per_second=0.5),
                 faults=fault("slow", 200, to_s=1.2))
    one_of_four = 10 * (1 + 3 * 0.25 ** 2)
    assert [duration_ms(q) for q in queries(result)] == [ms(one_of_four + 200), ms(one_of_four)]


def test_an_error_rate_fault_fails_queries_with_500() -> None:
    result = run(function_to_database(), invocations(4, per_second=2), faults=fault("error_rate", 1.0, to_s=1.05))
    statuses = [q.fault for q in queries(result)]
    assert statuses == [True, True, False, False]
    assert queries(result)[0].cause["exceptions"][0]["type"] == "QueryFailed"


# Cost --------------------------------------------------------------------------------------------
def test_cost_is_the_instance_price_by_the_hour() -> None:
    result = run(function_to_database(), invocations(10, per_second=1), duration_s=10)
    hours = result.summary["virtual_seconds"] / 3600
    assert result.summary["cost_usd"]["by_component"]["Db"] == pytest.approx(hours * 0.065, rel=1e-3)
