"""Shards: the ordered, time-limited record logs of a Kinesis stream and of a DynamoDB stream.

A shard keeps its records in sequence-number order for the stream's retention period (here:
until every reader has read them, or until they expire unread, whichever comes first). Readers
(an event source mapping's poller for the shard, a Firehose delivery stream reading its source)
each keep their own position; a record stays in the message ledger until every reader is done
with it. The ledger rule for a record: each reader that exists when the record arrives holds one
token on it and gives it back once the reader has settled it (processed, sent to a failure
destination, skipped for age) or when the record expires unread (lost).
"""

from __future__ import annotations

import hashlib
from collections import deque
from typing import TYPE_CHECKING

from mypy_extensions import mypyc_attr

from emulator.messages import LOST, Message

if TYPE_CHECKING:
    from emulator.services.base import Component

# Hash keys are 128-bit numbers: the MD5 of the partition key ("Kinesis Data Streams terminology
# and concepts": partition key, hash key range).
HASH_KEY_SPACE = 2 ** 128


def hash_key(partition_key: str) -> int:
    """The 128-bit hash key Kinesis derives from a partition key: its MD5 digest as a number."""
    return int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest())


def even_ranges(count: int) -> list[tuple[int, int]]:
    """The hash key ranges of ``count`` shards splitting the key space evenly, as CreateStream does."""
    step = HASH_KEY_SPACE // count
    return [(index * step, HASH_KEY_SPACE - 1 if index == count - 1 else (index + 1) * step - 1)
            for index in range(count)]


class Allowance:
    """A per-second limit with one second's worth in hand (a shard's write or read limit)."""

    __slots__ = ("per_second", "_units", "_refilled_at")

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._units = per_second
        self._refilled_at = 0.0

    def available(self, now: float) -> float:
        self._units = min(self.per_second, self._units + (now - self._refilled_at) * self.per_second)
        self._refilled_at = now
        return self._units

    def take(self, units: float, now: float) -> bool:
        if self.available(now) >= units:
            self._units -= units
            return True
        return False

    def give_back(self, units: float) -> None:
        self._units = min(self.per_second, self._units + units)


class StreamRecord:
    """One record in a shard: the message copy, its key, sequence number and arrival time."""

    __slots__ = ("message", "sequence", "sequence_number", "partition_key", "arrival", "size", "parent_id",
                 "delivery", "deliveries")

    def __init__(self, message: Message, sequence: int, sequence_number: str, partition_key: str,
                 arrival: float, size: int, parent_id: str | None, delivery: str | None) -> None:
        self.message = message
        # The record's place in its shard (0, 1, 2...) and the sequence number AWS would show.
        self.sequence = sequence
        self.sequence_number = sequence_number
        self.partition_key = partition_key
        self.arrival = arrival
        self.size = size
        # The segment the record was written in: a consumer's segment hangs under it.
        self.parent_id = parent_id
        # The call that wrote it (the delivery the ledger's duplicates count by), and how many
        # times a consumer was invoked with it.
        self.delivery = delivery
        self.deliveries = 0


# Tests read shards with plain-Python readers, also when this module is compiled.
@mypyc_attr(allow_interpreted_subclasses=True)
class Reader:
    """What a shard asks of whoever reads it."""

    position: int

    def woken(self) -> None:
        """New records arrived."""

    def expired(self, record: StreamRecord) -> None:
        """The record expired before this reader read it."""

    def finish(self) -> None:
        """The run ends: count what expired while waiting in the reader's own hands."""

    def held_read(self) -> int:
        """Records this reader has read and still holds a token on (not settled yet)."""
        return 0


class Shard:
    """One shard: records in order, kept for ``retention_s``, read by its readers at their own pace."""

    def __init__(self, owner: Component, index: int, shard_id: str, hash_range: tuple[int, int],
                 retention_s: float, limits: tuple[float, float, float, float] | None = None) -> None:
        self.owner = owner
        self.index = index
        self.shard_id = shard_id
        self.starting_hash_key, self.ending_hash_key = hash_range
        self.retention_s = retention_s
        self.records: deque[StreamRecord] = deque()
        # The sequence of ``records[0]`` (records before it were trimmed).
        self.base = 0
        self.next_sequence = 0
        self.readers: list[Reader] = []
        self._trim_scheduled = False
        self.expired = 0
        # Kinesis's limits per shard (a DynamoDB stream's are not modelled): records and bytes written
        # per second, GetRecords calls and bytes read per second.
        self.limited = limits is not None
        write_records, write_bytes, read_calls, read_bytes = limits or (1.0, 1.0, 1.0, 1.0)
        self.write_records = Allowance(write_records)
        self.write_bytes = Allowance(write_bytes)
        self.read_calls = Allowance(read_calls)
        self.read_bytes = Allowance(read_bytes)
        self.read_throttles = 0
        self.iterator_age_ms = 0.0

    def append(self, message: Message, partition_key: str, parent_id: str | None, size: int,
               delivery: str | None) -> StreamRecord:
        """Store a copy of ``message`` written by the call ``delivery``; every reader holds a token on
        it until it is done with it."""
        owner = self.owner
        now = owner.kernel.now
        sequence = self.next_sequence
        self.next_sequence += 1
        record = StreamRecord(message, sequence, self.sequence_number(sequence), partition_key, now, size,
                              parent_id, delivery)
        self.records.append(record)
        if message.tracked:
            hold = owner.sim.ledger.hold
            for _ in self.readers:
                hold(message.record)
        if not self._trim_scheduled:
            self._trim_scheduled = True
            owner.kernel.schedule(self.retention_s, self._trim)
        readers = self.readers
        if not readers:
            self.forget_read()  # nobody will read it
        for reader in readers:
            reader.woken()
        return record

    def forget_read(self) -> None:
        """Drop the records every reader has read (readers call it when they move on): a reader
        keeps what it still works on, and the stream's memory stays flat however long the run."""
        readers = self.readers
        low = min(reader.position for reader in readers) if readers else self.next_sequence
        records = self.records
        while records and records[0].sequence < low:
            records.popleft()
        self.base = max(self.base, low)

    def sequence_number(self, sequence: int) -> str:
        """The sequence number AWS would show for the shard's ``sequence``-th record: a decimal string
        that grows within the shard."""
        return f"{49_600_000_000 + self.index:012d}{sequence:020d}"

    def read(self, position: int, limit: int) -> list[StreamRecord]:
        """Up to ``limit`` records from ``position`` on (a position before the trim horizon starts there)."""
        start = max(position, self.base) - self.base
        records = self.records
        end = min(len(records), start + limit)
        return [records[index] for index in range(start, end)]

    def get_records(self, position: int, limit: int) -> list[StreamRecord] | None:
        """A GetRecords call: up to ``limit`` records within the shard's read limits, or None when
        the call itself is refused (ReadProvisionedThroughputExceeded)."""
        records = self.read(position, limit)
        if not self.limited:
            return records
        calls, read_bytes = self.read_calls, self.read_bytes
        now = self.owner.kernel.now
        if not calls.take(1.0, now):
            self.read_throttles += 1
            return None
        # What the bytes allow, at least one record while any capacity is left: a read that
        # overdraws waits for the capacity to come back.
        total = 0
        for count, record in enumerate(records):
            total += record.size
            if total > read_bytes.available(now) and count > 0:
                records = records[:count]
                total -= record.size
                break
        if records and not read_bytes.take(float(total), now):
            self.read_throttles += 1
            calls.give_back(1.0)
            return None
        if records:
            # Kinesis's GetRecords.IteratorAgeMilliseconds: how old the last record a read returns is.
            age_ms = (now - records[-1].arrival) * 1000.0
            if age_ms > self.iterator_age_ms:
                self.iterator_age_ms = age_ms
        return records

    def available(self, position: int) -> int:
        """How many records there are from ``position`` on."""
        return self.next_sequence - max(position, self.base)

    def _trim(self) -> None:
        """Drop the records past retention: whoever had not read them lost them."""
        now = self.owner.kernel.now
        records = self.records
        release = self.owner.sim.ledger.release
        while records and records[0].arrival + self.retention_s <= now:
            record = records.popleft()
            self.base = record.sequence + 1
            for reader in self.readers:
                if reader.position <= record.sequence:
                    reader.position = record.sequence + 1
                    reader.expired(record)
                    self.expired += 1
                    if record.message.tracked:
                        release(record.message.record, LOST, now)
        if records:
            self.owner.kernel.schedule_at(records[0].arrival + self.retention_s, self._trim)
        else:
            self._trim_scheduled = False


def held_records(shards: list[Shard]) -> dict[str, int]:
    """The copies the shards' readers hold, one per reader and record: records a reader has not read
    yet ("unread"), and records it has read and not yet settled ("read": in a batch, retried or
    waiting for one)."""
    unread = read = 0
    for shard in shards:
        for reader in shard.readers:
            read += reader.held_read()
            position = reader.position
            unread += sum(1 for record in shard.records if record.sequence >= position and record.message.tracked)
    states = {"unread": unread, "read": read}
    return {state: count for state, count in states.items() if count}


def shard_for(shards: list[Shard], key: int) -> Shard:
    """The shard whose hash key range holds ``key``."""
    for shard in shards:
        if shard.starting_hash_key <= key <= shard.ending_hash_key:
            return shard
    raise ValueError(f"hash key {key} is in no shard's range")
