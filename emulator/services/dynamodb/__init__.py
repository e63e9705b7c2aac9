"""Amazon DynamoDB tables: reads and writes, capacity, throttling.

Rules (DynamoDB developer guide: "Read/write capacity mode", "Burst capacity"): with
PROVISIONED billing, one WCU is one write per second of an item up to 1 KB and one RCU one
strongly consistent read per second of up to 4 KB; DynamoDB keeps up to 300 seconds of unused
capacity as burst; beyond that a request fails with ProvisionedThroughputExceededException
(HTTP 400), which the SDKs retry with backoff. PAY_PER_REQUEST (on-demand) tables have no
table-wide limit here.

Partitions ("Partitions and data distribution", "Best practices for designing and using
partition keys effectively"): a provisioned table has ceil(RCU / 3,000 + WCU / 1,000)
partitions, a new on-demand table four; an item's partition key hashes to one of them, and each
partition serves at most 1,000 WCU and 3,000 RCU per second, in either mode. A hot key throttles
its partition while the table as a whole has capacity to spare. The key is the payload field
named by the ``partition_key`` behavior, else the message id (evenly spread).

Item status ("Working with items and attributes", GetItem in the API reference): the table
keeps no item data unless the ``status_attribute`` behavior names a payload field. Then it
keeps one status per key: PutItem and UpdateItem record it when the write completes (a read
that arrives earlier does not see it), DeleteItem removes it, and GetItem answers the item
with the time it was written (``updated_at``), or, as AWS does for a missing key, a response
without ``Item``. That is what a status read needs to tell "pending" from "done".

Streams ("Change data capture for DynamoDB Streams"): with a StreamViewType every item change
becomes exactly one stream record, in order per item, kept 24 hours, read by Lambda through the
stream event source mapping; the rules are in ``stream.py``. An event source mapping on a table
without a stream is refused.
"""

from emulator.services.dynamodb.definition import KIND, check
from emulator.services.dynamodb.stream import TableStream
from emulator.services.dynamodb.table import CapacityBucket, Table

__all__ = ["KIND", "CapacityBucket", "Table", "TableStream", "check"]
