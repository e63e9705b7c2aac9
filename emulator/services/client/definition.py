"""The client kind, and the shape of its request connections' ``poll`` property."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.matching import event_pattern_problem
from emulator.services.client.client import Client
from emulator.services.client.poll import DEFAULT_INTERVAL_S, DEFAULT_MAX_POLLS, MAX_INTERVAL_S, MAX_POLLS

POLL = Field(
    "poll",
    "object",
    None,
    'The client repeats this request for the same message, in the same trace, until the answer '
    'matches: {"interval_s": seconds between polls (default 1), "until": an EventBridge event '
    'pattern on the answer (a GetItem answer is {"Item": {...}}), "max_polls": polls before it '
    "gives up (default 30)}. Each poll is a real request; the client's metrics count polls, "
    "wasted polls and the delay between the item's update and the poll that saw it.",
    fields=(
        Field("interval_s", "number", DEFAULT_INTERVAL_S, "Seconds from an answer to the next poll.",
              minimum=0, exclusive_minimum=True, maximum=MAX_INTERVAL_S, unit="seconds"),
        Field("until", "object", None, 'The event pattern an answer must match to end the wait, e.g. '
              '{"Item": {"status": ["done"]}}.', required=True, check=event_pattern_problem),
        Field("max_polls", "integer", DEFAULT_MAX_POLLS, "Polls before the client gives up.",
              minimum=1, maximum=MAX_POLLS),
    ),
)

KIND = Kind(
    name="client",
    title="Client",
    cloudformation_type=None,
    description="The outside caller: a browser, a device or a partner system sending requests.",
    runtime=Client,
    entry_point=True,
    origin="Wiretap::Client",
)
