"""Amazon Data Firehose delivery streams to S3: buffering by size or interval, retried delivery.

Rules (Amazon Data Firehose developer guide: "Configure buffering hints", "Handle data delivery
failures", "Configure Amazon S3 object name format", "Source, destination, and name"; API
reference: BufferingHints, PutRecord):

- Records arrive by PutRecord (Direct PUT: a function, API Gateway) or are read from a Kinesis
  data stream (an ``event_source`` connection from the stream: Firehose polls each shard once a
  second, within the shard's read limits).
- Firehose buffers records and delivers them to S3 as one object when the buffer reaches
  SizeInMBs (1-128, default 5) or IntervalInSeconds (0-900, default 300) after the first record
  was buffered, whichever comes first.
- A failed S3 delivery is retried for up to 24 hours (backing off up to a minute here); then the
  records are dropped (lost).
- Objects are named with Firehose's default UTC ``YYYY/MM/DD/HH/`` prefix.
- Billing: per GB ingested, each record rounded up to 5 KB.

Each record's trace gets one segment per delivery attempt; the object's S3 call (and what its
event notifications start) continues the trace of the object's first record.
"""

from emulator.services.firehose.definition import KIND, check
from emulator.services.firehose.delivery_stream import DeliveryStream

__all__ = ["KIND", "DeliveryStream", "check"]
