"""Amazon EventBridge event buses: PutEvents, rules with event patterns, targets, retries, DLQs.

Rules, from the Amazon EventBridge User Guide:

- "Amazon EventBridge events" (eb-events.html): an event is the envelope version, id,
  detail-type, source, account, time, region, resources and detail. What a caller or a workload
  sends becomes the ``detail``; the message attributes ``source``, ``detail-type`` and
  ``resources`` fill the envelope (defaults ``wiretap.workload`` and ``Message``, formats.md). A
  Lambda destination record ("Capturing records of asynchronous invocations") arrives with source
  ``lambda`` and detail-type ``Lambda Function Invocation Result - Success`` (or ``- Failure``).
- "Creating Amazon EventBridge event patterns" and "Amazon EventBridge rules" (eb-rules.html): a
  rule matches events with its EventPattern (``emulator.matching``) and sends each match to every
  one of its targets, at most 5 (Service Quotas, "Targets per rule"). In a topology each ``rule``
  connection is one target; connections with the same ``RuleName`` are targets of one rule and
  share its pattern. A connection without RuleName is a rule of its own, named ``<target>Rule``;
  one without EventPattern matches every event on the bus.
- "Amazon EventBridge targets" (eb-targets.html): Lambda and SNS targets are invoked
  asynchronously; delivery is at least once (modelled as ``duplicate_delivery_rate``) and
  unordered (each target draws its own ``delivery_ms``). A FIFO queue target needs
  SqsParameters.MessageGroupId; the event id is its deduplication id.
- "Amazon EventBridge input transformation" (eb-transform-target-input.html): InputPathsMap
  defines up to 100 variables from JSON paths (dot notation and array indices), and the
  InputTemplate receives them as ``<name>``: between quotes a string's characters, elsewhere the
  JSON value; the reserved variables ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time``, ``aws.events.event`` (the event without its detail) and
  ``aws.events.event.json`` (the whole event). A path that is not in the event gives null (an
  empty string between quotes). A template that is not a JSON object or array is delivered as
  its text.
- "Event retry policy and using dead-letter queues" (eb-rule-dlq.html): a failed delivery is
  retried with exponential backoff and jitter, by default up to 185 times over 24 hours
  (RetryPolicy MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86,400). Throttles and
  5xx are retried; other client errors are not. When retries end the event goes to the
  target's DeadLetterConfig SQS queue, with the attributes RULE_ARN, TARGET_ARN, ERROR_CODE,
  ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS; without one it is dropped (lost).
  The backoff's exact schedule is not documented: see ``bus.retry_delay``.
- "Archiving and replaying events in Amazon EventBridge" (eb-archive.html): the bus's ``Archive``
  (AWS::Events::Archive: EventPattern, RetentionDays, 0 = indefinitely) keeps the events that
  match; a replay (StartReplay, the ``replays`` behavior) sends the archived events of
  [EventStartTime, EventEndTime) to the bus's rules again, each with ``replay-name`` added to its
  envelope. A replayed event is a new message in the summary, with a trace of its own. Archiving
  costs $0.10 per GB of events (storage per GB-month is left out: runs are short).
- "Monitoring Amazon EventBridge" (eb-monitoring.html): MatchedEvents, TriggeredRules,
  Invocations (counting a delivery once, when it succeeds or fails for good), FailedInvocations,
  ThrottledRules, RetryInvocationAttempts, DeadLetterInvocations, InvocationsFailedToBeSentToDlq;
  with an archive, EventsArchived and EventsReplayed (Wiretap's names).
- Pricing (aws.amazon.com/eventbridge/pricing): custom events published, each 64 KB chunk one event;
  deliveries to AWS targets are free.
"""

from emulator.services.eventbridge.bus import EventBus, Rule, Target
from emulator.services.eventbridge.definition import KIND, check
from emulator.services.eventbridge.transformer import InputTransformer

__all__ = ["KIND", "EventBus", "InputTransformer", "Rule", "Target", "check"]
