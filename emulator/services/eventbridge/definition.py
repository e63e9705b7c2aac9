"""The eventbridge kind: its behavior keys, and the checks across its rules."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.eventbridge import transformer
from emulator.services.eventbridge.bus import MAX_TARGETS_PER_RULE, EventBus

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, ConnectionSpec, Topology

# RetryPolicy's keys and their ranges (EventBridge API reference, "RetryPolicy").
_REPLAY_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
RETRY_POLICY_RANGES = {"MaximumRetryAttempts": (0, 185), "MaximumEventAgeInSeconds": (60, 86_400)}


def rule_name(connection: ConnectionSpec) -> str:
    name = connection.properties.get("RuleName")
    return name if isinstance(name, str) and name else f"{connection.target}Rule"


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """At most 5 targets a rule, one pattern a rule, retry policies in range, SQS dead-letter queues,
    well-formed input transformers."""
    problems: list[Problem] = []
    rules: dict[str, list[ConnectionSpec]] = {}
    for connection in topology.outgoing(spec.id, "rule"):
        name = rule_name(connection)
        targets = rules.setdefault(name, [])
        if len(targets) == MAX_TARGETS_PER_RULE:
            listed = ", ".join(t.target for t in targets)
            problems.append(Problem(f"{connection.pointer}/properties/RuleName", f"rule {name!r} already has "
                                    f"{MAX_TARGETS_PER_RULE} targets ({listed}); EventBridge allows at most "
                                    f"{MAX_TARGETS_PER_RULE} targets per rule: give this connection another "
                                    "RuleName", connection.label, rule="eventbridge-targets-per-rule"))
        elif targets and _pattern(targets[0]) != _pattern(connection):
            problems.append(Problem(f"{connection.pointer}/properties/EventPattern", f"the targets of rule "
                                    f"{name!r} share its one EventPattern; this connection's differs from that of "
                                    f"{targets[0].label} (make them equal, or give this one another RuleName)",
                                    connection.label, rule="eventbridge-rule-pattern"))
        targets.append(connection)
        problems.extend(_check_retry_policy(connection))
        problems.extend(_check_dead_letter(connection, topology))
        problems.extend(_check_fifo_target(connection, topology))
        problems.extend(_check_transformer(connection))
    problems.extend(_check_archive(spec))
    return problems


def _check_archive(spec: ComponentSpec) -> list[Problem]:
    from emulator.matching import InvalidPatternError, validate_event_pattern

    problems: list[Problem] = []
    archive = spec.properties.get("Archive")
    where = f"{spec.pointer}/properties/Archive"
    if archive is not None:
        for key in archive:
            if key not in ("EventPattern", "RetentionDays"):
                problems.append(Problem(f"{where}/{key}", f"unknown Archive key {key!r}; valid: EventPattern, "
                                        "RetentionDays", spec.id))
        days = archive.get("RetentionDays", 0)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            problems.append(Problem(f"{where}/RetentionDays", "RetentionDays must be an integer, 0 (keep "
                                    f"indefinitely) or more, got {json.dumps(days)}", spec.id))
        pattern = archive.get("EventPattern")
        if pattern is not None:
            try:
                validate_event_pattern(pattern)
            except InvalidPatternError as error:
                problems.append(Problem(f"{where}/EventPattern", f"is not a valid EventBridge event pattern: "
                                        f"{error}", spec.id))
    replays = spec.behavior.get("replays") or []
    for index, replay in enumerate(replays):
        here = f"{spec.pointer}/behavior/replays/{index}"
        if archive is None:
            problems.append(Problem(here, "a replay needs the bus's Archive property (it replays archived "
                                    "events)", spec.id))
        if not isinstance(replay, dict):
            problems.append(Problem(here, 'must be {"ReplayName": ..., "at_s": ..., "EventStartTime": ..., '
                                    '"EventEndTime": ...}', spec.id))
            continue
        name = replay.get("ReplayName")
        if not isinstance(name, str) or not _REPLAY_NAME.match(name):
            problems.append(Problem(f"{here}/ReplayName", "ReplayName must be 1-64 letters, digits, '.', '-' or "
                                    f"'_', got {json.dumps(name)}", spec.id))
        times: dict[str, float] = {}
        for key in ("at_s", "EventStartTime", "EventEndTime"):
            value = replay.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(Problem(f"{here}/{key}", f"{key} must be a number of run seconds, 0 or more, got "
                                        f"{json.dumps(value)}", spec.id))
            else:
                times[key] = float(value)
        if len(times) == 3:
            start, end, at = times["EventStartTime"], times["EventEndTime"], times["at_s"]
            if not start < end <= at:
                problems.append(Problem(here, "needs EventStartTime < EventEndTime <= at_s: a replay covers a past "
                                        "window of the archive", spec.id))
        for key in replay:
            if key not in ("ReplayName", "at_s", "EventStartTime", "EventEndTime"):
                problems.append(Problem(f"{here}/{key}", f"unknown replay key {key!r}; valid: ReplayName, at_s, "
                                        "EventStartTime, EventEndTime", spec.id))
    return problems


def _pattern(connection: ConnectionSpec) -> str:
    return json.dumps(connection.properties.get("EventPattern"), sort_keys=True)


def _check_retry_policy(connection: ConnectionSpec) -> list[Problem]:
    policy: Any = connection.properties.get("RetryPolicy")
    if policy is None:
        return []
    where = f"{connection.pointer}/properties/RetryPolicy"
    if not isinstance(policy, dict):
        return [Problem(where, 'must be an object such as {"MaximumRetryAttempts": 185, '
                        '"MaximumEventAgeInSeconds": 86400}', connection.label)]
    problems = []
    for key, value in policy.items():
        limits = RETRY_POLICY_RANGES.get(key)
        if limits is None:
            problems.append(Problem(f"{where}/{key}", f"unknown RetryPolicy key {key!r}; valid: "
                                    f"{', '.join(RETRY_POLICY_RANGES)}", connection.label))
        elif isinstance(value, bool) or not isinstance(value, int) or not limits[0] <= value <= limits[1]:
            problems.append(Problem(f"{where}/{key}", f"{key} must be an integer from {limits[0]} to {limits[1]}, "
                                    f"got {json.dumps(value)}", connection.label))
    return problems


def _check_dead_letter(connection: ConnectionSpec, topology: Topology) -> list[Problem]:
    queue_id = connection.properties.get("DeadLetterConfig")
    queue = topology.components.get(queue_id) if isinstance(queue_id, str) else None
    if queue is None or queue.kind == "sqs":
        return []  # a missing component is the loader's problem
    return [Problem(f"{connection.pointer}/properties/DeadLetterConfig", f"a rule target's dead-letter queue must "
                    f"be an SQS queue; {queue.id} is a {queue.kind}", connection.label,
                    rule="eventbridge-dead-letter-queue")]


def _check_fifo_target(connection: ConnectionSpec, topology: Topology) -> list[Problem]:
    target = topology.components[connection.target]
    if target.kind != "sqs" or not target.properties.get("FifoQueue"):
        return []
    parameters = connection.properties.get("SqsParameters")
    group = parameters.get("MessageGroupId") if isinstance(parameters, dict) else None
    if isinstance(group, str) and group:
        return []
    return [Problem(f"{connection.pointer}/properties/SqsParameters", f"{target.id} is a FIFO queue: a rule "
                    'target needs SqsParameters {"MessageGroupId": "<group>"} (EventBridge sends every event of '
                    "the rule in that group)", connection.label, rule="eventbridge-fifo-target")]


def _check_transformer(connection: ConnectionSpec) -> list[Problem]:
    value = connection.properties.get("InputTransformer")
    if value is None:
        return []
    where = f"{connection.pointer}/properties/InputTransformer"
    return [Problem(where + below, message, connection.label) for below, message in transformer.problems(value)]


KIND = Kind(
    name="eventbridge",
    title="EventBridge bus",
    cloudformation_type="AWS::Events::EventBus",
    description="An event bus: wraps what it receives in an event envelope and sends it to the targets of every "
                "rule whose pattern matches, with retries and dead-letter queues.",
    runtime=EventBus,
    entry_point=True,
    origin="AWS::Events::EventBus",
    check=check,
    properties=(
        Field("Archive", "object", None, 'An archive of the bus (AWS::Events::Archive): {"EventPattern": {...}, '
              '"RetentionDays": 0}; it keeps the events that match (all without a pattern) for RetentionDays '
              "(0 keeps them indefinitely), for replays."),
    ),
    behavior=(
        Field("put_events_ms", "duration", {"median": 20, "p99": 80}, "How long a PutEvents call takes."),
        Field("delivery_ms", "duration", {"median": 100, "p99": 400},
              "From PutEvents to a target's invocation (each target draws its own)."),
        Field("duplicate_delivery_rate", "number", 0.0001, "The chance that a target receives an event twice "
              "(EventBridge delivers at least once).", minimum=0, maximum=1),
        Field("replays", "array", [], 'Replays of the archive started during the run (StartReplay): [{"ReplayName": '
              '"...", "at_s": 120, "EventStartTime": 0, "EventEndTime": 60}], times in run seconds; each archived '
              "event of [EventStartTime, EventEndTime) goes to the rules again."),
    ),
)
