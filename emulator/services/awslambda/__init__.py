"""AWS Lambda functions: invocations, concurrency, cold starts, async retries, destinations.

Rules (Lambda developer guide: "Lambda function scaling", "Configuring reserved concurrency",
"Asynchronous invocation", "Error handling and automatic retries", "Capturing records of
asynchronous invocations" (destinations), "Lambda execution environment lifecycle"; pricing
page for billing):

- Concurrency: the account has 1,000; reserved concurrency caps a function and takes from
  the pool the others share (at least 100 stay unreserved); 0 throttles every invocation.
  Each function can add 1,000 execution environments every 10 seconds. Beyond either limit
  an invocation is throttled: 429 TooManyRequestsException, the function did not run.
- A new environment runs INIT (``cold_start_ms``) before its first invocation; an idle one is
  reclaimed after ``idle_timeout_s``; provisioned concurrency environments are always warm.
- An invocation handles its records one by one: ``duration_ms`` of work per record, then the
  function's outgoing ``request``/``event`` connections in order (those whose ``when`` matches).
  A failed call fails the record, as an unhandled exception would. ``Timeout`` ends the
  invocation with Sandbox.Timedout.
- Synchronous calls are never retried by Lambda. Asynchronous events (``event`` connections,
  SNS subscriptions, destinations) are accepted with 202 into an internal queue; function errors
  are retried MaximumRetryAttempts times (default 2), one minute and then two minutes later;
  throttles and system errors are retried with backoff from 1 s to 5 min without counting as
  attempts; an event is dropped when it reaches MaximumEventAgeInSeconds, also while it waits
  for a retry (at that age, not when the retry would have come). Then the on_failure
  destination gets a record of it, or else the dead-letter queue gets the event, or else it is lost.
- Recursive loop detection ("Use Lambda recursive loop detection to prevent infinite loops"): an
  event that has invoked a function 16 times through SQS, SNS or asynchronous invocations is
  stopped before the 17th (``RecursiveLoop`` Terminate, the default); see ``recursion.py``.
- Event filtering ("Control which events Lambda sends to your function",
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): an event source
  mapping's FilterCriteria holds up to 5 EventBridge-style patterns; a record invokes the function
  when any matches it (SQS: body/attributes/messageAttributes; Kinesis: data/partitionKey/...;
  DynamoDB streams: eventName/dynamodb). SQS deletes the others unseen, streams move their
  checkpoint past them; PolledEventCount and FilteredOutEventCount count them (see ``filtering.py``).
- Billing: $0.20 per million requests and GB-seconds at 1 ms granularity, INIT included.
"""

from emulator.services.awslambda.definition import KIND, check
from emulator.services.awslambda.function import Function
from emulator.services.awslambda.invocation import Account, Environment, Invocation, Record, Result

__all__ = ["KIND", "Account", "Environment", "Function", "Invocation", "Record", "Result", "check"]
