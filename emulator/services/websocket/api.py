"""An API Gateway WebSocket API at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.messages import Message
from emulator.pricing import APIGATEWAY_WEBSOCKET_PER_CONNECTION_MINUTE, APIGATEWAY_WEBSOCKET_PER_MESSAGE
from emulator.services.base import Call, Component, Link, Reply, mark, service_unavailable
from emulator.tracing import EPOCH, Segment

# API Gateway quotas for WebSocket APIs: a connection idle for 10 minutes is closed.
IDLE_TIMEOUT_S = 600.0
GONE = Reply(410, "GoneException", "The connection is no longer available")
CONNECTED = Reply(200)
DELIVERED = Reply(200)


class Connection:
    """One open WebSocket connection: the client holding it, and when it was last used."""

    __slots__ = ("client", "opened", "active")

    def __init__(self, client: Component, opened: float) -> None:
        self.client = client
        self.opened = opened
        self.active = opened


class WebSocketApi(Component):
    def connect(self) -> None:
        self.overhead = Duration.from_spec(self.behavior["overhead_ms"])
        # Open connections by the message (order) whose page opened them: one per message.
        self.connections: dict[str, Connection] = {}
        self.connects = self.messages = self.client_errors = self.execution_errors = 0
        self.closed_seconds = 0.0
        self.latencies = Latencies()
        self._aws = {"api_id": self.id.lower(), "stage": "prod"}

    def operation(self, link: Link | None) -> str:
        # A client opens a connection ($connect); a backend pushes through the @connections API.
        if link is not None and link.source.kind.name == "client":
            return "$connect"
        return "PostToConnection"

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, now)
        segment.aws = self._aws
        faults = self.faults
        overhead_s = self.overhead.sample(self.rng) / 1000.0
        reply: Reply | None = None
        if faults:
            overhead_s += faults.extra_ms(now) / 1000.0
            if faults.unavailable(now):
                reply = service_unavailable(self.id)
            elif faults.throttled(now):
                reply = Reply(429, "LimitExceededException", "Too Many Requests")
            elif self.rng.random() < faults.error_rate(now, 0.0):
                reply = Reply(500, "InternalServerErrorException", "Internal server error (injected fault)")
        connections = self.connections
        self._close_idle(now)
        connection = connections.pop(message.message_id, None)
        if connection is not None:
            # Most recently used last, so the idle ones are always at the front.
            connection.active = now
            connections[message.message_id] = connection
        if reply is not None:
            pass
        elif call_.operation == "$connect":
            assert call_.link is not None
            if connection is None:
                self.connects += 1
                connections[message.message_id] = Connection(call_.link.source, now)
            reply = CONNECTED
        elif connection is None:
            reply = GONE
        else:
            self.messages += 1
            reply = DELIVERED
            # The frame reaches the client as API Gateway answers the sender.
            self.kernel.schedule(overhead_s, _deliver, connection.client, message, segment.id)
        self.kernel.schedule(overhead_s, self._answer, call_, segment, reply, now)

    def _answer(self, call_: Call, segment: Segment, reply: Reply, started: float) -> None:
        now = self.kernel.now
        segment.end_time = EPOCH + now
        segment.http = {"response": {"status": reply.status}}
        if reply.ok:
            segment.annotations["outcome"] = "ok"
            self.latencies.add((now - started) * 1000.0)
        else:
            if reply.status >= 500:
                self.execution_errors += 1
                segment.annotations["outcome"] = "fault"
            else:
                self.client_errors += 1
                segment.annotations["outcome"] = "throttled" if reply.throttled else "error"
            mark(segment, reply, self.segment_id())
        self.emit(segment)
        call_.reply(reply)

    def _close_idle(self, now: float) -> None:
        """Close the connections idle for the timeout (without a timer event: they are found when next asked)."""
        connections = self.connections
        while connections:
            message_id = next(iter(connections))
            connection = connections[message_id]
            closes = connection.active + IDLE_TIMEOUT_S
            if closes > now:
                return
            del connections[message_id]
            self.closed_seconds += closes - connection.opened

    def connection_minutes(self) -> float:
        now = self.kernel.now
        open_seconds = sum(min(now, c.active + IDLE_TIMEOUT_S) - c.opened for c in self.connections.values())
        return (self.closed_seconds + open_seconds) / 60.0

    def metrics(self) -> dict[str, Any]:
        return {
            "ConnectCount": self.connects,
            "MessageCount": self.messages,
            "ClientError": self.client_errors,
            "ExecutionError": self.execution_errors,
            "IntegrationLatency": self.latencies.percentiles(),
        }

    def open_connections(self, now: float) -> int:
        """Connections open at ``now``: those idle for the timeout are closed, even if no request has
        come since to close them (the idle ones are at the front)."""
        closed = 0
        for connection in self.connections.values():
            if connection.active + IDLE_TIMEOUT_S > now:
                break
            closed += 1
        return len(self.connections) - closed

    def gauges(self) -> dict[str, float]:
        return {"connections": float(self.open_connections(self.kernel.now))}

    def activity(self) -> tuple[int, int, int]:
        return (self.connects + self.messages, self.client_errors + self.execution_errors, 0)

    def cost_usd(self) -> float:
        return (self.messages * APIGATEWAY_WEBSOCKET_PER_MESSAGE
                + self.connection_minutes() * APIGATEWAY_WEBSOCKET_PER_CONNECTION_MINUTE)


def _deliver(client: Component, message: Message, parent_id: str) -> None:
    """The pushed frame arrives at the client that holds the connection."""
    from emulator.services.client import Client

    if isinstance(client, Client):
        client.receive(message, parent_id)
