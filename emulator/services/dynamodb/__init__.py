"""Amazon DynamoDB tables: reads and writes, capacity, throttling.

Rules (DynamoDB developer guide: "Read/write capacity mode", "Burst capacity"): with
PROVISIONED billing, one WCU is one write per second of an item up to 1 KB and one RCU one
strongly consistent read per second of up to 4 KB; DynamoDB keeps up to 300 seconds of unused
capacity as burst; beyond that a request fails with ProvisionedThroughputExceededException
(HTTP 400), which the SDKs retry with backoff. PAY_PER_REQUEST (on-demand) tables are not
throttled here.
"""

from emulator.services.dynamodb.definition import KIND
from emulator.services.dynamodb.table import CapacityBucket, Table

__all__ = ["KIND", "CapacityBucket", "Table"]
