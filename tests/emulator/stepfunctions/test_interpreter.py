"""The States Language interpreter in virtual time: what the recorded AWS cases cannot show.

The conformance suite checks outputs and errors; these tests check when things happen
(Wait, Retry backoff and jitter, timeouts, Map concurrency), all on the kernel's clock.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from emulator.kernel import Kernel
from emulator.stepfunctions import Execution, TaskError, TaskRequest, execute

Handler = Callable[[TaskRequest, Kernel], None]


def run(definition: dict[str, Any], input: Any = None, handler: Handler | None = None,
        seed: int = 0) -> Execution:
    """One execution on its own kernel; ``handler`` answers each Task when it likes."""
    kernel = Kernel()

    def run_task(request: TaskRequest) -> None:
        if handler is None:
            request.succeed(request.payload)
        else:
            handler(request, kernel)

    execution = Execution(definition, {} if input is None else input, kernel=kernel, run_task=run_task,
                          rng=random.Random(seed))
    execution.start()
    kernel.run()
    return execution


def times(execution: Execution, kind: str) -> list[float]:
    return [event["time"] for event in execution.history if event["type"] == kind]


def machine(*states: tuple[str, dict[str, Any]], **top: Any) -> dict[str, Any]:
    chained = {}
    for position, (name, state) in enumerate(states):
        state = dict(state)
        if state["Type"] not in ("Choice", "Succeed", "Fail") and "Next" not in state and "End" not in state:
            if position + 1 < len(states):
                state["Next"] = states[position + 1][0]
            else:
                state["End"] = True
        chained[name] = state
    return {"StartAt": states[0][0], "States": chained, **top}


def always_fails(error: str, cause: str = "boom") -> Handler:
    def handler(request: TaskRequest, kernel: Kernel) -> None:
        request.fail(error, cause)
    return handler


def answers_after(seconds: float, result: Any = "done") -> Handler:
    def handler(request: TaskRequest, kernel: Kernel) -> None:
        kernel.schedule(seconds, request.succeed, result)
    return handler


def never_answers(request: TaskRequest, kernel: Kernel) -> None:
    pass


TASK = {"Type": "Task", "Resource": "worker"}


def test_wait_seconds_moves_the_virtual_clock_by_exactly_that_many_seconds() -> None:
    execution = run(machine(("Wait", {"Type": "Wait", "Seconds": 86_400}), ("Done", {"Type": "Pass"})))
    assert execution.status == "SUCCEEDED"
    assert times(execution, "WaitStateExited") == [86_400]
    assert execution.kernel.now == 86_400


def test_wait_seconds_path_reads_the_delay_from_the_input() -> None:
    execution = run(machine(("Wait", {"Type": "Wait", "SecondsPath": "$.delay"})), {"delay": 42})
    assert times(execution, "WaitStateExited") == [42]


def test_wait_timestamp_path_waits_until_that_instant_of_the_execution_clock() -> None:
    # Executions start at the interpreter's epoch, 2026-01-01T00:00:00Z.
    execution = run(machine(("Wait", {"Type": "Wait", "TimestampPath": "$.until"})),
                    {"until": "2026-01-01T01:00:00Z"})
    assert times(execution, "WaitStateExited") == [3600]


def test_wait_timestamp_in_the_past_does_not_wait() -> None:
    execution = run(machine(("Wait", {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z"})))
    assert times(execution, "WaitStateExited") == [0]


def test_retry_backs_off_by_interval_times_rate_to_the_power_of_the_attempt() -> None:
    retry = {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}
    execution = run(machine(("Work", {**TASK, "Retry": [retry]})), handler=always_fails("Boom"))
    assert times(execution, "TaskStarted") == [0, 1, 3, 7]
    assert execution.result() == {"status": "FAILED", "error": "Boom", "cause": "boom"}


def test_retry_defaults_are_one_second_three_attempts_rate_two() -> None:
    execution = run(machine(("Work", {**TASK, "Retry": [{"ErrorEquals": ["Boom"]}]})), handler=always_fails("Boom"))
    assert times(execution, "TaskStarted") == [0, 1, 3, 7]


def test_max_delay_seconds_caps_each_retry_delay() -> None:
    retry = {"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 3.0, "MaxAttempts": 3,
             "MaxDelaySeconds": 20}
    execution = run(machine(("Work", {**TASK, "Retry": [retry]})), handler=always_fails("Boom"))
    assert times(execution, "TaskStarted") == [0, 10, 30, 50]


def test_max_attempts_zero_never_retries() -> None:
    retry = {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}
    execution = run(machine(("Work", {**TASK, "Retry": [retry]})), handler=always_fails("Boom"))
    assert times(execution, "TaskStarted") == [0]


def test_full_jitter_draws_each_delay_between_zero_and_the_backoff_delay() -> None:
    retry = {"ErrorEquals": ["Boom"], "IntervalSeconds": 4, "MaxAttempts": 3, "BackoffRate": 2.0,
             "JitterStrategy": "FULL"}
    execution = run(machine(("Work", {**TASK, "Retry": [retry]})), handler=always_fails("Boom"), seed=7)
    started = times(execution, "TaskStarted")
    delays = [later - earlier for earlier, later in itertools.pairwise(started)]
    assert len(delays) == 3
    for delay, ceiling in zip(delays, (4, 8, 16), strict=True):
        assert 0 <= delay <= ceiling
    assert delays != [4, 8, 16]


def test_jitter_is_the_same_for_the_same_seed() -> None:
    retry = {"ErrorEquals": ["Boom"], "IntervalSeconds": 4, "JitterStrategy": "FULL"}
    definition = machine(("Work", {**TASK, "Retry": [retry]}))
    first = times(run(definition, handler=always_fails("Boom"), seed=3), "TaskStarted")
    second = times(run(definition, handler=always_fails("Boom"), seed=3), "TaskStarted")
    assert first == second


def test_each_retrier_counts_its_own_attempts() -> None:
    errors = iter(["A", "B", "A", "B", "A"])

    def handler(request: TaskRequest, kernel: Kernel) -> None:
        request.fail(next(errors), "")

    retriers = [{"ErrorEquals": ["A"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1.0},
                {"ErrorEquals": ["B"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 1.0}]
    execution = run(machine(("Work", {**TASK, "Retry": retriers})), handler=handler)
    # A, B, A, B retried (two each); the third A is beyond its retrier's MaxAttempts.
    assert len(times(execution, "TaskStarted")) == 5
    assert execution.error == "A"


def test_catch_after_retries_are_exhausted_puts_error_and_cause_at_result_path() -> None:
    definition = machine(
        ("Work", {**TASK, "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1}],
                  "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.failure", "Next": "Fallback"}]}),
        ("Fallback", {"Type": "Pass"}),
    )
    execution = run(definition, {"order": 7}, handler=always_fails("Boom", "no stock"))
    assert times(execution, "TaskStarted") == [0, 1]
    assert execution.result() == {"status": "SUCCEEDED",
                                  "output": {"order": 7, "failure": {"Error": "Boom", "Cause": "no stock"}}}


def test_states_all_does_not_catch_states_runtime() -> None:
    definition = machine(
        ("Work", {"Type": "Pass", "OutputPath": "$.missing",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}], "Next": "Fallback"}),
        ("Fallback", {"Type": "Pass"}),
    )
    execution = run(definition, {})
    assert execution.error == "States.Runtime"


def test_task_answer_that_arrives_later_in_virtual_time_ends_the_state_then() -> None:
    execution = run(machine(("Work", TASK)), handler=answers_after(2.5, {"ok": True}))
    assert times(execution, "TaskStateExited") == [2.5]
    assert execution.output == {"ok": True}


def test_task_timeout_fails_with_states_timeout_at_timeout_seconds() -> None:
    execution = run(machine(("Work", {**TASK, "TimeoutSeconds": 30})), handler=never_answers)
    assert times(execution, "TaskTimedOut") == [30]
    assert execution.error == "States.Timeout"


def test_states_task_failed_does_not_match_states_timeout() -> None:
    definition = machine(
        ("Work", {**TASK, "TimeoutSeconds": 5, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]}),
        ("Caught", {"Type": "Pass"}),
    )
    assert run(definition, handler=never_answers).error == "States.Timeout"


def test_heartbeat_seconds_fails_a_silent_task_with_states_heartbeat_timeout() -> None:
    execution = run(machine(("Work", {**TASK, "TimeoutSeconds": 300, "HeartbeatSeconds": 20})),
                    handler=never_answers)
    assert times(execution, "TaskTimedOut") == [20]
    assert execution.error == "States.HeartbeatTimeout"


def test_an_answer_after_the_timeout_is_ignored() -> None:
    execution = run(machine(("Work", {**TASK, "TimeoutSeconds": 10})), handler=answers_after(15))
    assert execution.error == "States.Timeout"
    assert times(execution, "TaskSucceeded") == []


def test_execution_timeout_seconds_ends_the_execution_as_timed_out() -> None:
    execution = run(machine(("Wait", {"Type": "Wait", "Seconds": 100}), TimeoutSeconds=60))
    assert execution.result() == {"status": "TIMED_OUT", "error": "States.Timeout",
                                  "cause": "The execution timed out."}
    assert times(execution, "ExecutionTimedOut") == [60]


def map_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Work",
                                            "States": {"Work": {**TASK, "End": True}}}, **fields}


def test_map_max_concurrency_runs_that_many_iterations_at_once() -> None:
    execution = run(machine(("Each", map_state(MaxConcurrency=2))), [1, 2, 3, 4, 5], handler=answers_after(5))
    # Five 5-second items, two at a time: three rounds.
    assert times(execution, "MapIterationStarted") == [0, 0, 5, 5, 10]
    assert times(execution, "MapStateExited") == [15]


def test_map_without_max_concurrency_runs_every_iteration_at_once() -> None:
    execution = run(machine(("Each", map_state())), [1, 2, 3, 4, 5], handler=answers_after(5))
    assert times(execution, "MapStateExited") == [5]


def test_an_inline_map_runs_at_most_40_iterations_at_once() -> None:
    execution = run(machine(("Each", map_state(MaxConcurrency=100))), list(range(50)), handler=answers_after(5))
    started = times(execution, "MapIterationStarted")
    assert started.count(0) == 40
    assert started.count(5) == 10
    assert times(execution, "MapStateExited") == [10]


def test_map_results_keep_the_order_of_the_items() -> None:
    def handler(request: TaskRequest, kernel: Kernel) -> None:
        kernel.schedule(10 - request.payload, request.succeed, request.payload * 10)

    execution = run(machine(("Each", map_state())), [1, 2, 3], handler=handler)
    assert execution.output == [10, 20, 30]


def fails_on(*bad: int) -> Handler:
    def handler(request: TaskRequest, kernel: Kernel) -> None:
        if request.payload in bad:
            request.fail("ItemFailed", f"item {request.payload}")
        else:
            request.succeed(request.payload)
    return handler


def test_map_fails_on_the_first_failed_iteration_without_a_tolerance() -> None:
    execution = run(machine(("Each", map_state())), [1, 2, 3], handler=fails_on(2))
    assert execution.result() == {"status": "FAILED", "error": "ItemFailed", "cause": "item 2"}


def test_map_tolerated_failure_count_lets_that_many_iterations_fail() -> None:
    execution = run(machine(("Each", map_state(ToleratedFailureCount=1))), [1, 2, 3], handler=fails_on(2))
    assert execution.status == "SUCCEEDED"


def test_map_beyond_the_tolerated_failure_count_fails_with_exceed_tolerated_failure_threshold() -> None:
    execution = run(machine(("Each", map_state(ToleratedFailureCount=1))), [1, 2, 3], handler=fails_on(1, 2))
    assert execution.error == "States.ExceedToleratedFailureThreshold"


def test_map_tolerated_failure_percentage_compares_failures_with_the_item_count() -> None:
    items = list(range(10))
    within = run(machine(("Each", map_state(ToleratedFailurePercentage=20))), items, handler=fails_on(1, 2))
    beyond = run(machine(("Each", map_state(ToleratedFailurePercentage=20))), items, handler=fails_on(1, 2, 3))
    assert within.status == "SUCCEEDED"
    assert beyond.error == "States.ExceedToleratedFailureThreshold"


def test_parallel_failure_stops_the_other_branches_and_fails_with_the_branch_error() -> None:
    started: list[str] = []

    def handler(request: TaskRequest, kernel: Kernel) -> None:
        started.append(request.resource)
        if request.resource == "fails":
            kernel.schedule(1, request.fail, "BranchBoom", "first branch")
        else:
            kernel.schedule(100, request.succeed, "late")

    def branch(resource: str) -> dict[str, Any]:
        return {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": resource, "End": True}}}

    execution = run(machine(("Both", {"Type": "Parallel", "Branches": [branch("fails"), branch("slow")]})),
                    handler=handler)
    assert execution.result() == {"status": "FAILED", "error": "BranchBoom", "cause": "first branch"}
    assert times(execution, "ExecutionFailed") == [1]
    assert times(execution, "TaskSucceeded") == []


def test_parallel_output_lists_each_branch_result_in_branch_order() -> None:
    def branch(value: int) -> dict[str, Any]:
        return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": value, "End": True}}}

    execution = run(machine(("Both", {"Type": "Parallel", "Branches": [branch(1), branch(2)]})))
    assert execution.output == [1, 2]


def test_states_uuid_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    definition = machine(("Id", {"Type": "Pass", "Parameters": {"id.$": "States.UUID()"}}))
    first = execute(definition, {}, seed=1)["output"]["id"]
    assert execute(definition, {}, seed=1)["output"]["id"] == first
    assert execute(definition, {}, seed=2)["output"]["id"] != first


def test_execute_fails_a_task_with_the_task_error_invoke_raises() -> None:
    def invoke(resource: str, payload: Any) -> Any:
        raise TaskError("Lambda.TooManyRequestsException", "Rate exceeded")

    result = execute(machine(("Work", TASK)), {}, invoke=invoke)
    assert result == {"status": "FAILED", "error": "Lambda.TooManyRequestsException", "cause": "Rate exceeded"}


def test_a_long_loop_of_states_does_not_recurse() -> None:
    definition = {
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericLessThan": 5000, "Next": "Count"}],
                      "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    assert execute(definition, {"n": 0}) == {"status": "SUCCEEDED", "output": {"n": 5000}}


@pytest.mark.parametrize("operator", ["StringEquals", "NumericEquals", "BooleanEquals", "TimestampEquals"])
def test_a_choice_comparison_against_a_missing_variable_is_false(operator: str) -> None:
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.nope", operator: "x", "Next": "Yes"}], "Default": "No"},
        "Yes": {"Type": "Pass", "Result": "yes", "End": True},
        "No": {"Type": "Pass", "Result": "no", "End": True}}}
    assert execute(definition, {})["output"] == "no"


def test_no_matching_choice_without_default_fails_with_no_choice_matched() -> None:
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "Y"}]},
        "Y": {"Type": "Succeed"}}}
    assert execute(definition, {"n": 2})["error"] == "States.NoChoiceMatched"


def test_a_finished_execution_leaves_no_reference_cycles_for_the_garbage_collector() -> None:
    import gc

    branch = {"StartAt": "Work", "States": {"Work": {**TASK, "End": True}}}
    definition = machine(
        ("Each", map_state(MaxConcurrency=2, ToleratedFailureCount=5)),
        ("Both", {"Type": "Parallel", "Branches": [branch, branch]}),
        ("Flaky", {**TASK, "TimeoutSeconds": 3, "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]}),
        ("Done", {"Type": "Pass"}),
    )

    def handler(request: TaskRequest, kernel: Kernel) -> None:
        if request.state_name == "Flaky":
            return  # never answers: times out, is retried, times out again and is caught
        if request.payload == 2:
            kernel.schedule(1, request.fail, "ItemFailed", "")
        else:
            kernel.schedule(1, request.succeed, request.payload)

    gc.collect()
    gc.disable()
    try:
        execution = run(definition, [1, 2, 3], handler=handler)
        assert execution.status == "SUCCEEDED"
        del execution
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_jsonata_now_and_millis_read_the_execution_virtual_clock() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 90, "Next": "Stamp"},
        "Stamp": {"Type": "Pass", "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}"}, "End": True}}}
    # Executions start at the interpreter's epoch, 2026-01-01T00:00:00Z.
    assert execute(definition, {})["output"] == {"now": "2026-01-01T00:01:30.000Z", "millis": 1_767_225_690_000}


def test_jsonata_variables_assigned_in_one_state_are_read_in_the_next() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Remember", "States": {
        "Remember": {"Type": "Pass", "Assign": {"total": "{% $states.input.price * 2 %}"}, "Next": "Use"},
        "Use": {"Type": "Pass", "Output": {"total": "{% $total %}"}, "End": True}}}
    assert execute(definition, {"price": 21})["output"] == {"total": 42}
