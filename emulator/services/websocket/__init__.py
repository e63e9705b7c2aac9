"""Amazon API Gateway WebSocket APIs: connections held open, and pushes through @connections.

Rules (API Gateway developer guide: "WebSocket APIs in API Gateway", "Use @connections commands
in your backend service", "Amazon API Gateway quotas for configuring and running a WebSocket
API"; pricing page): an ``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET``. A client's
``request`` connection to it opens a WebSocket connection (the ``$connect`` route) for the
message it is sending, as a page opened for an order does; a backend (a function) reaches the
same connection with ``PostToConnection`` over its own ``request`` connection, and the message
arrives at the client: a segment of the client in the message's trace, under the API's. A
push to a connection that is not open (never opened, or closed) answers 410 GoneException. A
connection idle for 10 minutes is closed (the quota "Idle connection timeout"). Metrics are
CloudWatch's for WebSocket APIs: ConnectCount, MessageCount, ClientError, ExecutionError,
IntegrationLatency. Cost: $1.00 per million messages and $0.25 per million connection minutes.
"""

from emulator.services.websocket.api import IDLE_TIMEOUT_S, Connection, WebSocketApi
from emulator.services.websocket.definition import KIND

__all__ = ["IDLE_TIMEOUT_S", "KIND", "Connection", "WebSocketApi"]
