"""The websocket kind: an API Gateway WebSocket API's properties and behavior keys."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.services.websocket.api import WebSocketApi

KIND = Kind(
    name="websocket",
    title="API Gateway WebSocket API",
    cloudformation_type="AWS::ApiGatewayV2::Api",
    description="A WebSocket API (ProtocolType WEBSOCKET): clients keep a connection open; a backend pushes "
                "to it with PostToConnection, and the client receives the message at once.",
    runtime=WebSocketApi,
    origin="AWS::ApiGatewayV2::Stage",
    properties=(
        Field("ProtocolType", "string", "WEBSOCKET", "The API's protocol: a WebSocket API keeps each client's "
              "connection open so the backend can push to it (HTTP APIs and REST APIs are the apigateway kind).",
              enum=("WEBSOCKET",)),
    ),
    behavior=(
        Field("overhead_ms", "duration", {"median": 10, "p99": 40},
              "Time API Gateway takes to open a connection or to deliver a pushed message."),
    ),
)
