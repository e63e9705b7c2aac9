"""Amazon Kinesis Data Streams: shards, partition keys, write and read limits, retention.

Rules (Amazon Kinesis Data Streams developer guide: "Kinesis Data Streams terminology and
concepts", "Quotas and limits", "Changing the data retention period"; API reference:
PutRecord, GetRecords, CreateStream):

- A stream has ShardCount shards (provisioned mode) that split the 128-bit hash key space in
  equal ranges, as CreateStream does. A record's partition key is hashed with MD5 into a
  128-bit number and the record goes to the shard whose range holds it; order is kept only
  within a shard, by sequence number.
- Each shard takes at most 1,000 records and 1 MB per second; beyond that PutRecord fails with
  ProvisionedThroughputExceededException (HTTP 400), which the AWS SDKs retry with backoff.
- Each shard serves at most 5 GetRecords calls and 2 MB per second; beyond that the read fails
  with ProvisionedThroughputExceededException (the ReadProvisionedThroughputExceeded metric).
- Records stay readable for RetentionPeriodHours (24 by default, up to 8,760); older ones are
  gone, and a record no consumer read is lost.
- The partition key is the message's ``partition_key`` attribute (workloads set it), else the
  payload field named by the ``partition_key`` behavior, else the message id.
- Billing (provisioned): shard-hours, PUT payload units of 25 KB, extended retention.

Lambda's event source mapping for streams is ``emulator/services/awslambda/stream_mapping.py``.
"""

from emulator.services.kinesis.definition import KIND
from emulator.services.kinesis.stream import Stream
from emulator.services.shards import Shard, StreamRecord, hash_key

__all__ = ["KIND", "Shard", "Stream", "StreamRecord", "hash_key"]
