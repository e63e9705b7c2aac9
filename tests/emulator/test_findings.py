"""Best-practice warnings: each rule fires on the mistake it names and stays quiet otherwise.

Most topologies here are built by hand (as the loader would build them) so that each test
shows exactly the properties its rule reads; ``validate`` is tested on whole documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.findings import RULES, findings, validate
from emulator.problems import Problem
from emulator.topology import ComponentSpec, ConnectionSpec, Topology

Components = Sequence[tuple[str, str, dict[str, Any]]]
Connections = Sequence[tuple[str, str, str, dict[str, Any]]]


def build(components: Components, connections: Connections = ()) -> Topology:
    specs = {
        component_id: ComponentSpec(component_id, kind, properties, {}, index)
        for index, (component_id, kind, properties) in enumerate(components)
    }
    links = tuple(
        ConnectionSpec(source, target, role, properties, index)
        for index, (source, target, role, properties) in enumerate(connections)
    )
    return Topology("test", specs, links, {})


def warnings_of(rule: str, topology: Topology) -> list[Problem]:
    return [problem for problem in findings(topology) if problem.rule == rule]


def queue_and_worker(visibility_timeout: int, function_timeout: int, window: int = 0) -> Topology:
    return build(
        [("Api", "apigateway", {}), ("Inbox", "sqs", {"VisibilityTimeout": visibility_timeout}),
         ("Worker", "lambda", {"Timeout": function_timeout})],
        [("Api", "Inbox", "request", {}),
         ("Inbox", "Worker", "event_source", {"MaximumBatchingWindowInSeconds": window})],
    )


# visibility_timeout_below_6x_function_timeout ----------------------------------------------

def test_visibility_timeout_under_six_function_timeouts_is_flagged_on_the_queue_property() -> None:
    [warning] = warnings_of("visibility_timeout_below_6x_function_timeout", queue_and_worker(30, 10))
    assert warning.severity == "warning"
    assert warning.pointer == "/components/1/properties/VisibilityTimeout"
    assert warning.subject == "Inbox"
    assert "60 s" in warning.message and "Worker" in warning.message
    assert warning.why and warning.fix


def test_visibility_timeout_of_six_function_timeouts_passes() -> None:
    assert warnings_of("visibility_timeout_below_6x_function_timeout", queue_and_worker(60, 10)) == []


def test_batching_window_adds_to_the_visibility_timeout_needed() -> None:
    [warning] = warnings_of("visibility_timeout_below_6x_function_timeout", queue_and_worker(60, 10, window=5))
    assert "65 s" in warning.message


# max_receive_count_below_5 -----------------------------------------------------------------

def redrive(max_receive_count: int) -> Topology:
    return build([("Inbox", "sqs", {}), ("InboxDLQ", "sqs", {})],
                 [("Inbox", "InboxDLQ", "dead_letter", {"maxReceiveCount": max_receive_count})])


def test_max_receive_count_under_5_is_flagged_on_the_connection() -> None:
    [warning] = warnings_of("max_receive_count_below_5", redrive(3))
    assert warning.pointer == "/connections/0/properties/maxReceiveCount"
    assert warning.subject == "Inbox -> InboxDLQ (dead_letter)"


def test_max_receive_count_of_5_passes() -> None:
    assert warnings_of("max_receive_count_below_5", redrive(5)) == []


# queue_without_dead_letter_queue -----------------------------------------------------------

def test_queue_consumed_without_dead_letter_queue_is_flagged() -> None:
    [warning] = warnings_of("queue_without_dead_letter_queue", queue_and_worker(60, 10))
    assert warning.pointer == "/components/1"
    assert "Worker" in warning.message


def test_queue_with_a_dead_letter_queue_passes() -> None:
    topology = build(
        [("Inbox", "sqs", {}), ("InboxDLQ", "sqs", {}), ("Worker", "lambda", {})],
        [("Inbox", "Worker", "event_source", {}), ("Inbox", "InboxDLQ", "dead_letter", {"maxReceiveCount": 5})],
    )
    assert warnings_of("queue_without_dead_letter_queue", topology) == []


def test_queue_nobody_consumes_needs_no_dead_letter_queue() -> None:
    assert warnings_of("queue_without_dead_letter_queue", build([("Inbox", "sqs", {})])) == []


# async_function_without_failure_destination ------------------------------------------------

def test_function_invoked_asynchronously_without_failure_destination_is_flagged() -> None:
    topology = build([("Device", "client", {}), ("Worker", "lambda", {})], [("Device", "Worker", "event", {})])
    [warning] = warnings_of("async_function_without_failure_destination", topology)
    assert warning.pointer == "/components/1"
    assert "Device (event)" in warning.message


def test_function_subscribed_to_a_topic_counts_as_invoked_asynchronously() -> None:
    topology = build([("Topic", "sns", {}), ("Worker", "lambda", {})], [("Topic", "Worker", "subscription", {})])
    assert len(warnings_of("async_function_without_failure_destination", topology)) == 1


def test_async_function_with_an_on_failure_destination_passes() -> None:
    topology = build(
        [("Device", "client", {}), ("Worker", "lambda", {}), ("Failures", "sqs", {})],
        [("Device", "Worker", "event", {}), ("Worker", "Failures", "on_failure", {})],
    )
    assert warnings_of("async_function_without_failure_destination", topology) == []


def test_function_called_synchronously_needs_no_failure_destination() -> None:
    topology = build([("Api", "apigateway", {}), ("Worker", "lambda", {})], [("Api", "Worker", "request", {})])
    assert warnings_of("async_function_without_failure_destination", topology) == []


# subscription_without_dead_letter_queue ----------------------------------------------------

def subscription(redrive_policy: dict[str, Any] | None) -> Topology:
    return build(
        [("Topic", "sns", {}), ("Inbox", "sqs", {}), ("SubscriptionDLQ", "sqs", {})],
        [("Topic", "Inbox", "subscription", {"RedrivePolicy": redrive_policy})],
    )


def test_subscription_without_redrive_policy_is_flagged() -> None:
    [warning] = warnings_of("subscription_without_dead_letter_queue", subscription(None))
    assert warning.pointer == "/connections/0/properties/RedrivePolicy"
    assert warning.subject == "Topic -> Inbox (subscription)"


def test_subscription_with_redrive_policy_passes() -> None:
    policy = {"deadLetterTargetArn": "SubscriptionDLQ"}
    assert warnings_of("subscription_without_dead_letter_queue", subscription(policy)) == []


# synchronous_chain_exceeds_api_timeout -----------------------------------------------------

def chain(front_timeout: int, back_timeout: int, api_timeout_ms: int = 29000) -> Topology:
    return build(
        [("Api", "apigateway", {"TimeoutInMillis": api_timeout_ms}), ("Front", "lambda", {"Timeout": front_timeout}),
         ("Back", "lambda", {"Timeout": back_timeout}), ("Orders", "dynamodb", {})],
        [("Api", "Front", "request", {}), ("Front", "Back", "request", {}), ("Back", "Orders", "request", {})],
    )


def test_function_timeouts_adding_up_past_the_api_timeout_are_flagged() -> None:
    [warning] = warnings_of("synchronous_chain_exceeds_api_timeout", chain(20, 15))
    assert warning.pointer == "/components/0/properties/TimeoutInMillis"
    assert "Api -> Front (20 s) -> Back (15 s)" in warning.message
    assert "35 s" in warning.message and "29 s" in warning.message


def test_function_timeouts_within_the_api_timeout_pass() -> None:
    assert warnings_of("synchronous_chain_exceeds_api_timeout", chain(10, 15)) == []


def test_a_shorter_api_timeout_is_taken_into_account() -> None:
    assert len(warnings_of("synchronous_chain_exceeds_api_timeout", chain(10, 15, api_timeout_ms=20000))) == 1


def test_synchronous_recursion_does_not_make_the_chain_walk_forever() -> None:
    topology = build(
        [("Api", "apigateway", {}), ("Front", "lambda", {"Timeout": 10}), ("Back", "lambda", {"Timeout": 10})],
        [("Api", "Front", "request", {}), ("Front", "Back", "request", {}), ("Back", "Front", "request", {})],
    )
    assert warnings_of("synchronous_chain_exceeds_api_timeout", topology) == []


# recursive_async_loop ----------------------------------------------------------------------

def test_function_sending_to_the_queue_it_consumes_is_a_loop() -> None:
    topology = build(
        [("Api", "apigateway", {}), ("Inbox", "sqs", {}), ("Worker", "lambda", {})],
        [("Api", "Inbox", "request", {}), ("Inbox", "Worker", "event_source", {}),
         ("Worker", "Inbox", "request", {})],
    )
    [warning] = warnings_of("recursive_async_loop", topology)
    assert warning.subject == "Inbox -> Worker -> Inbox"
    assert warning.pointer == "/components/2"
    assert "16" in warning.why


def test_loop_through_a_topic_and_an_async_invoke_is_found() -> None:
    topology = build(
        [("Topic", "sns", {}), ("Fanout", "lambda", {}), ("Worker", "lambda", {})],
        [("Topic", "Fanout", "subscription", {}), ("Fanout", "Worker", "event", {}),
         ("Worker", "Topic", "request", {})],
    )
    [warning] = warnings_of("recursive_async_loop", topology)
    assert warning.subject == "Topic -> Fanout -> Worker -> Topic"


def test_loops_are_reported_in_document_order() -> None:
    topology = build(
        [("Inbox", "sqs", {}), ("Worker", "lambda", {}), ("Topic", "sns", {}), ("Notifier", "lambda", {})],
        [("Topic", "Notifier", "subscription", {}), ("Notifier", "Topic", "request", {}),
         ("Inbox", "Worker", "event_source", {}), ("Worker", "Inbox", "request", {}),
         ("Worker", "Topic", "request", {}), ("Notifier", "Inbox", "request", {})],
    )
    assert [warning.subject for warning in warnings_of("recursive_async_loop", topology)] == [
        "Inbox -> Worker -> Inbox",
        "Inbox -> Worker -> Topic -> Notifier -> Inbox",
        "Topic -> Notifier -> Topic",
    ]


def test_pipeline_without_a_cycle_has_no_loop() -> None:
    topology = build(
        [("Inbox", "sqs", {}), ("Worker", "lambda", {}), ("Outbox", "sqs", {})],
        [("Inbox", "Worker", "event_source", {}), ("Worker", "Outbox", "request", {})],
    )
    assert warnings_of("recursive_async_loop", topology) == []


def test_synchronous_function_recursion_is_not_an_async_loop() -> None:
    topology = build(
        [("Front", "lambda", {}), ("Back", "lambda", {})],
        [("Front", "Back", "request", {}), ("Back", "Front", "request", {})],
    )
    assert warnings_of("recursive_async_loop", topology) == []


def callback_machine(resource: str) -> Topology:
    definition = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": resource, "End": True,
        "Parameters": {"TaskToken.$": "$$.Task.Token", "order.$": "$.order"}}}}
    return build(
        [("Flow", "stepfunctions", {"Definition": definition}), ("Approvals", "sqs", {}), ("Approver", "lambda", {})],
        [("Flow", "Approvals", "request", {}), ("Approvals", "Approver", "event_source", {}),
         ("Approver", "Flow", "request", {})],
    )


def test_a_task_token_sent_back_to_the_waiting_state_machine_is_not_a_loop() -> None:
    assert warnings_of("recursive_async_loop", callback_machine("Approvals.waitForTaskToken")) == []


def test_a_function_starting_the_state_machine_that_fed_it_is_a_loop() -> None:
    [warning] = warnings_of("recursive_async_loop", callback_machine("Approvals"))
    assert warning.subject == "Flow -> Approvals -> Approver -> Flow"


# unreachable_component ---------------------------------------------------------------------

def test_component_nothing_sends_to_is_flagged() -> None:
    topology = build([("Api", "apigateway", {}), ("Orders", "dynamodb", {}), ("Archive", "dynamodb", {})],
                     [("Api", "Orders", "request", {})])
    [warning] = warnings_of("unreachable_component", topology)
    assert warning.subject == "Archive"
    assert warning.pointer == "/components/2"
    assert warning.message == "nothing sends to Archive"


def test_component_a_workload_cannot_target_is_flagged() -> None:
    topology = build([("Api", "apigateway", {}), ("Worker", "lambda", {}), ("Orders", "rds", {})],
                     [("Api", "Worker", "request", {})])
    [warning] = warnings_of("unreachable_component", topology)
    assert warning.subject == "Orders"
    assert "a workload cannot send to a rds" in warning.why


def test_queue_named_by_a_redrive_policy_is_reached() -> None:
    def unreachable(topology: Topology) -> list[str]:
        return [problem.subject for problem in warnings_of("unreachable_component", topology)]

    assert unreachable(subscription(None)) == ["SubscriptionDLQ"]
    assert unreachable(subscription({"deadLetterTargetArn": "SubscriptionDLQ"})) == []


def test_components_where_a_flow_starts_need_nothing_sending_to_them() -> None:
    topology = build(
        [("Browser", "client", {}), ("Api", "apigateway", {}), ("Orders", "dynamodb", {}),
         ("Jobs", "sqs", {}), ("Renderer", "lambda", {})],
        [("Browser", "Api", "request", {}), ("Api", "Orders", "request", {}),
         ("Jobs", "Renderer", "event_source", {})],
    )
    assert warnings_of("unreachable_component", topology) == []


# kinesis_consumer_without_retry_limit ------------------------------------------------------

def stream_consumer(properties: dict[str, Any]) -> Topology:
    return build([("Clicks", "kinesis", {}), ("Counter", "lambda", {})],
                 [("Clicks", "Counter", "event_source", properties)])


def test_stream_consumer_retrying_forever_is_flagged() -> None:
    defaults = {"MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": -1, "BisectBatchOnFunctionError": False}
    [warning] = warnings_of("kinesis_consumer_without_retry_limit", stream_consumer(defaults))
    assert warning.pointer == "/connections/0/properties/MaximumRetryAttempts"
    assert warning.subject == "Clicks -> Counter (event_source)"


def test_stream_consumer_with_a_retry_limit_passes() -> None:
    assert warnings_of("kinesis_consumer_without_retry_limit", stream_consumer({"MaximumRetryAttempts": 3})) == []


def test_queue_consumer_is_not_a_stream_consumer() -> None:
    assert warnings_of("kinesis_consumer_without_retry_limit", queue_and_worker(60, 10)) == []


# state_machine_lambda_task_without_retry ---------------------------------------------------

def lambda_task(retry: list[dict[str, Any]] | None) -> Topology:
    task: dict[str, Any] = {"Type": "Task", "Resource": "Worker", "End": True}
    if retry is not None:
        task["Retry"] = retry
    definition = {"StartAt": "Work", "States": {"Work": task}}
    return build([("Flow", "stepfunctions", {"Definition": definition}), ("Worker", "lambda", {})],
                 [("Flow", "Worker", "request", {})])


def test_a_lambda_task_without_retry_is_flagged_at_the_task_in_the_definition() -> None:
    [warning] = warnings_of("state_machine_lambda_task_without_retry", lambda_task(None))
    assert warning.pointer == "/components/0/properties/Definition/States/Work"
    assert warning.subject == "Flow"
    assert "Worker" in warning.message and "Lambda.TooManyRequestsException" in warning.fix


def test_a_lambda_task_retrying_states_all_or_the_transient_errors_passes() -> None:
    transient = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                 "Lambda.TooManyRequestsException"]
    for errors in (["States.ALL"], ["States.TaskFailed"], transient):
        assert warnings_of("state_machine_lambda_task_without_retry", lambda_task([{"ErrorEquals": errors}])) == []


def test_a_lambda_task_retrying_only_its_own_error_is_flagged() -> None:
    retry = [{"ErrorEquals": ["PaymentDeclined"]}]
    assert len(warnings_of("state_machine_lambda_task_without_retry", lambda_task(retry))) == 1
# stream_consumer_without_failure_destination --------------------------------------------------

def test_stream_consumer_that_skips_batches_without_a_destination_is_flagged() -> None:
    [warning] = warnings_of("stream_consumer_without_failure_destination",
                            stream_consumer({"MaximumRetryAttempts": 3}))
    assert warning.pointer == "/connections/0/properties/DestinationConfig"
    assert "OnFailure" in warning.message


def test_stream_consumer_with_an_on_failure_destination_passes() -> None:
    topology = build([("Clicks", "kinesis", {}), ("Counter", "lambda", {}), ("Skipped", "sqs", {})],
                     [("Clicks", "Counter", "event_source",
                       {"MaximumRetryAttempts": 3, "DestinationConfig": {"OnFailure": {"Destination": "Skipped"}}})])
    assert warnings_of("stream_consumer_without_failure_destination", topology) == []


def test_stream_consumer_that_never_gives_up_skips_nothing() -> None:
    assert warnings_of("stream_consumer_without_failure_destination", stream_consumer({})) == []


# The registry and validate -----------------------------------------------------------------

def test_every_rule_has_a_unique_name_and_a_summary() -> None:
    names = [registered.name for registered in RULES]
    assert len(names) == len(set(names)) == 14
    assert all(registered.summary.endswith(".") for registered in RULES)


def test_every_warning_says_why_and_how_to_fix_it() -> None:
    topology = build(
        [("Device", "client", {}), ("Inbox", "sqs", {}), ("Worker", "lambda", {"Timeout": 30}),
         ("Lonely", "dynamodb", {})],
        [("Device", "Worker", "event", {}), ("Inbox", "Worker", "event_source", {}),
         ("Worker", "Inbox", "request", {})],
    )
    problems = findings(topology)
    assert {p.rule for p in problems} >= {"visibility_timeout_below_6x_function_timeout",
                                          "queue_without_dead_letter_queue", "recursive_async_loop",
                                          "async_function_without_failure_destination", "unreachable_component"}
    for problem in problems:
        assert problem.severity == "warning"
        assert problem.pointer.startswith("/") and problem.subject
        assert problem.why and "\n" not in problem.why
        assert problem.fix and "\n" not in problem.fix


def document(*components: dict[str, Any], connections: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"format": "wiretap.topology/1", "name": "test", "components": list(components),
            "connections": connections or []}


def test_validate_reports_the_warnings_of_a_valid_document() -> None:
    problems = validate(document({"id": "Api", "kind": "apigateway"}, {"id": "Orders", "kind": "dynamodb"},
                                 {"id": "Archive", "kind": "dynamodb"},
                                 connections=[{"source": "Api", "target": "Orders", "role": "request"}]))
    assert [(p.severity, p.rule, p.subject) for p in problems] == [("warning", "unreachable_component", "Archive")]


def test_validate_reports_the_errors_first_then_the_warnings() -> None:
    problems = validate(document({"id": "Api", "kind": "apigateway", "properties": {"TimeoutInMillis": "slow"}},
                                 {"id": "Orders", "kind": "dynamodb"}))
    severities = [p.severity for p in problems]
    assert severities == sorted(severities)  # "error" sorts before "warning"
    assert problems[0].pointer == "/components/0/properties/TimeoutInMillis"


def test_validate_of_a_clean_document_is_empty() -> None:
    problems = validate(document({"id": "Api", "kind": "apigateway"}, {"id": "Orders", "kind": "dynamodb"},
                                 connections=[{"source": "Api", "target": "Orders", "role": "request"}]))
    assert problems == []


def test_validate_reads_the_properties_the_loader_filled_in() -> None:
    problems = validate(document(
        {"id": "Inbox", "kind": "sqs"}, {"id": "InboxDLQ", "kind": "sqs"},
        {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 10}},
        connections=[{"source": "Inbox", "target": "Worker", "role": "event_source"},
                     {"source": "Inbox", "target": "InboxDLQ", "role": "dead_letter",
                      "properties": {"maxReceiveCount": 5}}]))
    [warning] = problems
    assert warning.rule == "visibility_timeout_below_6x_function_timeout"
    assert "VisibilityTimeout is 30 s" in warning.message  # the AWS default


# validate(): errors and warnings together -----------------------------------------------------
DRAFT: dict[str, Any] = {
    "format": "wiretap.topology/1",
    "components": [
        {"id": "Broken", "kind": "lambda", "properties": {"Timeout": 5000}},  # out of range: dropped field
        {"id": "1bad", "kind": "sqs"},  # a bad id: left out
        {"id": "Jobs", "kind": "sqs", "properties": {"VisibilityTimeout": 30}},
        {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 20}},
    ],
    "connections": [
        {"source": "1bad", "target": "Worker", "role": "event_source"},  # to a left-out component
        {"source": "Jobs", "target": "Worker", "role": "event_source"},
    ],
}


def test_a_draft_with_errors_still_gets_the_warnings_of_its_well_formed_part() -> None:
    problems = validate(DRAFT)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    assert {p.pointer for p in errors} >= {"/components/0/properties/Timeout", "/components/1/id"}
    # Jobs is components/2 and its consuming connection connections/1 in the document as sent.
    visibility = [w for w in warnings if w.rule == "visibility_timeout_below_6x_function_timeout"]
    assert [w.pointer for w in visibility] == ["/components/2/properties/VisibilityTimeout"]
    assert all(w.subject != "1bad" for w in warnings)
    assert problems.index(visibility[0]) > max(problems.index(e) for e in errors)  # errors come first


def test_errors_across_fields_come_with_the_warnings_too() -> None:
    document = {"format": "wiretap.topology/1",
                "components": [{"id": "Jobs", "kind": "sqs", "properties": {"VisibilityTimeout": 10}},
                               {"id": "Worker", "kind": "lambda", "properties": {"Timeout": 20}}],
                "connections": [{"source": "Jobs", "target": "Worker", "role": "event_source"}]}
    problems = validate(document)
    assert problems[0].severity == "error"  # Lambda refuses a VisibilityTimeout under Timeout
    assert "visibility_timeout_below_6x_function_timeout" in {p.rule for p in problems if p.severity == "warning"}


def test_a_document_that_is_not_a_topology_gets_its_errors_alone() -> None:
    assert [p.severity for p in validate({"format": "wiretap.topology/1", "components": {}})] == ["error"]
    assert [p.severity for p in validate([])] == ["error"]


# eventbridge_target_without_dead_letter_queue ------------------------------------------------

def bus_rule(dead_letter: str | None) -> Topology:
    properties = {"DeadLetterConfig": dead_letter} if dead_letter else {}
    return build(
        [("Bus", "eventbridge", {}), ("Worker", "lambda", {}), ("RuleDLQ", "sqs", {})],
        [("Bus", "Worker", "rule", properties)],
    )


def test_an_eventbridge_rule_target_without_dead_letter_config_is_flagged() -> None:
    [warning] = warnings_of("eventbridge_target_without_dead_letter_queue", bus_rule(None))
    assert warning.pointer == "/connections/0/properties/DeadLetterConfig"
    assert warning.subject == "Bus -> Worker (rule)"


def test_an_eventbridge_rule_target_with_dead_letter_config_passes() -> None:
    assert warnings_of("eventbridge_target_without_dead_letter_queue", bus_rule("RuleDLQ")) == []


# http_timeout_outlives_function --------------------------------------------------------------

def http_caller(function_timeout: int, http_timeout_ms: float | None, *, breaker: bool = False) -> Topology:
    behavior = {} if http_timeout_ms is None else {"timeout_ms": http_timeout_ms}
    components = [("Caller", "lambda", {"Timeout": function_timeout}), ("Partner", "http", {})]
    connections = [("Caller", "Partner", "request", {})]
    if breaker:
        components.append(("Breaker", "circuitbreaker", {}))
        connections = [("Caller", "Breaker", "request", {}), ("Breaker", "Partner", "request", {})]
    topology = build(components, connections)
    partner = topology.components["Partner"]
    topology.components["Partner"] = ComponentSpec(partner.id, partner.kind, partner.properties, behavior,
                                                   partner.index)
    return topology


def test_an_http_timeout_as_long_as_the_function_timeout_is_flagged() -> None:
    [warning] = warnings_of("http_timeout_outlives_function", http_caller(3, None))  # default 10 s
    assert warning.pointer == "/components/1/behavior/timeout_ms"
    assert "Caller (Timeout 3 s) calls Partner, whose client waits 10 s" in warning.message


def test_an_http_call_without_timeout_through_a_breaker_is_flagged() -> None:
    [warning] = warnings_of("http_timeout_outlives_function", http_caller(30, 0, breaker=True))
    assert warning.subject == "Caller -> Breaker -> Partner"
    assert "waits as long as the API takes" in warning.message


def test_an_http_timeout_shorter_than_the_function_timeout_passes() -> None:
    assert warnings_of("http_timeout_outlives_function", http_caller(10, 2000)) == []


def test_a_websocket_api_pushed_to_without_any_client_connecting_is_flagged() -> None:
    lonely = build([("Worker", "lambda", {}), ("Updates", "websocket", {})],
                   [("Worker", "Updates", "request", {})])
    [warning] = warnings_of("websocket_api_without_connections", lonely)
    assert warning.pointer == "/components/1" and warning.subject == "Updates"
    assert "410 GoneException" in (warning.why or "")
    connected = build([("Page", "client", {}), ("Worker", "lambda", {}), ("Updates", "websocket", {})],
                      [("Page", "Updates", "request", {}), ("Worker", "Updates", "request", {})])
    assert warnings_of("websocket_api_without_connections", connected) == []
