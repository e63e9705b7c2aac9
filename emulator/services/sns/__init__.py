"""Amazon SNS topics: Publish, fan-out to subscriptions, filter policies, delivery retries, DLQs.

Rules, from the Amazon SNS Developer Guide:

- "Amazon SNS message filtering" (sns-message-filtering.html) and "Filter policy scope": each
  subscription may carry a FilterPolicy matched against the message attributes (the default) or
  the JSON message body; a message that does not match is not delivered to that subscription and
  counts in NumberOfNotificationsFilteredOut. Each matching subscription gets its own copy.
- "Amazon SNS message delivery retries" (sns-message-delivery-retries.html): AWS managed
  endpoints (SQS, Lambda) are retried 3 times without delay, 2 times 1 second apart, 10 times
  with exponential backoff from 1 to 20 seconds, then 100,000 times 20 seconds apart (100,015
  retries over 23 days); HTTP/S by default 3 times 20 seconds apart (linear). Client-side errors
  (4xx other than throttling) are not retried. The jitter AWS adds is not modelled: its size
  is not documented, and exact retry times make the schedule visible in a trace.
- "Amazon SNS dead-letter queues" (sns-dead-letter-queues.html): a subscription's RedrivePolicy
  names an SQS queue that receives the message once delivery fails for good; FIFO topic
  subscriptions use FIFO queues, standard ones standard queues. Without one the message is lost.
- "Amazon SNS raw message delivery" (sns-large-payload-raw-message-delivery.html): with
  RawMessageDelivery an SQS or HTTP/S subscriber receives the body as published; otherwise the
  JSON envelope (Type, MessageId, TopicArn, Message, Timestamp, MessageAttributes). Lambda
  subscriptions always receive the envelope, as the ``Sns`` of an ``aws:sns`` record in the
  event's ``Records``; they are invoked asynchronously.
- "Message ordering", "Message deduplication" for FIFO topics (fifo-message-dedup.html): a
  publish needs a MessageGroupId and a MessageDeduplicationId (or ContentBasedDeduplication,
  the SHA-256 of the body); a duplicate within 5 minutes is accepted but not delivered; each
  subscription receives a group's messages in publish order. FIFO topics deliver to SQS FIFO
  queues only.
- "Monitoring Amazon SNS topics using CloudWatch" (sns-monitoring-using-cloudwatch.html):
  NumberOfNotificationsFailed counts a message once when SNS stops trying, except for HTTP/S
  endpoints, where every failed attempt counts.
- Pricing (aws.amazon.com/sns/pricing): each 64 KB chunk of a publish is one request; HTTP/S
  deliveries are billed, SQS and Lambda deliveries are free.
"""

from emulator.services.sns.definition import KIND, check
from emulator.services.sns.topic import Subscription, Topic, sns_timestamp, wire_attributes

__all__ = ["KIND", "Subscription", "Topic", "check", "sns_timestamp", "wire_attributes"]
