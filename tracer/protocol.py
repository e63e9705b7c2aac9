"""Every message of the run stream (/ws/runs/<id>/), built and encoded here and nowhere else.

Server -> client, each with the run's sequence number ``seq`` (1, 2, 3... shared by all types):

- ``run.status``: status, virtual_seconds, speed (null: as fast as possible), paused;
- ``run.segments``: up to 500 X-Ray segment documents (never one message per segment);
- ``run.metrics``: one ``emulator.live.Sample`` (every component's gauges and rates);
- ``run.finished``: the final status and the run's summary (null when it failed); ``error``
  says why it failed or where it stopped, and ``limit`` names the limit that stopped it (a
  ``cancelled`` run that nobody cancelled: README "Limits"), else "".

Client -> server: ``{"type": "control", "speed": 10 | null, "paused": bool}`` and
``{"type": "cancel"}``.

The text a client receives is the text stored in the replay log (``RunEvent.body``), so a
replayed event is byte for byte the event sent live.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from emulator.live import Sample

Status = Literal["queued", "running", "finished", "failed", "cancelled"]


class RunStatus(msgspec.Struct, tag="run.status", tag_field="type"):
    seq: int
    status: Status
    virtual_seconds: float
    speed: float | None
    paused: bool


class RunSegments(msgspec.Struct, tag="run.segments", tag_field="type"):
    """Each segment's JSON is encoded once (``Raw``): the same bytes go into its trace's row."""

    seq: int
    segments: list[msgspec.Raw]


class TraceOutcome(msgspec.Struct):
    trace_id: str
    outcome: str
    duration_ms: float


class RunTraces(msgspec.Struct, tag="run.traces", tag_field="type"):
    """Messages whose last copy ended, with the ledger's outcome: what segments alone cannot tell
    (a message waiting in a queue has no segment yet). Sent as their rows are stored."""

    seq: int
    traces: list[TraceOutcome]


class RunMetrics(msgspec.Struct, tag="run.metrics", tag_field="type"):
    seq: int
    sample: Sample


class RunFinished(msgspec.Struct, tag="run.finished", tag_field="type"):
    seq: int
    status: Status
    summary: dict[str, Any] | None
    error: str = ""
    limit: str = ""


ServerMessage = RunStatus | RunSegments | RunTraces | RunMetrics | RunFinished


class Control(msgspec.Struct, tag="control", tag_field="type", forbid_unknown_fields=True):
    speed: float | None
    paused: bool = False


class Cancel(msgspec.Struct, tag="cancel", tag_field="type", forbid_unknown_fields=True):
    pass


ClientMessage = Control | Cancel

_encoder = msgspec.json.Encoder()
_client_decoder = msgspec.json.Decoder(ClientMessage)


def type_of(message: ServerMessage) -> str:
    tag: str = message.__struct_config__.tag  # type: ignore[assignment]
    return tag


def encode(message: ServerMessage) -> str:
    """The JSON text of a server message (what is sent and stored)."""
    return _encoder.encode(message).decode()


class BadMessage(ValueError):
    """A client message that is not one of ClientMessage."""


def decode_client(text: str) -> ClientMessage:
    try:
        message = _client_decoder.decode(text)
    except msgspec.ValidationError as bad:
        raise BadMessage(str(bad)) from None
    except msgspec.DecodeError as bad:
        raise BadMessage(f"not JSON: {bad}") from None
    if isinstance(message, Control) and message.speed is not None and not message.speed > 0:
        raise BadMessage("speed must be a positive number of virtual seconds per wall second, or null")
    return message


# An event as the log holds it and the layer carries it: (seq, type, body).
LoggedEvent = tuple[int, str, str]


def layer_events(events: list[LoggedEvent]) -> dict[str, Any]:
    """The layer message that carries events to a run's group (consumers' ``run_events`` handler):
    one message for the events of one write, so a layer's capacity counts writes, not events."""
    return {"type": "run.events", "events": [list(event) for event in events]}


class ProtocolError(msgspec.Struct, tag="error", tag_field="type"):
    """The answer to a client message that cannot be used (not part of the numbered stream)."""

    message: str


def encode_error(message: str) -> str:
    return _encoder.encode(ProtocolError(message)).decode()
