"""Bulk writes of a run: its replay log (RunEvent) and one Trace row per message.

Segments arrive in batches from the simulation's BatchTracer, each with its JSON encoded once (the
same bytes go into the stream's event and into the trace's row). ``TraceStore`` groups them per
trace id while their message is in flight (memory bounded by what is in flight), learns from
``Ledger.on_finished`` when a message's last copy has ended, and writes the message's row at the
batch boundary after the next one (a grace of one batch for the last segments, which the
emulator may emit just after the ledger hears of the end). Segments that still come later (a
dead letter's copy waiting in its queue, emitted in progress when the run ends) are appended to
the stored row when the run closes. Rows are ``TraceRow`` tuples, not model instances
(building a Django model costs some 25 µs, more than the rest of a row together), and go in with
``insert_rows`` (below), in the same transaction as the batch's replay-log event.

Past ``cap`` stored traces, clean completed traces (no error, fault or throttle) are sampled:
one is kept when a hash of (seed, trace id) falls under ``cap / clean traces seen``, so the
stored set grows only logarithmically past the cap and the choice is the same on every re-run
of the seed. Every other outcome is always kept.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.db import connection, models, transaction

from emulator.messages import DEAD_LETTERED, LOST, MessageRecord
from emulator.tracing import EPOCH, Segment, Subsegment
from tracer.models import Trace

BULK_ROWS = 500
Group = tuple[list[Segment], list[bytes]]  # a trace's segments so far, and their JSON texts


class TraceRow(NamedTuple):
    """A Trace row as it is written: the model's fields by their attribute names."""

    run_id: int
    trace_id: str
    message_id: str
    outcome: str
    entry: str
    start_s: float
    end_s: float | None
    duration_ms: float
    components: str
    has_error: bool
    has_fault: bool
    has_throttle: bool
    segment_count: int
    segments: str


class EventRow(NamedTuple):
    """A RunEvent row as it is written."""

    run_id: int
    seq: int
    type: str
    body: str


def insert_rows(model: type[models.Model], rows: Sequence[TraceRow] | Sequence[EventRow]) -> None:
    """INSERT ``rows`` (named tuples whose fields are the model's attribute names; no primary keys:
    they are not read back) the cheapest way the database has: COPY on PostgreSQL, executemany
    on SQLite.

    Django's bulk_create builds its SQL field by field and row by row: on SQLite that was half of
    a run's wall time (docs/benchmarks.md), and a prepared executemany is several times faster.
    Values go to the driver as they are: the rows written here hold only numbers, strings,
    booleans and foreign key ids, which need no conversion.
    """
    if not rows:
        return
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in rows[0]._fields]  # a KeyError names a field the model lacks
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The driver's own cursor: its errors (a unique violation) become Django's here.
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            for chunk in itertools.batched(rows, BULK_ROWS):
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", chunk)


def components_text(names: Iterable[str]) -> str:
    """' A B ': every name once, sorted, space-delimited on both sides (see Trace.components)."""
    return " " + " ".join(sorted(set(names))) + " "


def _flags(segments: list[Segment]) -> tuple[bool, bool, bool]:
    error = fault = throttle = False
    stack: list[Segment | Subsegment] = list(segments)
    while stack:
        item = stack.pop()
        error, fault, throttle = error or item.error, fault or item.fault, throttle or item.throttle
        if item.subsegments:
            stack.extend(item.subsegments)
    return error, fault, throttle


def outcome_of(record: MessageRecord | None, error: bool, fault: bool, throttle: bool) -> str:
    """A message's outcome. Rejected at the entry point: throttled (429), failed (5xx) or rejected
    (another 4xx); otherwise the ledger's completed, dead-lettered or lost, where a completed message
    whose processing ended in a recorded failure (a failed state machine execution) is failed;
    in_flight when the run ended first."""
    if record is None:
        return Trace.Outcome.IN_FLIGHT
    if record.rejected:
        return Trace.Outcome.THROTTLED if throttle else Trace.Outcome.FAILED if fault else Trace.Outcome.REJECTED
    if record.outcome == DEAD_LETTERED:
        return Trace.Outcome.DEAD_LETTERED
    if record.outcome == LOST:
        return Trace.Outcome.LOST
    return Trace.Outcome.FAILED if record.failed else Trace.Outcome.COMPLETED


def segments_text(raws: Sequence[bytes]) -> str:
    """The JSON array of segments already encoded one by one."""
    return (b"[" + b",".join(raws) + b"]").decode()


def build_row(run_id: int, trace_id: str, group: Group, record: MessageRecord | None) -> TraceRow:
    segments, raws = group
    error, fault, throttle = _flags(segments)
    first = min(segments, key=lambda segment: (segment.start_time, segment.parent_id is not None))
    start = first.start_time - EPOCH
    if record is not None and record.finished_at is not None:
        end: float | None = record.finished_at
        duration_ms = (record.finished_at - record.accepted_at) * 1000.0
    else:
        ends = [segment.end_time for segment in segments if segment.end_time is not None]
        end = max(ends) - EPOCH if ends else None
        duration_ms = ((end - start) * 1000.0) if end is not None else 0.0
    return TraceRow(
        run_id, trace_id, record.message_id if record else "", outcome_of(record, error, fault, throttle),
        first.name, round(start, 6), None if end is None else round(end, 6), round(duration_ms, 3),
        components_text(segment.name for segment in segments), error, fault, throttle, len(segments),
        segments_text(raws))


def sample_point(seed: int, trace_id: str) -> float:
    """A number in [0, 1) fixed by the seed and the trace id."""
    digest = hashlib.blake2b(f"{seed}:{trace_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class TraceStore:
    def __init__(self, run_id: int, seed: int, cap: int) -> None:
        self.run_id = run_id
        self.seed = seed
        self.cap = cap
        self.groups: dict[str, Group] = {}
        self._ready: list[MessageRecord] = []  # finished since the last boundary
        self._due: list[MessageRecord] = []  # finished before it: written at the next one
        self.seen = 0
        self.stored = 0
        self._clean_seen = 0
        self.late_bytes = 0  # the segment text merge_late wrote itself
        self.held_bytes = 0  # the segment text held for rows not written yet (messages in flight)

    # Fed by the simulation -------------------------------------------------------------------
    def on_finished(self, record: MessageRecord) -> None:
        self._ready.append(record)

    def add(self, segments: Sequence[Segment], raws: Sequence[bytes]) -> None:
        """Group ``segments`` by trace; ``raws`` are their JSON texts, in the same order."""
        groups = self.groups
        self.held_bytes += sum(map(len, raws))
        for segment, raw in zip(segments, raws, strict=True):
            group = groups.get(segment.trace_id)
            if group is None:
                groups[segment.trace_id] = ([segment], [raw])
            else:
                group[0].append(segment)
                group[1].append(raw)

    # Rows to write -------------------------------------------------------------------------
    def boundary(self) -> list[TraceRow]:
        """The rows of the messages that finished before the previous boundary."""
        due, self._due, self._ready = self._due, self._ready, []
        return self._rows(due)

    def closing_rows(self) -> list[TraceRow]:
        """At the run's end: every finished message's row (late segments are merged by merge_late)."""
        due, self._due, self._ready = self._due + self._ready, [], []
        return self._rows(due)

    def _rows(self, records: list[MessageRecord]) -> list[TraceRow]:
        rows = []
        for record in records:
            group = self.groups.pop(record.trace_id, None)
            if group is None:
                continue  # a message that produced no segment (none is expected; nothing to show)
            self.held_bytes -= sum(map(len, group[1]))
            self.seen += 1
            row = build_row(self.run_id, record.trace_id, group, record)
            if self._keep(row):
                rows.append(row)
        return rows

    def _keep(self, row: TraceRow) -> bool:
        clean = row.outcome == Trace.Outcome.COMPLETED and not (row.has_error or row.has_fault or row.has_throttle)
        if clean:
            self._clean_seen += 1
            if self.stored >= self.cap and sample_point(self.seed, row.trace_id) >= self.cap / self._clean_seen:
                return False
        self.stored += 1
        return True

    def merge_late(self) -> list[TraceRow]:
        """Write what is left once the run has ended: segments of stored traces are appended to
        them; the rest are messages still in flight, stored as such. Returns the rows of those
        (the ledger never finished them: nobody has been told their outcome yet), without their
        segments: a run stopped with every message in flight would otherwise hold all of them
        twice. Adds the text it wrote to ``late_bytes``."""
        in_flight: list[TraceRow] = []
        leftovers, self.groups, self.held_bytes = self.groups, {}, 0
        # One transaction, one commit: in SQLite's autocommit every row inserted was a commit.
        with transaction.atomic():
            for chunk in itertools.batched(list(leftovers), BULK_ROWS):
                # Popped chunk by chunk, so that their memory is freed as their rows are written.
                in_flight.extend(self._merge({trace_id: leftovers.pop(trace_id) for trace_id in chunk}))
        return in_flight

    def _merge(self, by_id: dict[str, Group]) -> list[TraceRow]:
        existing = {row.trace_id: row for row in Trace.objects.filter(run_id=self.run_id, trace_id__in=by_id)}
        updated, created = [], []
        for trace_id, group in by_id.items():
            row = existing.get(trace_id)
            if row is None:
                self.seen += 1
                self.stored += 1
                created.append(build_row(self.run_id, trace_id, group, None))
                self.late_bytes += len(created[-1].segments)
                continue
            segments, raws = group
            error, fault, throttle = _flags(segments)
            late = segments_text(raws)[1:]
            self.late_bytes += len(late)
            row.segments = row.segments[:-1] + "," + late
            row.segment_count += len(segments)
            row.has_error, row.has_fault, row.has_throttle = (
                row.has_error or error, row.has_fault or fault, row.has_throttle or throttle)
            row.components = components_text([*row.components.split(), *(s.name for s in segments)])
            updated.append(row)
        Trace.objects.bulk_update(updated, ["segments", "segment_count", "has_error", "has_fault",
                                            "has_throttle", "components"])
        insert_rows(Trace, created)
        return [row._replace(segments="") for row in created]
