"""The dynamodb kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.dynamodb.table import Table

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology


_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """An event source mapping needs the table's stream; callers perform DynamoDB operations."""
    problems: list[Problem] = []
    if spec.properties.get("StreamViewType") is None:
        problems.extend(Problem(f"{connection.pointer}/source", f"{spec.id} has no stream for {connection.target} to "
                                "read: set its StreamViewType (KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES)",
                                connection.label)
                        for connection in topology.outgoing(spec.id, "event_source"))
    for connection in topology.incoming(spec.id, "request"):
        operation = connection.properties.get("Operation")
        if operation is not None and operation not in _OPERATIONS:
            problems.append(Problem(f"{connection.pointer}/properties/Operation", f"{operation} is not a DynamoDB "
                                    f"operation: use one of {', '.join(_OPERATIONS)}", connection.label))
    if spec.behavior.get("status_attribute") is not None and spec.behavior.get("partition_key") is None:
        problems.append(Problem(f"{spec.pointer}/behavior/status_attribute",
                                f"{spec.id} keeps item status by key: set partition_key to the payload field "
                                "that holds each item's key", spec.id))
    return problems


KIND = Kind(
    name="dynamodb",
    title="DynamoDB table",
    cloudformation_type="AWS::DynamoDB::Table",
    description="A key-value table with provisioned or on-demand capacity; over capacity it throttles.",
    runtime=Table,
    entry_point=True,
    origin="AWS::DynamoDB::Table",
    check=check,
    properties=(
        Field("BillingMode", "string", "PROVISIONED", "PROVISIONED: capacity units you set, throttled beyond "
              "them. PAY_PER_REQUEST: on demand, billed per request.", enum=("PROVISIONED", "PAY_PER_REQUEST")),
        Field("ReadCapacityUnits", "integer", 5, "Strongly consistent reads per second of items up to 4 KB "
              "(PROVISIONED only).", minimum=1, maximum=40000, unit="RCU"),
        Field("WriteCapacityUnits", "integer", 5, "Writes per second of items up to 1 KB (PROVISIONED only).",
              minimum=1, maximum=40000, unit="WCU"),
        Field("StreamViewType", "string", None, "Turns on the table's stream (StreamSpecification): every item "
              "change becomes one record, kept 24 h, with the key and KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or "
              "NEW_AND_OLD_IMAGES.", enum=("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")),
    ),
    behavior=(
        Field("latency_ms", "duration", {"median": 5, "p99": 20}, "How long a request takes inside DynamoDB."),
        Field("partition_key", "string", None, "The payload field that holds each item's partition key. "
              "Items with the same key share a partition, which serves at most 1,000 WCU and 3,000 RCU per "
              "second: one busy key throttles however much capacity the table has. Without it, keys are "
              "spread evenly (the message id).", min_size=1, max_size=255),
        Field("status_attribute", "string", None, "The payload field that holds an item's status. When set, "
              "the table keeps one status per key (partition_key): a PutItem or UpdateItem records the payload's "
              "status when the write completes, a DeleteItem removes it, and a GetItem answers the item "
              "({partition key, status, updated_at in epoch seconds}) or no Item yet. Without it the table "
              "keeps no item data.", min_size=1, max_size=255),
        Field("item_kb", "number", 1, "Typical item size; sets the capacity units each request consumes.",
              minimum=0.001, maximum=400, unit="KB"),
    ),
)
