"""The eventbridge kind: its behavior keys, and the checks across its rules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from emulator.definitions import MAX_RUN_S, Field, Kind
from emulator.matching import event_pattern_problem
from emulator.problems import Problem
from emulator.services.eventbridge import transformer
from emulator.services.eventbridge.bus import MAX_TARGETS_PER_RULE, EventBus

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, ConnectionSpec, Topology

# RetryPolicy's keys and their ranges (EventBridge API reference, "RetryPolicy").
RETRY_POLICY = Field(
    "RetryPolicy", "object", None,
    "MaximumRetryAttempts (0-185, default 185) and MaximumEventAgeInSeconds (60-86400, default 86400).",
    fields=(
        Field("MaximumRetryAttempts", "integer", 185, "Retries of a failed delivery before the event is dropped "
              "or dead-lettered.", minimum=0, maximum=185),
        Field("MaximumEventAgeInSeconds", "integer", 86_400, "How long EventBridge keeps retrying an event.",
              minimum=60, maximum=86_400, unit="seconds"),
    ),
)


def _path_problem(path: Any) -> str | None:
    try:
        transformer.parse_path(path)
    except ValueError as error:
        return f"{path!r} {error}"
    return None


# EventBridge API reference, "InputTransformer": at most 100 variables; a template of at most 8,192 characters.
INPUT_TRANSFORMER = Field(
    "InputTransformer", "object", None, "InputPathsMap and InputTemplate that reshape the event.",
    fields=(
        Field("InputPathsMap", "object", None, 'Variable names to JSON paths into the event, such as '
              '{"state": "$.detail.state"}.', max_size=transformer.MAX_VARIABLES,
              keys=Field("variable name", "string", None, "Letters, digits, _ and - (the aws.events.* names, "
                         "with dots, are reserved).", pattern=r"[A-Za-z0-9_\-]+"),
              values=Field("JSON path", "string", None, "$ then .name and [index] steps.", max_size=256,
                           check=_path_problem)),
        Field("InputTemplate", "string", None, "The text (often JSON) the target receives, with <variable> "
              "placeholders.", required=True, min_size=1, max_size=8192),
    ),
)

SQS_PARAMETERS = Field(
    "SqsParameters", "object", None,
    'A FIFO queue target: {"MessageGroupId": "..."}, the group its events are sent in.',
    fields=(Field("MessageGroupId", "string", None, "The message group of every event this target sends.",
                  required=True, min_size=1, max_size=128),),
)

ARCHIVE = Field(
    "Archive", "object", None, 'An archive of the bus (AWS::Events::Archive): {"EventPattern": {...}, '
    '"RetentionDays": 0}; it keeps the events that match (all without a pattern) for RetentionDays '
    "(0 keeps them indefinitely), for replays.",
    fields=(
        Field("EventPattern", "object", None, "The events the archive keeps (all without a pattern).",
              check=event_pattern_problem),
        Field("RetentionDays", "integer", 0, "Days an archived event is kept; 0 keeps it indefinitely.",
              minimum=0, maximum=36_500, unit="days"),
    ),
)


def _replay_window_problem(replay: Any) -> str | None:
    start, end, at = replay["EventStartTime"], replay["EventEndTime"], replay["at_s"]
    if start < end <= at:
        return None
    return "needs EventStartTime < EventEndTime <= at_s: a replay covers a past window of the archive"


def _run_seconds(name: str, help_text: str) -> Field:
    return Field(name, "number", None, help_text, required=True, minimum=0, maximum=MAX_RUN_S, unit="seconds")


REPLAYS = Field(
    "replays", "array", [], 'Replays of the archive started during the run (StartReplay): [{"ReplayName": '
    '"...", "at_s": 120, "EventStartTime": 0, "EventEndTime": 60}], times in run seconds; each archived '
    "event of [EventStartTime, EventEndTime) goes to the rules again.",
    items=Field("replay", "object", None, "One StartReplay.", check=_replay_window_problem, fields=(
        Field("ReplayName", "string", None, "1-64 letters, digits, '.', '-' or '_'.", required=True,
              pattern=r"[.\-_A-Za-z0-9]{1,64}"),
        _run_seconds("at_s", "When the replay starts, in run seconds."),
        _run_seconds("EventStartTime", "The start of the archived window replayed, in run seconds."),
        _run_seconds("EventEndTime", "The end of the window (not included), in run seconds."),
    )),
)


def rule_name(connection: ConnectionSpec) -> str:
    name = connection.properties.get("RuleName")
    return name if isinstance(name, str) and name else f"{connection.target}Rule"


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """At most 5 targets a rule, one pattern a rule, SQS dead-letter queues, FIFO targets' groups, replays
    of an archive (the shapes of RetryPolicy, InputTransformer, Archive and replays are their Fields')."""
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
        problems.extend(_check_dead_letter(connection, topology))
        problems.extend(_check_fifo_target(connection, topology))
    problems.extend(_check_replays(spec))
    return problems


def _check_replays(spec: ComponentSpec) -> list[Problem]:
    """A replay replays the archive: without one there is nothing to replay."""
    if spec.properties.get("Archive") is not None:
        return []
    return [Problem(f"{spec.pointer}/behavior/replays/{index}", "a replay needs the bus's Archive property (it "
                    "replays archived events)", spec.id) for index, _ in enumerate(spec.behavior.get("replays") or [])]


def _pattern(connection: ConnectionSpec) -> str:
    return json.dumps(connection.properties.get("EventPattern"), sort_keys=True)


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
        ARCHIVE,
    ),
    behavior=(
        Field("put_events_ms", "duration", {"median": 20, "p99": 80}, "How long a PutEvents call takes."),
        Field("delivery_ms", "duration", {"median": 100, "p99": 400},
              "From PutEvents to a target's invocation (each target draws its own)."),
        Field("duplicate_delivery_rate", "number", 0.0001, "The chance that a target receives an event twice "
              "(EventBridge delivers at least once).", minimum=0, maximum=1),
        REPLAYS,
    ),
)
