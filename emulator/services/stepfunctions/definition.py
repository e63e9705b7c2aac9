"""The stepfunctions kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.stepfunctions.state_machine import StateMachine, base_resource, target_name
from emulator.stepfunctions.validation import tasks, validate

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology

# What a Task may call ("Integrating services with Step Functions"; the kinds Wiretap runs).
TASK_TARGET_KINDS = frozenset({"lambda", "sqs", "sns", "dynamodb", "stepfunctions"})

_EXAMPLE = {
    "StartAt": "Work",
    "States": {"Work": {"Type": "Pass", "End": True}},
}


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """Each Task's target, and what Express workflows cannot do (the loader checked the definition's
    structure: the Definition field's check_parts)."""
    where = f"{spec.pointer}/properties/Definition"
    definition = spec.properties.get("Definition")
    problems: list[Problem] = []
    if validate(definition):
        return problems  # a definition the loader refused, left to its default by a salvage
    called = {connection.target for connection in topology.outgoing(spec.id, "request")}
    express = spec.properties.get("StateMachineType") == "EXPRESS"
    for pointer, state in tasks(definition):
        resource = state.get("Resource")
        if not isinstance(resource, str) or resource.startswith("{%"):
            continue
        target = target_name(resource, state.get("Parameters", state.get("Arguments")))
        at = f"{where}{pointer}/Resource"
        pattern = resource[len(base_resource(resource)):]
        if express and pattern:
            problems.append(Problem(at, f"Express workflows do not support the {pattern}"
                                    " integration pattern; make the state machine STANDARD or call the resource "
                                    "without it", spec.id, rule="stepfunctions-express-pattern"))
        if target is None:
            problems.append(Problem(at, f"Resource '{resource}' names no component: use a component id, a Lambda "
                                    "function ARN, or an optimized integration (arn:aws:states:::lambda:invoke with "
                                    "Parameters.FunctionName = a component id)", spec.id,
                                    rule="stepfunctions-task-target"))
        elif target not in called:
            kinds = topology.components.get(target)
            known = "" if kinds is None else f" ({kinds.kind})"
            problems.append(Problem(at, f"the Task calls '{target}'{known}, which {spec.id} has no request connection "
                                    f"to; draw a request connection from {spec.id} to {target}", spec.id,
                                    rule="stepfunctions-task-target"))
        elif topology.components[target].kind not in TASK_TARGET_KINDS:
            problems.append(Problem(at, f"a Task cannot call '{target}' ({topology.components[target].kind}); it "
                                    f"may call {', '.join(sorted(TASK_TARGET_KINDS))}", spec.id,
                                    rule="stepfunctions-task-target"))
    return problems


KIND = Kind(
    name="stepfunctions",
    title="Step Functions state machine",
    cloudformation_type="AWS::StepFunctions::StateMachine",
    description="A workflow in the Amazon States Language: Task states call the components it is connected to; "
                "Retry, Catch, Wait, Choice, Parallel and Map run in virtual time.",
    runtime=StateMachine,
    entry_point=True,
    origin="AWS::StepFunctions::StateMachine",
    check=check,
    properties=(
        Field("StateMachineType", "string", "STANDARD",
              "STANDARD: up to a year, exactly-once, billed per state transition; .waitForTaskToken works. "
              "EXPRESS: up to 5 minutes, billed by requests and duration; callers that wait (API Gateway, "
              "Lambda) use StartSyncExecution and get the output.", enum=("STANDARD", "EXPRESS")),
        Field("Definition", "object", _EXAMPLE,
              "The state machine in the Amazon States Language (JSONPath or JSONata). A Task's Resource is the "
              "id of a component this state machine has a request connection to (Lambda, SQS, SNS, DynamoDB, "
              "another state machine), a Lambda ARN, or arn:aws:states:::lambda:invoke (sqs:sendMessage, "
              "sns:publish, dynamodb:putItem...) with Parameters.FunctionName (QueueUrl, TopicArn, TableName) "
              "naming the component. With Resource '<id>.waitForTaskToken' (STANDARD only) the Task waits "
              "until a component calls this state machine with a payload holding that TaskToken (pass it as "
              "\"TaskToken.$\": \"$$.Task.Token\"): SendTaskSuccess with the payload (or its Output field) as "
              "the result, SendTaskFailure when the payload has Error (and Cause); HeartbeatSeconds or "
              "TimeoutSeconds bound the wait.", check_parts=validate),
    ),
    behavior=(
        Field("api_ms", "duration", {"median": 25, "p99": 80},
              "How long StartExecution (and SendTaskSuccess) takes to answer."),
        Field("transition_ms", "duration", {"median": 10, "p99": 40},
              "How long the service takes to move from one state to the next."),
        Field("duplicate_execution_rate", "number", 0.0001,
              "Express workflows started asynchronously (StartExecution) run at least once: the chance "
              "that one start runs a second execution of the same input. Standard workflows run "
              "exactly once and synchronous Express starts (StartSyncExecution) at most once.",
              minimum=0, maximum=1),
    ),
)
