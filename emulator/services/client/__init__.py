"""The outside caller (a browser, a device, a partner's system).

It sends each message through its own outgoing connections, in the order they are listed:
``request`` connections are synchronous calls (it waits for each answer before the next),
``event`` connections are asynchronous Lambda invocations. Its segment is the root of the
trace, so the trace shows the latency the caller saw.

A request connection with ``poll`` is a status check repeated until the answer says done, as
a browser polling an order's status does: the same request for the same message, one every
``interval_s``, in the message's trace, until the answer matches the ``until`` event pattern or
``max_polls`` were made. A browser does not retry a failed request on its own, so an error
answer is simply a poll that did not see the status. Polls that do not see it are wasted
requests; the time from the item's update (a DynamoDB status item's ``updated_at``) to the
poll that saw it is the delay polling adds, at most one interval plus a request.
"""

from emulator.services.client.client import Client
from emulator.services.client.definition import KIND
from emulator.services.client.poll import PollSettings

__all__ = ["KIND", "Client", "PollSettings"]
