"""The catalog: every kind the emulator runs and every connection role, in one place.

Kinds come from the service modules (each defines ``KIND``); roles are defined here
because they span services. A role's pairs may name kinds that are not emulated yet;
``ROLES`` keeps only the pairs whose both ends exist, so the catalog never offers what
cannot run.
"""

from __future__ import annotations

from typing import Any

from emulator.definitions import Field, Kind, Role, fields_schema
from emulator.matching import event_pattern_problem
from emulator.services import (
    apigateway,
    awslambda,
    circuitbreaker,
    client,
    dynamodb,
    elasticache,
    eventbridge,
    firehose,
    http,
    kinesis,
    rds,
    s3,
    sns,
    sqs,
    stepfunctions,
    websocket,
)
from emulator.services.awslambda.definition import DESTINATION_CONFIG, FUNCTION_RESPONSE_TYPES, SCALING_CONFIG
from emulator.services.awslambda.filtering import FILTER_CRITERIA
from emulator.services.client.definition import POLL
from emulator.services.eventbridge.definition import INPUT_TRANSFORMER, RETRY_POLICY, SQS_PARAMETERS
from emulator.services.s3.definition import EVENTS, FILTER
from emulator.services.sns.definition import REDRIVE_POLICY

KINDS: dict[str, Kind] = {
    module.KIND.name: module.KIND
    for module in (client, apigateway, awslambda, sqs, sns, eventbridge, dynamodb, elasticache, rds, http,
                   circuitbreaker, kinesis, firehose, s3, stepfunctions, websocket)
}


def _check_filter_policy(value: Any) -> str | None:
    from emulator.matching import InvalidPatternError, validate_filter_policy

    # The body scope accepts everything the attribute scope does (and nested keys); the SNS
    # module checks the policy against the subscription's real FilterPolicyScope.
    try:
        validate_filter_policy(value, "MessageBody")
    except InvalidPatternError as error:
        return f"is not a valid SNS filter policy: {error}"
    return None


def _check_identity_source(value: Any) -> str | None:
    for prefix in ("method.request.header.", "method.request.querystring."):
        if isinstance(value, str) and value.startswith(prefix) and len(value) > len(prefix):
            return None
    return "must be method.request.header.<name> or method.request.querystring.<name>"


def _pairs(sources: str, targets: str) -> set[tuple[str, str]]:
    return {(s, t) for s in sources.split() for t in targets.split()}


WHEN = Field(
    "when",
    "object",
    None,
    "An EventBridge event pattern matched against the message payload: the call is made only "
    "when it matches (routing by content). Without it every message is sent.",
    check=event_pattern_problem,
)

_STREAMS = _pairs("kinesis dynamodb", "lambda")
_POLLED_BY_LAMBDA = frozenset(_pairs("sqs kinesis dynamodb", "lambda"))

_ALL_ROLES = (
    Role(
        "request",
        "Synchronous call: the caller waits for the answer.",
        frozenset(
            _pairs("client", "apigateway lambda sqs sns eventbridge kinesis s3 stepfunctions dynamodb")
            | _pairs("apigateway", "lambda sqs sns kinesis eventbridge stepfunctions dynamodb http")
            | _pairs(
                "lambda",
                "dynamodb rds elasticache http sqs sns kinesis eventbridge firehose s3 stepfunctions lambda",
            )
            | _pairs("stepfunctions", "lambda sqs sns dynamodb stepfunctions")
            | _pairs("elasticache", "rds")
            | _pairs("lambda", "circuitbreaker")
            | _pairs("circuitbreaker", "http lambda rds dynamodb elasticache sqs sns eventbridge")
            | _pairs("client lambda", "websocket")
        ),
        (
            WHEN,
            Field(
                "Operation",
                "string",
                None,
                "The API operation the caller performs: on a DynamoDB table (default PutItem) or an S3 bucket "
                "(default PutObject).",
                enum=("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "PutObject", "DeleteObject"),
            ),
            POLL,
        ),
        property_pairs={"Operation": frozenset(_pairs("client apigateway lambda stepfunctions", "dynamodb")
                                               | _pairs("client lambda", "s3")),
                        "poll": frozenset(_pairs("client", "apigateway lambda dynamodb"))},
    ),
    Role(
        "event",
        "Asynchronous Lambda invocation (InvocationType Event): Lambda's internal queue, retries "
        "and destinations apply.",
        frozenset(_pairs("client lambda s3", "lambda")),
        (WHEN,),
    ),
    Role(
        "subscription",
        "The SNS topic delivers each published message to this subscriber.",
        frozenset(_pairs("sns", "sqs lambda http firehose")),
        (
            Field("FilterPolicy", "object", None, "Deliver only messages that match this filter policy.",
                  check=_check_filter_policy),
            Field("FilterPolicyScope", "string", "MessageAttributes",
                  "Match the filter policy against the message attributes or the message body.",
                  enum=("MessageAttributes", "MessageBody")),
            Field("RawMessageDelivery", "boolean", False,
                  "Deliver the message body as is, without the SNS JSON envelope (SQS and HTTP only)."),
            REDRIVE_POLICY,
        ),
    ),
    Role(
        "rule",
        "An EventBridge rule sending matching events to this target. Connections with the same RuleName are "
        "the targets of one rule (at most 5) and share its EventPattern.",
        frozenset(_pairs("eventbridge", "lambda sqs sns stepfunctions kinesis firehose circuitbreaker")),
        (
            Field("RuleName", "string", None,
                  "The rule this target belongs to; connections with the same RuleName are one rule with several "
                  "targets. Without it the connection is a rule of its own, named after its target.",
                  pattern=r"[.\-_A-Za-z0-9]{1,64}"),
            Field("EventPattern", "object", None, "The event pattern events must match.", check=event_pattern_problem),
            RETRY_POLICY,
            Field("DeadLetterConfig", "string", None, "The queue that receives events that could not be delivered.",
                  references_component=True),
            INPUT_TRANSFORMER,
            SQS_PARAMETERS,
        ),
        property_pairs={"SqsParameters": frozenset({("eventbridge", "sqs")})},
    ),
    Role(
        "authorizer",
        "API Gateway's Lambda authorizer (TOKEN): called with the identity before the integration, its policy "
        "cached per identity; a denied request is answered 403 and never reaches the backend.",
        frozenset({("apigateway", "lambda")}),
        (
            Field("AuthorizerResultTtlInSeconds", "integer", 300,
                  "How long API Gateway caches the authorizer's policy for an identity; 0 disables caching.",
                  minimum=0, maximum=3600, unit="seconds"),
            Field("IdentitySource", "string", "method.request.header.Authorization",
                  "Where the identity is: method.request.header.<name> (a message attribute) or "
                  "method.request.querystring.<name> (a payload field). A request without it gets 401.",
                  check=_check_identity_source),
            Field("deny_when", "object", None,
                  'An EventBridge event pattern matched against {"identity": <the identity>}: the authorizer '
                  "returns a Deny policy for a matching caller, Allow for any other.", check=event_pattern_problem),
        ),
    ),
    Role(
        "event_source",
        "Lambda polls the queue or stream and invokes the function with batches (event source mapping); "
        "or Firehose reads the Kinesis stream (its source).",
        frozenset(_pairs("sqs kinesis dynamodb", "lambda") | {("kinesis", "firehose")}),
        (
            Field("BatchSize", "integer", None,
                  "Records per batch. Default 10 for SQS (FIFO at most 10), 100 for streams; at most 10,000.",
                  minimum=1, maximum=10000),
            Field("MaximumBatchingWindowInSeconds", "integer", 0,
                  "How long to gather records before invoking. Needed (>= 1) for SQS batches above 10.",
                  minimum=0, maximum=300, unit="seconds"),
            FUNCTION_RESPONSE_TYPES,
            SCALING_CONFIG,
            Field("BisectBatchOnFunctionError", "boolean", False,
                  "Split a failing batch in two and retry the halves (streams)."),
            Field("MaximumRetryAttempts", "integer", -1,
                  "Retries of a failing batch before it is skipped; -1 retries until the records expire (streams).",
                  minimum=-1, maximum=10000),
            Field("MaximumRecordAgeInSeconds", "integer", -1,
                  "Skip records older than this; -1 means until they expire (streams).",
                  minimum=-1, maximum=604800, unit="seconds",
                  check=lambda v: None if v == -1 or v >= 60 else "must be -1 or between 60 and 604800 seconds"),
            Field("ParallelizationFactor", "integer", 1,
                  "Concurrent batches per shard; order is kept per partition key (streams).", minimum=1, maximum=10),
            Field("StartingPosition", "string", "TRIM_HORIZON", "Where reading starts in the stream.",
                  enum=("TRIM_HORIZON", "LATEST")),
            DESTINATION_CONFIG,
            FILTER_CRITERIA,
        ),
        property_pairs={
            "BatchSize": _POLLED_BY_LAMBDA,
            "MaximumBatchingWindowInSeconds": _POLLED_BY_LAMBDA,
            "FunctionResponseTypes": _POLLED_BY_LAMBDA,
            "FilterCriteria": _POLLED_BY_LAMBDA,
            "ScalingConfig": frozenset({("sqs", "lambda")}),
            "BisectBatchOnFunctionError": frozenset(_STREAMS),
            "MaximumRetryAttempts": frozenset(_STREAMS),
            "MaximumRecordAgeInSeconds": frozenset(_STREAMS),
            "ParallelizationFactor": frozenset(_STREAMS),
            "StartingPosition": frozenset(_STREAMS),
            "DestinationConfig": frozenset(_STREAMS),
        },
    ),
    Role(
        "dead_letter",
        "Where failures go: a queue's redrive target (after maxReceiveCount receives), or a function's "
        "dead-letter queue for failed asynchronous events.",
        frozenset({("sqs", "sqs")} | _pairs("lambda", "sqs sns")),
        (
            Field("maxReceiveCount", "integer", None,
                  "Receives after which a message moves to the dead-letter queue (queue redrive only).",
                  minimum=1, maximum=1000),
        ),
        property_pairs={"maxReceiveCount": frozenset({("sqs", "sqs")})},
    ),
    Role(
        "on_success",
        "Lambda destination for asynchronous invocations that succeeded.",
        frozenset(_pairs("lambda", "sqs sns lambda eventbridge")),
    ),
    Role(
        "on_failure",
        "Lambda destination for asynchronous invocations that failed for good.",
        frozenset(_pairs("lambda", "sqs sns lambda eventbridge s3")),
    ),
    Role(
        "notification",
        "S3 event notification.",
        frozenset(_pairs("s3", "lambda sqs sns")),
        (
            EVENTS,
            FILTER,
        ),
    ),
    Role("delivery", "Firehose delivers buffered records.", frozenset({("firehose", "s3")})),
)


def _available(role: Role) -> Role:
    pairs = frozenset((s, t) for s, t in role.pairs if s in KINDS and t in KINDS)
    return Role(role.name, role.description, pairs, role.properties, role.property_pairs)


ROLES: dict[str, Role] = {role.name: r for role in _ALL_ROLES if (r := _available(role)).pairs}


def roles_between(source_kind: str, target_kind: str) -> list[str]:
    """The roles a connection from ``source_kind`` to ``target_kind`` may have."""
    return [name for name, role in ROLES.items() if role.allows(source_kind, target_kind)]


def describe() -> dict[str, Any]:
    """The catalog as JSON data: kinds with property and behavior schemas, roles with pairs."""
    return {
        "kinds": [
            {
                "name": kind.name,
                "title": kind.title,
                "cloudformation_type": kind.cloudformation_type,
                "description": kind.description,
                "entry_point": kind.entry_point,
                "properties": fields_schema(kind.properties),
                "behavior": fields_schema(kind.behavior),
            }
            for kind in KINDS.values()
        ],
        "roles": [
            {
                "name": role.name,
                "description": role.description,
                "pairs": sorted([s, t] for s, t in role.pairs),
                "properties": fields_schema(role.properties),
                "property_pairs": {k: sorted([s, t] for s, t in v) for k, v in role.property_pairs.items()},
            }
            for role in ROLES.values()
        ],
    }
