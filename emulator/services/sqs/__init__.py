"""Amazon SQS queues, standard and FIFO: sends, receives, visibility, redrive, retention, dedup.

Rules, and the Amazon SQS Developer Guide pages they come from:

- "Amazon SQS visibility timeout": a received message stays in the queue but is invisible for
  VisibilityTimeout (default 30 s, 0 to 12 hours), then visible again; ChangeMessageVisibility
  shortens or extends that (0 makes it visible at once). Each receive returns a new receipt
  handle and only the latest one deletes the message.
- "Using dead-letter queues in Amazon SQS": with a redrive policy a message can be received
  maxReceiveCount times; the next receive moves it to the dead-letter queue. "The dead-letter
  queue of a FIFO queue must also be a FIFO queue" (and a standard queue's a standard one). A
  standard queue keeps the original enqueue timestamp when it moves a message, so retention
  counts from the first send; a FIFO queue resets it.
- "Amazon SQS standard queues" (at-least-once delivery, best-effort ordering): a copy of a
  message can be delivered again; modelled as ``duplicate_delivery_rate`` per receive.
- "FIFO delivery logic" and "Amazon SQS FIFO queue message grouping": order per
  MessageGroupId; a group with a message in flight returns nothing more until that message is
  deleted or visible again; a receive fills its batch from one group before the next. "You
  can't request to receive messages from a specific message group" (Knowledge Center:
  "Why doesn't my SQS FIFO queue return all messages?").
- "Exactly-once processing in Amazon SQS": a send repeating a MessageDeduplicationId within the
  5-minute deduplication interval is accepted but not delivered; content-based deduplication
  uses the SHA-256 hash of the body; DeduplicationScope queue or messageGroup.
- "Amazon SQS message quotas": at most 10 messages per ReceiveMessage; FIFO queues without
  high throughput take 300 transactions per second per API action (ThrottlingException
  beyond, "Troubleshoot FIFO throttling issues"); retention 60 s to 14 days (default 4 days);
  FifoThroughputLimit perMessageGroupId needs DeduplicationScope messageGroup
  (SetQueueAttributes API reference).
- "Amazon SQS delay queues": DelaySeconds 0 to 900 postpones the first visibility.
- MessageRetentionPeriod ("Amazon SQS message quotas"): a message waiting in the queue (delayed
  or visible) is gone when its retention ends, at that moment (one timer per queue, for the copy
  that expires first: ``retention.py``); one in flight to a consumer is gone when its visibility
  timeout ends after that, unless the consumer deleted it first. Expired messages are lost.
- "Available CloudWatch metrics for Amazon SQS": metric names; a message moved to a DLQ by
  redrive does not count as sent to the DLQ.
- Amazon SQS pricing: every API action is a request, each 64 KB chunk of a payload is billed
  as one request.

Each stay of a message in the queue is a segment (``receive_count``, ``outcome``); its
``metadata.sqs`` names, in the queue attributes' words, the visibility timeout that ran out before
it (``VisibilityTimeout``), the ``RedrivePolicy`` that moved it to the dead-letter queue, or the
``MessageRetentionPeriod`` it expired after, so a trace says what happened without the topology.

The consumer side (``receive``/``delete``/``change_visibility``/``wait_for_messages``) is what
Lambda's event source mapping polls with. The queue holds one ledger token per stored copy
until it is deleted (completed), moved to the DLQ (dead lettered) or expires (lost).
"""

from emulator.services.sqs.definition import KIND, check
from emulator.services.sqs.queue import Queue
from emulator.services.sqs.stored import Delivery

__all__ = ["KIND", "Delivery", "Queue", "check"]
