"""Amazon S3 buckets: objects written and deleted, and event notifications.

Rules (Amazon S3 user guide: "Amazon S3 Event Notifications", "Event notification types and
destinations", "Configuring event notifications using object key name filtering", "Event
message structure"; pricing page for billing):

- PutObject stores an object (its key: the payload's ``key`` field, else ``<message id>.json``;
  a Firehose delivery names its own), DeleteObject removes it.
- A notification connection sends the events of its ``Events`` types (``s3:ObjectCreated:*``,
  ``s3:ObjectCreated:Put``, ``s3:ObjectRemoved:*``, ``s3:ObjectRemoved:Delete``) whose key matches
  its ``Filter`` (CloudFormation's ``{"S3Key": {"Rules": [{"Name": "prefix"/"suffix", "Value"}]}}``)
  to a Lambda function (invoked asynchronously: Lambda's async rules apply), an SQS queue or an
  SNS topic, as an S3 event message (eventVersion 2.1, one record).
- Delivery is at least once: a notification may arrive twice (``duplicate_notification_rate``).
  Deleting a key that is not there changes nothing and notifies no one.
- Billing: PUT requests and storage (GB-month, S3 Standard).
"""

from emulator.services.s3.bucket import Bucket
from emulator.services.s3.definition import KIND, check

__all__ = ["KIND", "Bucket", "check"]
