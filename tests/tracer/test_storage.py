"""Trace rows: one per message, grouped from the stream, sampled past the cap but never a failed one."""

from __future__ import annotations

import msgspec
import pytest
from django.db import IntegrityError, transaction

from emulator.messages import COMPLETED, DEAD_LETTERED, MessageRecord
from emulator.tracing import EPOCH, Segment
from tracer.models import Run, RunEvent, Trace
from tracer.storage import EventRow, TraceRow, TraceStore, insert_rows, outcome_of

pytestmark = pytest.mark.django_db


def add(store: TraceStore, segments: list[Segment]) -> None:
    store.add(segments, [msgspec.json.encode(segment) for segment in segments])


def message(store: TraceStore, index: int, *, fault: bool = False, outcome: int = 0) -> list[Segment]:
    trace_id = f"1-00000000-{index:024d}"
    record = MessageRecord(f"msg-{index}", trace_id, float(index), tokens=0, outcome=outcome,
                           finished_at=index + 0.5)
    segments = [Segment(trace_id, f"{index:016x}", "Api", "AWS::ApiGateway::Stage", EPOCH + index, EPOCH + index + 0.1),
                Segment(trace_id, f"{index:015x}b", "Worker", "AWS::Lambda::Function", EPOCH + index + 0.2,
                        EPOCH + index + 0.5, fault=fault)]
    add(store, segments)
    store.on_finished(record)
    return segments


def write(store: TraceStore, rows: list[TraceRow]) -> None:
    insert_rows(Trace, rows)


def test_rows_wait_one_batch_for_late_segments_then_hold_the_whole_trace(queued_run: Run) -> None:
    store = TraceStore(queued_run.pk, seed=1, cap=100)
    message(store, 1)
    assert store.boundary() == []  # the grace: not at the first boundary
    late = Segment("1-00000000-000000000000000000000001", "c" * 16, "Audit", "AWS::Lambda::Function", EPOCH + 1.6,
                   EPOCH + 1.7)
    add(store, [late])
    rows = store.boundary()
    write(store, rows)

    row = Trace.objects.get(run=queued_run)
    assert (row.outcome, row.entry, row.segment_count, row.duration_ms) == ("completed", "Api", 3, 500.0)
    assert row.components == " Api Audit Worker "


def test_segments_after_the_row_are_appended_and_the_unfinished_stored_in_flight(queued_run: Run) -> None:
    store = TraceStore(queued_run.pk, seed=1, cap=100)
    message(store, 1, outcome=DEAD_LETTERED)
    store.boundary()
    write(store, store.boundary())
    add(store, [Segment("1-00000000-000000000000000000000001", "d" * 16, "DLQ", "AWS::SQS::Queue", EPOCH + 2,
                       in_progress=True),
               Segment("1-00000000-000000000000000000000009", "e" * 16, "Api", "AWS::ApiGateway::Stage", EPOCH + 9)])
    in_flight = store.merge_late()
    assert [(row.trace_id[-1], row.outcome) for row in in_flight] == [("9", "in_flight")]

    rows = {row.trace_id[-1]: row for row in Trace.objects.filter(run=queued_run)}
    assert rows["1"].outcome == "dead_lettered" and rows["1"].segment_count == 3 and "DLQ" in rows["1"].components
    assert rows["9"].outcome == "in_flight"


def test_past_the_cap_only_clean_traces_are_sampled_and_the_choice_is_the_seeds(queued_run: Run) -> None:
    def stored(seed: int) -> set[str]:
        Trace.objects.filter(run=queued_run).delete()
        store = TraceStore(queued_run.pk, seed=seed, cap=50)
        for index in range(1, 1001):
            message(store, index, fault=index % 10 == 0)
        write(store, store.closing_rows())
        return set(Trace.objects.filter(run=queued_run).values_list("trace_id", flat=True))

    kept = stored(seed=3)
    faulty = {f"1-00000000-{index:024d}" for index in range(10, 1001, 10)}
    assert faulty <= kept  # every failed trace, whatever the cap
    assert 50 + 100 < len(kept) < 400
    assert stored(seed=3) == kept and stored(seed=4) != kept




def test_a_completed_message_whose_processing_failed_is_a_failed_trace() -> None:
    # A failed state machine execution: nothing was dropped, but the message's processing failed.
    record = MessageRecord("msg-1", "1-00000000-000000000000000000000001", 0.0, outcome=COMPLETED, finished_at=1.0,
                           failed=True)
    assert outcome_of(record, error=False, fault=True, throttle=False) == Trace.Outcome.FAILED
    record.failed = False
    assert outcome_of(record, error=False, fault=True, throttle=False) == Trace.Outcome.COMPLETED


def test_insert_rows_writes_every_field_as_the_orm_reads_it(queued_run: Run) -> None:
    store = TraceStore(queued_run.pk, seed=1, cap=100)
    message(store, 1, fault=True)
    store.boundary()
    rows = store.boundary()
    insert_rows(Trace, rows)
    stored = Trace.objects.get(run=queued_run)
    fields = [field.attname for field in Trace._meta.concrete_fields if not field.primary_key]
    assert list(TraceRow._fields) == fields  # every column is written, in the model's order
    assert [getattr(stored, name) for name in fields] == list(rows[0])
    assert stored.has_fault is True and stored.segment_count == 2


def test_insert_rows_refuses_a_second_event_with_the_same_seq(queued_run: Run) -> None:
    insert_rows(RunEvent, [EventRow(queued_run.pk, 1, "run.status", "{}")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(RunEvent, [EventRow(queued_run.pk, 1, "run.status", "{}")])
    assert RunEvent.objects.filter(run=queued_run).count() == 1
