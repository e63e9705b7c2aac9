"""Best-practice warnings for a valid topology: what runs, but not the way AWS advises.

Each rule is a small function registered in ``RULES`` with a stable name (what the
designer's badges show and what a user can look up), and reports ``Problem`` values of
severity ``warning`` that say what, where (a JSON pointer), why it matters and how to fix
it. Rules read the topology as a ``networkx.MultiDiGraph`` built once: components are nodes,
connections are edges keyed by their index in the document.

Property values come from the loader, which fills every AWS default; the defaults named here
only matter for topologies built by hand (tests, other tools).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from emulator.catalog import KINDS
from emulator.problems import Problem
from emulator.services.stepfunctions.state_machine import target_name
from emulator.stepfunctions.validation import tasks
from emulator.topology import (
    ComponentSpec,
    ConnectionSpec,
    Topology,
    checked,
)

# AWS defaults (CloudFormation): Lambda Timeout 3 s, SQS VisibilityTimeout 30 s,
# API Gateway integration timeout 29 s.
DEFAULT_FUNCTION_TIMEOUT_S = 3
DEFAULT_VISIBILITY_TIMEOUT_S = 30
DEFAULT_API_TIMEOUT_MS = 29000
# "Set the source queue's visibility timeout to at least six times the timeout that you
# configure on your function" (Lambda developer guide, "Using Lambda with Amazon SQS").
VISIBILITY_TIMEOUT_FACTOR = 6
# "Set the maxReceiveCount on the source queue's redrive policy to at least 5" (same page).
MIN_MAX_RECEIVE_COUNT = 5
# Roles by which Lambda is invoked asynchronously (Event invocation type): a direct Event
# invoke, SNS, EventBridge and S3 notifications (Lambda developer guide, "Invoking a Lambda
# function asynchronously").
ASYNC_INVOKE_ROLES = ("event", "subscription", "rule", "notification")
# Stream sources share the event source mapping's stream semantics (a failing batch blocks its shard).
STREAM_KINDS = frozenset({"kinesis", "dynamodb"})
# A dense graph can have very many cycles; a handful is enough to show the problem.
MAX_LOOPS_REPORTED = 20
MAX_LOOPS_SEARCHED = 1000


class TopologyGraph:
    """The topology as a networkx multigraph, with the look-ups the rules share."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.graph = nx.MultiDiGraph()
        for spec in topology.components.values():
            self.graph.add_node(spec.id, spec=spec)
        for connection in topology.connections:
            self.graph.add_edge(connection.source, connection.target, key=connection.index, connection=connection)

    def component(self, component_id: str) -> ComponentSpec:
        spec: ComponentSpec = self.graph.nodes[component_id]["spec"]
        return spec

    def kind(self, component_id: str) -> str:
        return self.component(component_id).kind

    def components(self, kind: str | None = None) -> list[ComponentSpec]:
        """Components in document order, optionally of one kind."""
        return [spec for spec in self.topology.components.values() if kind is None or spec.kind == kind]

    def connections(self, role: str, source_kinds: frozenset[str] | None = None,
                    target_kinds: frozenset[str] | None = None) -> list[ConnectionSpec]:
        """Connections with this role, optionally between these kinds, in document order."""
        return [
            connection for connection in self.topology.connections
            if connection.role == role
            and (source_kinds is None or self.kind(connection.source) in source_kinds)
            and (target_kinds is None or self.kind(connection.target) in target_kinds)
        ]

    def outgoing(self, component_id: str, *roles: str) -> list[ConnectionSpec]:
        edges = self.graph.out_edges(component_id, data="connection")
        return _in_document_order(c for _, _, c in edges if not roles or c.role in roles)

    def incoming(self, component_id: str, *roles: str) -> list[ConnectionSpec]:
        edges = self.graph.in_edges(component_id, data="connection")
        return _in_document_order(c for _, _, c in edges if not roles or c.role in roles)


def _in_document_order(connections: Iterator[ConnectionSpec]) -> list[ConnectionSpec]:
    return sorted(connections, key=lambda connection: connection.index)


Check = Callable[[TopologyGraph], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    """A best-practice rule: a stable name, what it looks for (one line), and its check."""

    name: str
    summary: str
    check: Check


RULES: list[Rule] = []


def rule(name: str, summary: str) -> Callable[[Check], Check]:
    """Register a check in ``RULES`` under a stable name."""

    def register(check: Check) -> Check:
        RULES.append(Rule(name, summary, check))
        return check

    return register


def findings(topology: Topology) -> list[Problem]:
    """Every best-practice warning for a valid topology, rule by rule, in document order."""
    graph = TopologyGraph(topology)
    return [problem for registered in RULES for problem in registered.check(graph)]


def validate(document: Any) -> list[Problem]:
    """Every error of a topology document, then its best-practice warnings.

    A design being drawn is rarely free of errors, and its warnings matter all along. When the
    document is malformed in places, the warnings are those of what is well formed (``salvage``):
    a field in error falls back to its default, a component or connection in error is left out (and
    so are the connections to it); their pointers still point into ``document``.
    """
    errors, part = checked(document)
    if part is None:
        return errors
    return errors + [part.renumber(warning) for warning in findings(part.topology)]


def _warning(rule_name: str, where: str, subject: str, message: str, why: str, fix: str) -> Problem:
    return Problem(where, message, subject, severity="warning", rule=rule_name, why=why, fix=fix)


def _number(properties: dict[str, Any], name: str, default: float) -> float:
    value = properties.get(name)
    return default if value is None else float(value)


def _seconds(value: float) -> str:
    return f"{value:g} s"


# The rules, in the order they are reported --------------------------------------------------

@rule("visibility_timeout_below_6x_function_timeout",
      "A queue's VisibilityTimeout is under six times the Timeout of the function that consumes it.")
def _visibility_timeout(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("event_source", frozenset({"sqs"}), frozenset({"lambda"})):
        queue, function = graph.component(connection.source), graph.component(connection.target)
        visibility_timeout = _number(queue.properties, "VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT_S)
        function_timeout = _number(function.properties, "Timeout", DEFAULT_FUNCTION_TIMEOUT_S)
        # AWS adds the batching window: messages wait in the batch before the function starts.
        window = _number(connection.properties, "MaximumBatchingWindowInSeconds", 0)
        required = VISIBILITY_TIMEOUT_FACTOR * function_timeout + window
        if visibility_timeout >= required:
            continue
        window_text = f" + MaximumBatchingWindowInSeconds {_seconds(window)}" if window else ""
        yield _warning(
            "visibility_timeout_below_6x_function_timeout",
            f"{queue.pointer}/properties/VisibilityTimeout", queue.id,
            f"VisibilityTimeout is {_seconds(visibility_timeout)}, under 6 x {function.id}'s Timeout "
            f"({_seconds(function_timeout)}){window_text} = {_seconds(required)}",
            "a batch still being processed (or retried after a throttle) becomes visible again, so another "
            "invocation gets the same messages: duplicates, and receives that push good messages to the DLQ",
            f"Set {queue.id}'s VisibilityTimeout to at least {_seconds(required)}, or lower {function.id}'s Timeout.",
        )


@rule("max_receive_count_below_5",
      "A queue's redrive moves messages to its dead-letter queue after fewer than 5 receives.")
def _max_receive_count(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("dead_letter", frozenset({"sqs"}), frozenset({"sqs"})):
        count = connection.properties.get("maxReceiveCount")
        if count is None or count >= MIN_MAX_RECEIVE_COUNT:
            continue
        yield _warning(
            "max_receive_count_below_5",
            f"{connection.pointer}/properties/maxReceiveCount", connection.label,
            f"maxReceiveCount is {count}: a message moves to {connection.target} after {count} receive(s)",
            "receives of batches that Lambda throttled, or that failed because of another message in the "
            "batch, count too, so healthy messages end in the dead-letter queue",
            f"Set maxReceiveCount to {MIN_MAX_RECEIVE_COUNT} or more.",
        )


@rule("queue_without_dead_letter_queue",
      "A queue consumed by a function has no dead-letter queue.")
def _queue_without_dead_letter_queue(graph: TopologyGraph) -> Iterator[Problem]:
    for queue in graph.components("sqs"):
        consumers = graph.outgoing(queue.id, "event_source")
        if not consumers or graph.outgoing(queue.id, "dead_letter"):
            continue
        names = ", ".join(connection.target for connection in consumers)
        yield _warning(
            "queue_without_dead_letter_queue",
            queue.pointer, queue.id,
            f"{queue.id} is consumed by {names} but has no dead-letter queue",
            "a message that always fails (a poison message) is received again and again until "
            "MessageRetentionPeriod expires, costing an invocation each time, and is then lost",
            f"Add a dead_letter connection from {queue.id} to another queue, with maxReceiveCount "
            f"{MIN_MAX_RECEIVE_COUNT} or more.",
        )


@rule("async_function_without_failure_destination",
      "A function invoked asynchronously has neither an on_failure destination nor a dead-letter queue.")
def _async_function_without_failure_destination(graph: TopologyGraph) -> Iterator[Problem]:
    for function in graph.components("lambda"):
        callers = graph.incoming(function.id, *ASYNC_INVOKE_ROLES)
        if not callers or graph.outgoing(function.id, "on_failure", "dead_letter"):
            continue
        names = ", ".join(f"{connection.source} ({connection.role})" for connection in callers)
        yield _warning(
            "async_function_without_failure_destination",
            function.pointer, function.id,
            f"{function.id} is invoked asynchronously by {names} but has no on_failure destination "
            "or dead-letter queue",
            "once its retries (MaximumRetryAttempts, 2 by default) or MaximumEventAgeInSeconds run out, "
            "a failed event is dropped and nobody can see which one",
            f"Add an on_failure connection (or a dead_letter connection) from {function.id} to a queue or topic.",
        )


@rule("subscription_without_dead_letter_queue",
      "An SNS subscription to a queue or function has no RedrivePolicy.")
def _subscription_without_dead_letter_queue(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("subscription", frozenset({"sns"}), frozenset({"sqs", "lambda"})):
        if connection.properties.get("RedrivePolicy") is not None:
            continue
        yield _warning(
            "subscription_without_dead_letter_queue",
            f"{connection.pointer}/properties/RedrivePolicy", connection.label,
            f"the subscription of {connection.target} to {connection.source} has no RedrivePolicy",
            "a message SNS cannot deliver (the subscriber throttled or unavailable for long) is lost once "
            "the delivery retries run out, without a copy anywhere",
            'Set RedrivePolicy to {"deadLetterTargetArn": "<a queue id>"} to keep undeliverable messages.',
        )


@rule("eventbridge_target_without_dead_letter_queue",
      "An EventBridge rule target has no DeadLetterConfig.")
def _eventbridge_target_without_dead_letter_queue(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("rule", frozenset({"eventbridge"})):
        if connection.properties.get("DeadLetterConfig") is not None:
            continue
        yield _warning(
            "eventbridge_target_without_dead_letter_queue",
            f"{connection.pointer}/properties/DeadLetterConfig", connection.label,
            f"the rule target {connection.target} of {connection.source} has no DeadLetterConfig",
            "an event EventBridge cannot deliver (the target failing, throttled or unavailable until the "
            "RetryPolicy runs out, 24 hours by default) is dropped without a trace",
            "Set DeadLetterConfig to an SQS queue id to keep the events that could not be delivered.",
        )


# The http kind's default client timeout (emulator/services/http/definition.py).
DEFAULT_HTTP_TIMEOUT_MS = 10_000


@rule("http_timeout_outlives_function",
      "A function calls an HTTP API whose client timeout is no shorter than the function's own Timeout.")
def _http_timeout_outlives_function(graph: TopologyGraph) -> Iterator[Problem]:
    for function in graph.components("lambda"):
        function_timeout_s = _function_timeout(graph, function.id)
        for api_id, route in _http_apis_called(graph, function.id):
            timeout_ms = _number(graph.component(api_id).behavior, "timeout_ms", DEFAULT_HTTP_TIMEOUT_MS)
            if 0 < timeout_ms < function_timeout_s * 1000:
                continue
            waits = "waits as long as the API takes" if timeout_ms == 0 else f"waits {_seconds(timeout_ms / 1000)}"
            yield _warning(
                "http_timeout_outlives_function",
                f"{graph.component(api_id).pointer}/behavior/timeout_ms", route,
                f"{function.id} (Timeout {_seconds(function_timeout_s)}) calls {api_id}, whose client {waits}",
                "when the API hangs, the function times out first (Sandbox.Timedout): the code never sees the "
                "call fail, so it cannot fall back, count the failure for a circuit breaker or answer in time",
                f"Set {api_id}'s timeout_ms below {_seconds(function_timeout_s)} (well below, to leave time to "
                "handle the failure), or raise the function's Timeout.",
            )


def _http_apis_called(graph: TopologyGraph, function_id: str) -> Iterator[tuple[str, str]]:
    """The HTTP APIs a function calls, directly or through a circuit breaker, with the route."""
    for connection in graph.outgoing(function_id, "request"):
        target_kind = graph.kind(connection.target)
        if target_kind == "http":
            yield connection.target, f"{function_id} -> {connection.target}"
        elif target_kind == "circuitbreaker":
            for onward in graph.outgoing(connection.target, "request"):
                if graph.kind(onward.target) == "http":
                    yield onward.target, f"{function_id} -> {connection.target} -> {onward.target}"


@rule("synchronous_chain_exceeds_api_timeout",
      "The function Timeouts on an API's synchronous request path add up to more than its integration timeout.")
def _synchronous_chain(graph: TopologyGraph) -> Iterator[Problem]:
    for api in graph.components("apigateway"):
        api_timeout_s = _number(api.properties, "TimeoutInMillis", DEFAULT_API_TIMEOUT_MS) / 1000.0
        total_s, path = _slowest_request_path(graph, api.id)
        if total_s <= api_timeout_s:
            continue
        steps = " -> ".join(
            [api.id] + [f"{fid} ({_seconds(_function_timeout(graph, fid))})" for fid in path])
        yield _warning(
            "synchronous_chain_exceeds_api_timeout",
            f"{api.pointer}/properties/TimeoutInMillis", api.id,
            f"the functions on {steps} may run for {_seconds(total_s)} in all, more than {api.id}'s "
            f"integration timeout of {_seconds(api_timeout_s)}",
            "API Gateway answers 504 when its timeout passes while the functions keep running (and are "
            "billed), so the caller retries work that may still succeed",
            f"Keep the sum of the Timeouts on the path under {_seconds(api_timeout_s)}, or answer 202 at once "
            "and do the slow part asynchronously (a queue between them).",
        )


def _function_timeout(graph: TopologyGraph, function_id: str) -> float:
    return _number(graph.component(function_id).properties, "Timeout", DEFAULT_FUNCTION_TIMEOUT_S)


def _slowest_request_path(graph: TopologyGraph, start: str) -> tuple[float, list[str]]:
    """The chain of functions reached by request connections whose Timeouts add up the most.

    A callee may start just before its caller's timeout and run its own full Timeout, so the
    work on a path can go on for the sum of the Timeouts along it.
    """
    slowest: tuple[float, list[str]] = (0.0, [])

    def walk(node: str, path: list[str], total: float) -> None:
        nonlocal slowest
        for connection in graph.outgoing(node, "request"):
            target = connection.target
            if graph.kind(target) != "lambda" or target in path:
                continue
            reached = total + _function_timeout(graph, target)
            if reached > slowest[0]:
                slowest = (reached, [*path, target])
            walk(target, [*path, target], reached)

    walk(start, [], 0.0)
    return slowest


@rule("recursive_async_loop",
      "Messages can go round a cycle of asynchronous hops (queue, topic, async invoke) back to a function.")
def _recursive_async_loop(graph: TopologyGraph) -> Iterator[Problem]:
    # Every role hands the message (or a record of it) on to its target, so the cycles of the
    # whole graph are the loops a message can take; a cycle of synchronous function-to-function
    # calls is plain recursion instead, which the caller's timeout ends.
    order = {spec.id: spec.index for spec in graph.topology.components.values()}
    cycles = (c for c in nx.simple_cycles(nx.DiGraph(graph.graph)) if _is_async_loop(graph, c))
    # networkx finds cycles in an order that depends on set iteration (string hashing differs
    # between processes): each loop starts at its first component in the document, and the
    # loops are sorted in document order, so the report is the same on every run.
    loops = sorted((_starting_at_first(cycle, order) for cycle in itertools.islice(cycles, MAX_LOOPS_SEARCHED)),
                   key=lambda loop: [order[component] for component in loop])
    for loop in loops[:MAX_LOOPS_REPORTED]:
        function = next(component for component in loop if graph.kind(component) == "lambda")
        route = " -> ".join([*loop, loop[0]])
        yield _warning(
            "recursive_async_loop",
            graph.component(function).pointer, route,
            f"messages can loop: {route}",
            "each message goes round again and again, multiplying invocations and cost; Lambda's recursive "
            "loop detection (RecursiveLoop Terminate, the default) stops the event after 16 invocations of a "
            "function and sends it to a dead-letter queue or on-failure destination if there is one, else drops it",
            "Break the cycle (send the result to a different queue or topic), or add a `when` pattern so "
            "that only new messages go round.",
        )


def _starting_at_first(cycle: list[str], order: dict[str, int]) -> list[str]:
    start = min(range(len(cycle)), key=lambda position: order[cycle[position]])
    return cycle[start:] + cycle[:start]


def _is_async_loop(graph: TopologyGraph, cycle: list[str]) -> bool:
    if not any(graph.kind(component) == "lambda" for component in cycle):
        return False
    following = cycle[1:] + cycle[:1]
    for machine, after in zip(cycle, following, strict=True):
        # A state machine that hands a task token round the cycle and waits for it: the request
        # that comes back is SendTaskSuccess, which ends the wait instead of starting an execution.
        if graph.kind(machine) == "stepfunctions" and after in _callback_targets(graph, machine):
            return False
    for source, target in zip(cycle, following, strict=True):
        for connection in graph.graph.get_edge_data(source, target).values():
            role = connection["connection"].role
            if role != "request" or graph.kind(source) != "lambda" or graph.kind(target) != "lambda":
                return True
    return False


def _callback_targets(graph: TopologyGraph, machine: str) -> set[str]:
    """The components a state machine's .waitForTaskToken Tasks send their token to."""
    definition = graph.component(machine).properties.get("Definition")
    return {name for _, state in tasks(definition)
            if isinstance(resource := state.get("Resource"), str) and resource.endswith(".waitForTaskToken")
            and (name := target_name(resource, state.get("Parameters"))) is not None}


@rule("unreachable_component",
      "Nothing sends to a component, and it does not start a flow a workload could feed.")
def _unreachable_component(graph: TopologyGraph) -> Iterator[Problem]:
    # A component with no way in is fine where messages start: a client, an API, or a queue or
    # topic that a workload feeds and that passes messages on. It is left over when a workload
    # cannot target its kind, or when it has no connection at all.
    referenced = _referenced_components(graph.topology)
    for spec in graph.components():
        if graph.incoming(spec.id) or spec.id in referenced:
            continue
        if not _workload_can_target(spec.kind):
            why = f"no connection leads to it and a workload cannot send to a {spec.kind}, so it never gets a message"
            fix = f"Connect a caller to {spec.id}, or remove it."
        elif not graph.outgoing(spec.id):
            why = "it has no connection at all, so it takes part in a run only when a workload targets it directly"
            fix = f"Connect {spec.id} to the rest of the topology, or remove it if no workload targets it."
        else:
            continue
        yield _warning("unreachable_component", spec.pointer, spec.id, f"nothing sends to {spec.id}", why, fix)


def _workload_can_target(kind: str) -> bool:
    # A kind the catalog does not know (a topology built by hand) gets the benefit of the doubt.
    known = KINDS.get(kind)
    return known is None or known.entry_point


def _referenced_components(topology: Topology) -> set[str]:
    """Components named by a property (a subscription's or rule's DLQ, an OnFailure destination...)."""
    referenced: set[str] = set()
    for connection in topology.connections:
        properties = connection.properties
        redrive = properties.get("RedrivePolicy")
        if isinstance(redrive, dict):
            referenced.add(str(redrive.get("deadLetterTargetArn")))
        if isinstance(properties.get("DeadLetterConfig"), str):
            referenced.add(properties["DeadLetterConfig"])
        destination = properties.get("DestinationConfig")
        if isinstance(destination, dict):
            on_failure = destination.get("OnFailure")
            referenced.add(str(on_failure.get("Destination") if isinstance(on_failure, dict) else on_failure))
    for spec in topology.components.values():
        # A state machine's Task names the component it calls in its Resource.
        referenced.update(_task_resources(spec.properties.get("Definition")))
    return referenced


def _task_resources(definition: Any) -> Iterator[str]:
    if isinstance(definition, dict):
        for key, value in definition.items():
            if key == "Resource" and isinstance(value, str):
                yield value
            else:
                yield from _task_resources(value)
    elif isinstance(definition, list):
        for item in definition:
            yield from _task_resources(item)


# "Handle transient Lambda service exceptions" (Step Functions developer guide, "Best
# practices"): a Task that invokes Lambda should retry these; States.ALL and States.TaskFailed cover them.
LAMBDA_TRANSIENT_ERRORS = frozenset({"Lambda.ServiceException", "Lambda.AWSLambdaException",
                                     "Lambda.SdkClientException", "Lambda.TooManyRequestsException"})


@rule("state_machine_lambda_task_without_retry",
      "A state machine's Task invokes a function without retrying Lambda's transient errors.")
def _lambda_task_without_retry(graph: TopologyGraph) -> Iterator[Problem]:
    for machine in graph.components("stepfunctions"):
        definition = machine.properties.get("Definition")
        for pointer, state in tasks(definition):
            resource = state.get("Resource")
            if not isinstance(resource, str):
                continue
            target = target_name(resource, state.get("Parameters", state.get("Arguments")))
            if target not in graph.topology.components or graph.kind(target) != "lambda":
                continue
            retried = {name for retrier in state.get("Retry") or () if isinstance(retrier, dict)
                       for name in retrier.get("ErrorEquals") or ()}
            if retried & {"States.ALL", "States.TaskFailed"} or retried >= LAMBDA_TRANSIENT_ERRORS:
                continue
            yield _warning(
                "state_machine_lambda_task_without_retry",
                f"{machine.pointer}/properties/Definition{pointer}", machine.id,
                f"the Task at {pointer} invokes {target} without a Retry for Lambda's transient errors",
                "a throttle (Lambda.TooManyRequestsException) or a Lambda service error fails the state at "
                "once, and without a Catch the whole execution",
                "Add a Retry with ErrorEquals [\"Lambda.ServiceException\", \"Lambda.AWSLambdaException\", "
                "\"Lambda.SdkClientException\", \"Lambda.TooManyRequestsException\"] (or States.ALL), "
                "IntervalSeconds 1-2, BackoffRate 2.",
            )


@rule("kinesis_consumer_without_retry_limit",
      "A function reading a stream retries a failing batch until its records expire, blocking the shard.")
def _stream_consumer_without_retry_limit(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("event_source", STREAM_KINDS, frozenset({"lambda"})):
        properties = connection.properties
        retries = _number(properties, "MaximumRetryAttempts", -1)
        record_age = _number(properties, "MaximumRecordAgeInSeconds", -1)
        # BisectBatchOnFunctionError alone does not help: the halves are retried until the bad
        # record is alone in its batch, which is then retried forever all the same.
        if retries != -1 or record_age != -1:
            continue
        yield _warning(
            "kinesis_consumer_without_retry_limit",
            f"{connection.pointer}/properties/MaximumRetryAttempts", connection.label,
            f"{connection.target} retries a failing batch from {connection.source} forever "
            "(MaximumRetryAttempts -1 and MaximumRecordAgeInSeconds -1)",
            "one bad record blocks its shard until the record expires (24 h by default): every record "
            "behind it waits and IteratorAge grows",
            "Set MaximumRetryAttempts (or MaximumRecordAgeInSeconds), BisectBatchOnFunctionError true, and a "
            "DestinationConfig OnFailure destination for the records skipped.",
        )


@rule("stream_consumer_without_failure_destination",
      "A function reading a stream gives up on failing batches, and nothing keeps a record of them.")
def _stream_consumer_without_failure_destination(graph: TopologyGraph) -> Iterator[Problem]:
    for connection in graph.connections("event_source", STREAM_KINDS, frozenset({"lambda"})):
        properties = connection.properties
        retries = _number(properties, "MaximumRetryAttempts", -1)
        record_age = _number(properties, "MaximumRecordAgeInSeconds", -1)
        destination = properties.get("DestinationConfig")
        if (retries == -1 and record_age == -1) or (isinstance(destination, dict) and destination.get("OnFailure")):
            continue
        yield _warning(
            "stream_consumer_without_failure_destination",
            f"{connection.pointer}/properties/DestinationConfig", connection.label,
            f"{connection.target} skips the batches from {connection.source} it gives up on, and no OnFailure "
            "destination records them",
            "once MaximumRetryAttempts or MaximumRecordAgeInSeconds is reached the batch is skipped: its records "
            "are lost without a trace of which ones they were",
            "Add DestinationConfig {\"OnFailure\": {\"Destination\": \"<queue or topic id>\"}}: it receives the "
            "shard and sequence numbers of each skipped batch, to replay them.",
        )


@rule("websocket_api_without_connections",
      "Something pushes to a WebSocket API that no client opens a connection to.")
def _websocket_api_without_connections(graph: TopologyGraph) -> Iterator[Problem]:
    for api in graph.components("websocket"):
        callers = graph.incoming(api.id, "request")
        if not callers or any(graph.kind(connection.source) == "client" for connection in callers):
            continue
        names = ", ".join(connection.source for connection in callers)
        yield _warning(
            "websocket_api_without_connections",
            api.pointer, api.id,
            f"{names} push(es) to {api.id} with PostToConnection, but no client opens a connection to it",
            "a push reaches only an open connection: every PostToConnection answers 410 GoneException, and the "
            "function fails on it",
            f"Add a request connection from the client that waits for the update to {api.id}.",
        )
