"""The outside caller (a browser, a device, a partner's system).

It sends each message through its own outgoing connections, in the order they are listed:
``request`` connections are synchronous calls (it waits for each answer before the next),
``event`` connections are asynchronous Lambda invocations. Its segment is the root of the
trace, so the trace shows the latency the caller saw.
"""

from emulator.services.client.client import Client
from emulator.services.client.definition import KIND

__all__ = ["KIND", "Client"]
