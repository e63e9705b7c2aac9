"""Step Functions state machines in a run: starts, Tasks through connections, errors, traces, cost."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.messages import COMPLETED, MessageRecord
from emulator.problems import InvalidDocument
from emulator.services.stepfunctions import check
from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import NullTracer
from emulator.workload import load_workload
from tests.emulator.scenario import Run, balanced, run, seconds, topology

ONE_TASK = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "Worker", "End": True}}}


def machine(definition: dict[str, Any], *, express: bool = False, extra: list[dict[str, Any]] | None = None,
            connections: list[dict[str, Any]] | None = None, worker: dict[str, Any] | None = None,
            api_ms: float = 20, transition_ms: float = 0) -> dict[str, Any]:
    components = [
        {"id": "Caller", "kind": "client"},
        {"id": "Flow", "kind": "stepfunctions",
         "properties": {"Definition": definition, "StateMachineType": "EXPRESS" if express else "STANDARD"},
         "behavior": {"api_ms": api_ms, "transition_ms": transition_ms}},
        {"id": "Worker", "kind": "lambda", **(worker or {"behavior": {"duration_ms": 100, "cold_start_ms": 0}})},
        *(extra or []),
    ]
    links = [{"source": "Caller", "target": "Flow", "role": "request"},
             {"source": "Flow", "target": "Worker", "role": "request"}, *(connections or [])]
    return topology(components, links)


def one_message(document: dict[str, Any], payload: Any = None, **options: Any) -> Run:
    source = {"target": "Caller", "rate": {"per_second": 1}, "count": 1,
              "payload": payload if payload is not None else {"order": 7}}
    return run(document, [source], **options)


def flow_segment(result: Run) -> Any:
    (segment,) = result.named("Flow")
    return segment


def test_standard_start_execution_answers_before_the_execution_ends() -> None:
    result = one_message(machine(ONE_TASK))
    (caller,) = result.named("Caller")
    flow = flow_segment(result)
    assert caller.subsegments[0].aws == {"operation": "StartExecution"}
    # StartExecution answers after the API latency (20 ms); the 100 ms task runs on after it.
    assert seconds(caller.end_time) == pytest.approx(0.020)
    assert seconds(flow.end_time) == pytest.approx(0.120)
    assert flow.annotations["execution_status"] == "SUCCEEDED"


def test_express_started_by_a_caller_that_waits_is_start_sync_execution_answered_at_the_end() -> None:
    result = one_message(machine(ONE_TASK, express=True))
    (caller,) = result.named("Caller")
    flow = flow_segment(result)
    assert caller.subsegments[0].aws == {"operation": "StartSyncExecution"}
    assert seconds(caller.end_time) == pytest.approx(seconds(flow.end_time))
    assert seconds(caller.end_time) == pytest.approx(0.120)


def test_the_task_callee_segment_joins_the_one_trace_under_the_call_subsegment() -> None:
    result = one_message(machine(ONE_TASK))
    flow = flow_segment(result)
    (worker,) = result.named("Worker")
    call = next(sub for sub in flow.subsegments if sub.name == "Worker")
    assert worker.trace_id == flow.trace_id
    assert worker.parent_id == call.id
    assert call.aws == {"operation": "Invoke"}


def test_each_state_visit_is_a_subsegment_listing_its_history_events() -> None:
    definition = {"StartAt": "Wait", "States": {
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Work"},
        "Work": {"Type": "Task", "Resource": "Worker", "End": True}}}
    flow = flow_segment(one_message(machine(definition)))
    states = {sub.name: sub for sub in flow.subsegments if sub.annotations}
    assert states["Wait"].metadata == {"events": ["WaitStateEntered", "WaitStateExited"]}
    assert seconds(states["Wait"].end_time) - seconds(states["Wait"].start_time) == pytest.approx(5)
    assert states["Work"].metadata == {"events": ["TaskStateEntered", "TaskScheduled", "TaskStarted",
                                                  "TaskSucceeded", "TaskStateExited"]}


def test_retry_reinvokes_the_failing_function_with_backoff_then_the_execution_fails() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": "Worker", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}]}}}
    worker = {"behavior": {"duration_ms": 100, "cold_start_ms": 0, "error_rate": 1.0}}
    result = one_message(machine(definition, worker=worker))
    invocations = sorted(seconds(s.start_time) for s in result.named("Worker"))
    # 0.02 s start, 0.1 s failing work, then 1 s and 2 s before the retries.
    assert invocations == pytest.approx([0.02, 1.12, 3.22])
    flow = flow_segment(result)
    assert flow.annotations["execution_status"] == "FAILED"
    assert flow.fault
    assert flow.cause["exceptions"][0]["type"] == "Error"
    assert result.component("Flow")["ExecutionsFailed"] == 1
    # The execution ended (failed): the message completed, its failure counted by ExecutionsFailed
    # and kept on its record, so the trace list can show it as failed.
    assert result.summary["messages"]["completed"] == 1
    assert balanced(result.summary)


def test_a_lambda_throttle_arrives_as_lambda_too_many_requests_exception() -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "Worker", "End": True,
                 "Catch": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "Next": "Throttled"}]},
        "Throttled": {"Type": "Pass", "Result": "throttled", "End": True}}}
    worker = {"properties": {"ReservedConcurrentExecutions": 0}}
    result = one_message(machine(definition, worker=worker))
    flow = flow_segment(result)
    states = [sub.name for sub in flow.subsegments if sub.annotations]
    assert states == ["Work", "Throttled"]
    work = next(sub for sub in flow.subsegments if sub.name == "Work")
    assert work.cause["exceptions"][0]["type"] == "Lambda.TooManyRequestsException"
    assert flow.annotations["execution_status"] == "SUCCEEDED"


def test_catch_runs_the_fallback_with_error_and_cause_in_the_input() -> None:
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "Worker", "Next": "Done",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fallback"}]},
        "Fallback": {"Type": "Task", "Resource": "Backup", "End": True},
        "Done": {"Type": "Succeed"}}}
    backup = {"id": "Backup", "kind": "sqs"}
    worker = {"behavior": {"duration_ms": 100, "cold_start_ms": 0, "error_rate": 1.0}}
    result = one_message(machine(definition, worker=worker, extra=[backup],
                                 connections=[{"source": "Flow", "target": "Backup", "role": "request"}]))
    assert result.component("Backup")["NumberOfMessagesSent"] == 1
    assert flow_segment(result).annotations["execution_status"] == "SUCCEEDED"


def test_standard_cost_is_a_fortieth_of_a_tenth_of_a_cent_per_state_transition() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}}
    document = machine(definition)
    result = run(document, [{"target": "Caller", "rate": {"per_second": 1}, "count": 10, "payload": {}}])
    assert result.component("Flow")["StateTransitions"] == 20
    assert result.summary["cost_usd"]["by_component"]["Flow"] == pytest.approx(20 * 0.025 / 1000)


def test_express_cost_is_requests_plus_duration_in_100_ms_steps_of_64_mb() -> None:
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}}
    sources = [{"target": "Caller", "rate": {"per_second": 1}, "count": 4, "payload": {}}]
    result = run(machine(definition, express=True), sources)
    # 1 s each, billed 64 MB: 4 x 1 s x 0.0625 GB at $0.06 per GB-hour, plus 4 requests at $1 per million.
    expected = 4 * 1.0 / 1_000_000 + 4 * 1.0 * 0.0625 * 0.06 / 3600
    assert result.sim.components["Flow"].cost_usd() == pytest.approx(expected)


def test_express_executions_time_out_after_five_minutes() -> None:
    definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": True}}}
    result = one_message(machine(definition, express=True))
    flow = flow_segment(result)
    assert flow.annotations["execution_status"] == "TIMED_OUT"
    assert seconds(flow.end_time) == pytest.approx(0.02 + 300)
    assert result.component("Flow")["ExecutionsTimedOut"] == 1


def test_a_nested_state_machine_runs_to_its_end_before_the_parent_task_succeeds() -> None:
    child = {"id": "Child", "kind": "stepfunctions",
             "properties": {"Definition": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3,
                                                                            "End": True}}}},
             "behavior": {"api_ms": 20, "transition_ms": 0}}
    definition = {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": "Child", "End": True}}}
    result = one_message(machine(definition, extra=[child],
                                 connections=[{"source": "Flow", "target": "Child", "role": "request"}]))
    flow = flow_segment(result)
    (nested,) = result.named("Child")
    assert nested.trace_id == flow.trace_id
    assert seconds(flow.end_time) == pytest.approx(seconds(nested.end_time))
    assert seconds(flow.end_time) == pytest.approx(3.04)


def token_topology(*, timeout: int = 60, consumer: bool = True,
                   parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    definition = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "Approvals.waitForTaskToken", "TimeoutSeconds": timeout, "End": True,
        "Parameters": {"TaskToken.$": "$$.Task.Token", "order.$": "$.order", **(parameters or {})}}}}
    extra = [{"id": "Approvals", "kind": "sqs"},
             {"id": "Approver", "kind": "lambda", "behavior": {"duration_ms": 2000, "cold_start_ms": 0}}]
    connections = [{"source": "Flow", "target": "Approvals", "role": "request"}]
    if consumer:
        connections += [{"source": "Approvals", "target": "Approver", "role": "event_source"},
                        {"source": "Approver", "target": "Flow", "role": "request"}]
    return machine(definition, extra=extra, connections=connections)


def test_wait_for_task_token_ends_when_a_component_sends_the_token_back() -> None:
    result = one_message(token_topology(), {"order": 7})
    flows = result.named("Flow")
    execution = next(s for s in flows if "execution_status" in s.annotations)
    assert execution.annotations["execution_status"] == "SUCCEEDED"
    # The approver works 2 s on the message before it calls SendTaskSuccess.
    assert seconds(execution.end_time) > 2.0
    assert result.component("Flow")["ExecutionsStarted"] == 1
    assert balanced(result.summary)


def test_a_token_sent_back_with_an_error_is_send_task_failure() -> None:
    parameters = {"Error": "OrderRejected", "Cause": "over the credit limit"}
    result = one_message(token_topology(parameters=parameters), {"order": 7})
    execution = next(s for s in result.named("Flow") if "execution_status" in s.annotations)
    assert execution.annotations["execution_status"] == "FAILED"
    assert execution.cause["exceptions"][0]["type"] == "OrderRejected"
    assert execution.cause["exceptions"][0]["message"] == "over the credit limit"


def test_wait_for_task_token_without_an_answer_times_out() -> None:
    result = one_message(token_topology(timeout=30, consumer=False), {"order": 7})
    flow = flow_segment(result)
    assert flow.annotations["execution_status"] == "FAILED"
    assert flow.cause["exceptions"][0]["type"] == "States.Timeout"
    assert seconds(flow.end_time) == pytest.approx(30.02)


def problems_of(document: dict[str, Any]) -> list[str]:
    """The problems loading ``document`` reports (the kind's ``check`` runs as part of it)."""
    try:
        loaded = load_topology(document)
    except InvalidDocument as invalid:
        return [f"{p.pointer}: {p.message}" for p in invalid.problems]
    return [f"{p.pointer}: {p.message}" for p in check(loaded.components["Flow"], loaded)]


def test_a_task_calling_a_component_without_a_request_connection_is_a_problem() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "Elsewhere", "End": True}}}
    (problem,) = problems_of(machine(definition))
    assert problem.startswith("/components/1/properties/Definition/States/Work/Resource: ")
    assert "draw a request connection from Flow to Elsewhere" in problem


def test_an_unknown_next_is_reported_at_its_json_pointer_with_the_valid_names() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "Worker", "Next": "Nope"}}}
    with pytest.raises(InvalidDocument) as caught:
        load_topology(machine(definition))
    assert "/components/1/properties/Definition" in str(caught.value)
    assert "Next names 'Nope', which is not a state" in str(caught.value)


def test_unreachable_states_and_a_missing_start_at_are_problems() -> None:
    from emulator.stepfunctions.validation import validate

    problems = validate({"States": {"A": {"Type": "Succeed"}}})
    assert problems == [("/StartAt", "StartAt is missing: name the first state, one of 'A'")]
    problems = validate({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}})
    assert problems[0][0] == "/States/B"
    assert "unreachable" in problems[0][1]


def test_express_workflows_cannot_wait_for_a_task_token() -> None:
    document = token_topology()
    document["components"][1]["properties"]["StateMachineType"] = "EXPRESS"
    problems = problems_of(document)
    assert any("Express workflows do not support the .waitForTaskToken" in p for p in problems)


def test_lambda_invoke_integration_names_the_function_in_parameters() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "Worker", "Payload.$": "$"}, "OutputPath": "$.Payload"}}}
    assert problems_of(machine(definition)) == []
    result = one_message(machine(definition), {"order": 7})
    flow = flow_segment(result)
    assert flow.annotations["execution_status"] == "SUCCEEDED"
    assert len(result.named("Worker")) == 1


def test_an_unavailable_state_machine_answers_503() -> None:
    faults = [{"component": "Flow", "kind": "unavailable", "from_s": 0, "to_s": 10}]
    result = one_message(machine(ONE_TASK), faults=faults)
    (caller,) = result.named("Caller")
    assert caller.subsegments[0].fault
    assert result.named("Flow") == []
    assert result.summary["messages"]["rejected"] == 1


def test_a_workload_source_starts_executions_directly() -> None:
    result = run(machine(ONE_TASK), [{"target": "Flow", "rate": {"per_second": 1}, "count": 3, "payload": {}}])
    assert result.component("Flow")["ExecutionsStarted"] == 3
    assert all(s.aws["operation"] == "StartExecution" for s in result.named("Flow"))  # type: ignore[index]
    assert balanced(result.summary)


def api_in_front(*, express: bool, worker_error_rate: float = 0.0) -> dict[str, Any]:
    document = machine(ONE_TASK, express=express,
                       worker={"behavior": {"duration_ms": 100, "cold_start_ms": 0, "error_rate": worker_error_rate}})
    document["components"][0] = {"id": "Caller", "kind": "apigateway"}
    return document


def test_api_gateway_waits_for_an_express_execution_to_end() -> None:
    result = one_message(api_in_front(express=True))
    (api,) = result.named("Caller")
    flow = flow_segment(result)
    call = api.subsegments[0]
    assert call.aws == {"operation": "StartSyncExecution"}
    assert api.http["response"]["status"] == 200  # type: ignore[index]
    assert call.end_time == flow.end_time


def test_api_gateway_answers_200_for_a_failed_express_execution_as_start_sync_execution_does() -> None:
    # StartSyncExecution succeeds with status FAILED in its body: the API call itself worked.
    result = one_message(api_in_front(express=True, worker_error_rate=1.0))
    (api,) = result.named("Caller")
    assert flow_segment(result).annotations["execution_status"] == "FAILED"
    assert api.http["response"]["status"] == 200  # type: ignore[index]


def test_api_gateway_gets_the_execution_arn_of_a_standard_execution_at_once() -> None:
    result = one_message(api_in_front(express=False))
    (api,) = result.named("Caller")
    call = api.subsegments[0]
    assert call.aws == {"operation": "StartExecution"}
    assert seconds(call.end_time) - seconds(call.start_time) == pytest.approx(0.020)
    assert seconds(flow_segment(result).end_time) > seconds(api.end_time)


def test_the_same_seed_gives_the_same_traces_and_summary() -> None:
    definition = {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": "Worker", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "JitterStrategy": "FULL"}]}}}
    worker = {"behavior": {"duration_ms": {"median": 100, "p99": 400}, "error_rate": 0.5}}
    sources = [{"target": "Caller", "rate": {"per_second": 5, "arrival": "poisson"}, "count": 20,
                "payload": {"id": "$seq"}}]
    first = run(machine(definition, worker=worker), sources)
    second = run(machine(definition, worker=worker), sources)
    assert first.summary == second.summary
    assert first.segments == second.segments


def test_a_distributed_map_is_reported_as_not_emulated() -> None:
    from emulator.stepfunctions.validation import validate

    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    pointers = [pointer for pointer, _ in validate(definition)]
    assert pointers == ["/States/Each/ItemProcessor/ProcessorConfig/Mode", "/States/Each/ItemReader"]


def test_a_throttle_fault_refuses_start_execution_with_throttling_exception() -> None:
    faults = [{"component": "Flow", "kind": "throttle", "from_s": 0, "to_s": 10, "value": 0}]
    result = one_message(machine(ONE_TASK), faults=faults)
    (caller,) = result.named("Caller")
    call = caller.subsegments[0]
    assert call.throttle
    assert call.cause["exceptions"][0]["type"] == "ThrottlingException"  # type: ignore[index]
    assert result.component("Flow")["ExecutionThrottled"] >= 1
    assert result.component("Flow")["ExecutionsStarted"] == 0


def test_a_slow_fault_delays_the_start_execution_answer() -> None:
    faults = [{"component": "Flow", "kind": "slow", "from_s": 0, "to_s": 10, "value": 500}]
    result = one_message(machine(ONE_TASK), faults=faults)
    (caller,) = result.named("Caller")
    assert seconds(caller.end_time) == pytest.approx(0.520)


def finished_records(document: dict[str, Any], count: int) -> list[MessageRecord]:
    """The ledger records of ``count`` messages sent to the state machine, as each finished."""
    loaded = load_topology(document)
    workload = load_workload({"format": "wiretap.workload/1", "seed": 7, "duration_s": count, "drain_s": 600,
                              "sources": [{"target": "Caller", "rate": {"per_second": 1}, "count": count,
                                           "payload": {"n": "$seq"}}]}, loaded)
    sim = Simulation(loaded, workload, tracer=NullTracer())
    records: list[MessageRecord] = []
    sim.ledger.on_finished = records.append
    sim.run()
    return records


def test_a_failed_execution_marks_its_message_failed_and_a_succeeded_one_does_not() -> None:
    definition = {"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 2, "Next": "Refuse"}],
                  "Default": "Work"},
        "Refuse": {"Type": "Fail", "Error": "Refused", "Cause": "n is 2"},
        "Work": {"Type": "Task", "Resource": "Worker", "End": True}}}
    records = finished_records(machine(definition), 3)
    assert [(record.outcome, record.failed) for record in records] == [(COMPLETED, False), (COMPLETED, True),
                                                                        (COMPLETED, False)]


def with_duplicate_rate(document: dict[str, Any], rate: float) -> dict[str, Any]:
    document["components"][1]["behavior"]["duplicate_execution_rate"] = rate
    return document


def test_an_express_start_that_does_not_wait_may_run_twice_and_counts_as_a_duplicate() -> None:
    document = with_duplicate_rate(machine(ONE_TASK, express=True), 1.0)
    result = run(document, [{"target": "Flow", "rate": {"per_second": 1}, "count": 3, "payload": {}}])
    flows = sorted(result.named("Flow"), key=lambda segment: segment.start_time)
    assert len(flows) == 6 and result.component("Flow")["DuplicateExecutions"] == 3
    for trace_id in {segment.trace_id for segment in flows}:
        first, second = [segment for segment in flows if segment.trace_id == trace_id]
        assert "duplicate" not in first.annotations and second.annotations["duplicate"] is True
        assert seconds(second.start_time) - seconds(first.start_time) == pytest.approx(1.0)
    assert result.summary["messages"]["duplicate_deliveries"] == 3
    assert result.summary["messages"]["completed"] == 3
    assert balanced(result.summary)


def test_standard_and_synchronous_express_starts_run_exactly_once_whatever_the_rate() -> None:
    standard = run(with_duplicate_rate(machine(ONE_TASK), 1.0),
                   [{"target": "Flow", "rate": {"per_second": 1}, "count": 3, "payload": {}}])
    assert len(standard.named("Flow")) == 3 and "DuplicateExecutions" not in standard.component("Flow")
    synchronous = one_message(with_duplicate_rate(machine(ONE_TASK, express=True), 1.0))
    assert len(synchronous.named("Flow")) == 1
    assert synchronous.component("Flow")["DuplicateExecutions"] == 0
