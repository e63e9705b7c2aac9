"""The awslambda kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.awslambda.event_source_mapping import check_mappings
from emulator.services.awslambda.function import Function
from emulator.services.awslambda.invocation import ACCOUNT_CONCURRENCY, MINIMUM_UNRESERVED
from emulator.services.awslambda.stream_mapping import check_stream_mappings

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology

# The shapes of the event source mapping's object-valued properties (CreateEventSourceMapping API reference).
FUNCTION_RESPONSE_TYPES = Field(
    "FunctionResponseTypes", "array", None,
    '["ReportBatchItemFailures"]: the function reports which records failed; only those are retried.', max_size=1,
    items=Field("response type", "string", None, "ReportBatchItemFailures.", enum=("ReportBatchItemFailures",)),
)
SCALING_CONFIG = Field(
    "ScalingConfig", "object", None,
    '{"MaximumConcurrency": 2-1000}: the most concurrent invocations this SQS source may cause.',
    fields=(Field("MaximumConcurrency", "integer", 1000, "The most concurrent invocations the mapping causes.",
                  minimum=2, maximum=1000),),
)
DESTINATION_CONFIG = Field(
    "DestinationConfig", "object", None,
    'Where a description of a skipped batch goes: {"OnFailure": {"Destination": "<component id>"}}.',
    fields=(Field("OnFailure", "object", None, "The destination of skipped batches' records.", fields=(
        Field("Destination", "string", None, "The id of the queue, topic or bucket that receives them.",
              required=True, references_component=True),
    )),),
)


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """Account-wide and per-function rules that span fields."""
    problems: list[Problem] = []
    reserved = spec.properties.get("ReservedConcurrentExecutions")
    provisioned = spec.properties.get("ProvisionedConcurrency") or 0
    if reserved is not None and provisioned > reserved:
        problems.append(Problem(f"{spec.pointer}/properties/ProvisionedConcurrency",
                                f"ProvisionedConcurrency ({provisioned}) cannot exceed "
                                f"ReservedConcurrentExecutions ({reserved})", spec.id))
    functions = [c for c in topology.components.values() if c.kind == "lambda"]
    if functions and functions[0].id == spec.id:
        total = sum(int(c.properties.get("ReservedConcurrentExecutions") or 0) for c in functions)
        if total > ACCOUNT_CONCURRENCY - MINIMUM_UNRESERVED:
            problems.append(Problem(f"{spec.pointer}/properties/ReservedConcurrentExecutions",
                                    f"the functions reserve {total} of the account's {ACCOUNT_CONCURRENCY} "
                                    f"concurrent executions; at most {ACCOUNT_CONCURRENCY - MINIMUM_UNRESERVED} "
                                    f"can be reserved ({MINIMUM_UNRESERVED} stay unreserved)", spec.id))
    for link in topology.outgoing(spec.id, "on_success", "on_failure", "dead_letter"):
        same = topology.outgoing(spec.id, link.role)
        if len(same) > 1 and same[0] is not link:
            problems.append(Problem(link.pointer, f"a function has at most one {link.role} "
                                    f"{'destination' if link.role != 'dead_letter' else 'queue'}", link.label))
    problems.extend(check_mappings(spec, topology))
    problems.extend(check_stream_mappings(spec, topology))
    return problems


KIND = Kind(
    name="lambda",
    title="Lambda function",
    cloudformation_type="AWS::Lambda::Function",
    description="A function: cold starts, concurrency limits and throttling, async retries and destinations.",
    runtime=Function,
    entry_point=True,
    origin="AWS::Lambda::Function",
    check=check,
    properties=(
        Field("Timeout", "integer", 3, "Seconds an invocation may run before it is stopped (an error).",
              minimum=1, maximum=900, unit="seconds"),
        Field("MemorySize", "integer", 128, "Memory in MB; billing is memory x duration.",
              minimum=128, maximum=10240, unit="MB"),
        Field("ReservedConcurrentExecutions", "integer", None, "Caps the function's concurrent executions "
              "(and reserves them from the account's 1,000). 0 throttles every invocation.",
              minimum=0, maximum=ACCOUNT_CONCURRENCY - MINIMUM_UNRESERVED),
        Field("ProvisionedConcurrency", "integer", 0, "Environments kept initialized: no cold starts for them "
              "(ProvisionedConcurrencyConfig).", minimum=0, maximum=ACCOUNT_CONCURRENCY),
        Field("MaximumRetryAttempts", "integer", 2, "Retries of a failed asynchronous invocation "
              "(EventInvokeConfig).", minimum=0, maximum=2),
        Field("MaximumEventAgeInSeconds", "integer", 21600, "How long an asynchronous event may wait in "
              "Lambda's queue, retries included (EventInvokeConfig).", minimum=60, maximum=21600, unit="seconds"),
        Field("RecursiveLoop", "string", "Terminate", "Terminate: Lambda stops an event that has invoked the "
              "function 16 times in a loop through SQS, SNS or Lambda. Allow: never stopped.",
              enum=("Terminate", "Allow")),
        Field("Architectures", "array", ["x86_64"], 'The instruction set: ["x86_64"] or ["arm64"] (arm64 costs '
              "20% less per GB-s).", min_size=1, max_size=1,
              items=Field("architecture", "string", None, "x86_64 or arm64.", enum=("x86_64", "arm64"))),
    ),
    behavior=(
        Field("duration_ms", "duration", {"median": 50, "p99": 250}, "The handler's own work per record, not "
              "counting its calls to other components."),
        Field("error_rate", "number", 0.0, "The chance that handling a record fails (an unhandled error).",
              minimum=0, maximum=1),
        Field("cold_start_ms", "duration", {"median": 250, "p99": 900}, "INIT time of a new execution "
              "environment (at most 10 s)."),
        Field("idle_timeout_s", "number", 360, "How long an idle environment stays warm before Lambda reclaims "
              "it (AWS does not document it; 5-7 minutes is commonly observed).", minimum=0, maximum=86_400,
              unit="seconds"),
    ),
)
