"""A DynamoDB table's stream: one record per item change, in order per item, kept 24 hours.

Rules (DynamoDB developer guide: "Change data capture for DynamoDB Streams", "DynamoDB Streams
and AWS Lambda triggers"; DynamoDB Streams API reference: StreamRecord, Record):

- With a StreamViewType, every write that changes an item becomes exactly one stream record:
  INSERT for a new item, MODIFY for an existing one, REMOVE for a deleted one (a DeleteItem of
  an item that is not there changes nothing and writes no record). The record carries the key
  and, per view type, the new image (NEW_IMAGE), the old one (OLD_IMAGE), both
  (NEW_AND_OLD_IMAGES) or neither (KEYS_ONLY).
- Records of an item are in the order of its writes: the item's partition has one shard.
- Records are kept 24 hours; Lambda polls the stream's shards 4 times a second through the
  stream event source mapping (``emulator/services/awslambda/stream_mapping.py``).
- Images are plain JSON here (the payload), not DynamoDB's typed attribute values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from emulator.services.awslambda.stream_mapping import DYNAMODB_POLL_S, attach
from emulator.services.shards import Shard, even_ranges
from emulator.tracing import EPOCH

if TYPE_CHECKING:
    from emulator.services.base import Call
    from emulator.services.dynamodb.table import Table

RETENTION_S = 24 * 3600.0
# UpdateItem merges into the item; PutItem replaces it; DeleteItem removes it.
_encode = msgspec.json.Encoder(order="sorted").encode
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


class TableStream:
    """The change stream of one table: a shard per partition, the items' last images."""

    def __init__(self, table: Table, view_type: str, key_field: str | None) -> None:
        self.table = table
        self.view_type = view_type
        self.key_field = key_field
        self.stream_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table.id}/stream/2026-01-01T00:00:00.000"
        self.shards = [Shard(table, index, f"shardId-{index:020d}", hash_range, RETENTION_S)
                       for index, hash_range in enumerate(even_ranges(table.partitions))]
        self.items: dict[str, Any] = {}
        self.records = 0
        self.mappings = attach(table, self.shards, DYNAMODB_POLL_S, "DDBStreamBatchInfo", self.stream_arn)

    def change(self, call_: Call, partition: int) -> None:
        """A write succeeded: record the change (if it changed anything) in the item's shard."""
        operation = call_.operation
        if operation not in _WRITES:
            return
        message = call_.message
        payload = message.payload
        key: Any = message.message_id
        if self.key_field is not None and isinstance(payload, dict):
            key = payload.get(self.key_field, key)
        item_key = str(key)
        old = self.items.get(item_key)
        if operation == "DeleteItem":
            if old is None:
                return
            del self.items[item_key]
            new = None
            event_name = "REMOVE"
        else:
            new = {**old, **payload} if operation == "UpdateItem" and isinstance(old, dict) and \
                isinstance(payload, dict) else payload
            self.items[item_key] = new
            event_name = "MODIFY" if old is not None else "INSERT"
        shard = self.shards[partition]
        sequence = shard.next_sequence
        data: dict[str, Any] = {
            "ApproximateCreationDateTime": round(EPOCH + self.table.kernel.now),
            "Keys": {self.key_field or "id": key},
            "SequenceNumber": shard.sequence_number(sequence),
            "StreamViewType": self.view_type,
        }
        if new is not None and self.view_type in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            data["NewImage"] = new
        if old is not None and self.view_type in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            data["OldImage"] = old
        record = {"eventID": f"{self.table.id}-{shard.index}-{sequence}", "eventName": event_name,
                  "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                  "dynamodb": data, "eventSourceARN": self.stream_arn}
        size = len(_encode(data))
        data["SizeBytes"] = size
        shard.append(message.copy(payload=record), item_key, call_.parent_id, size, call_.delivery)
        self.records += 1

    def finish(self) -> None:
        for shard in self.shards:
            for reader in shard.readers:
                reader.finish()
