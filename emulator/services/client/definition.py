"""The client kind: its CloudFormation properties, behavior keys, and the checks across the topology."""

from __future__ import annotations

from emulator.definitions import Kind
from emulator.services.client.client import Client

KIND = Kind(
    name="client",
    title="Client",
    cloudformation_type=None,
    description="The outside caller: a browser, a device or a partner system sending requests.",
    runtime=Client,
    entry_point=True,
    origin="Wiretap::Client",
)
