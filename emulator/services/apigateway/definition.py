"""The apigateway kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.definitions import Field, Kind
from emulator.problems import Problem
from emulator.services.apigateway.api import ApiGateway

if TYPE_CHECKING:
    from emulator.topology import ComponentSpec, Topology


def check(spec: ComponentSpec, topology: Topology) -> list[Problem]:
    """One Lambda authorizer per API (a REST API method has at most one authorizer)."""
    authorizers = topology.outgoing(spec.id, "authorizer")
    return [Problem(f"{extra.pointer}/role", f"{spec.id} already has the authorizer {authorizers[0].target}; a "
                    "method takes one authorizer: remove this connection or make it a request", extra.label,
                    rule="apigateway-one-authorizer") for extra in authorizers[1:]]

KIND = Kind(
    name="apigateway",
    title="API Gateway",
    cloudformation_type="AWS::ApiGateway::RestApi",
    description="A REST API: throttles with a token bucket, routes to one integration, times out at 29 s.",
    runtime=ApiGateway,
    entry_point=True,
    origin="AWS::ApiGateway::Stage",
    check=check,
    properties=(
        Field("ThrottlingRateLimit", "number", 10000, "Steady-state requests per second (the token bucket's "
              "refill rate). The account default is 10,000.", minimum=0, maximum=10000, unit="requests/s"),
        Field("ThrottlingBurstLimit", "integer", 5000, "The most requests served at once above the steady rate "
              "(the bucket's size). The account default is 5,000.", minimum=0, maximum=5000, unit="requests"),
        Field("TimeoutInMillis", "integer", 29000, "Integration timeout; past it the caller gets 504.",
              minimum=50, maximum=29000, unit="ms"),
    ),
    behavior=(
        Field("overhead_ms", "duration", {"median": 6, "p99": 20},
              "Time API Gateway itself adds to a request (half before the integration, half after)."),
    ),
)
