"""A run, its replay log (one numbered event per message sent on its stream) and its traces.

``Run.last_seq`` is the last sequence number handed out; events are numbered 1, 2, 3... per run,
every type sharing the one sequence. The unique (run, seq) constraint is what keeps two writers
(a worker presumed dead and the repair that failed its run) from both numbering an event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from designer.models import Topology


class Limit(models.TextChoices):
    """The limits a running run may reach (README "Limits")."""

    MESSAGES = "messages"
    STORED_TRACES = "stored_traces"
    EVENTS = "events"
    BYTES = "bytes"
    QUOTA = "quota"


class Run(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"
        CANCELLED = "cancelled"

    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="runs")
    topology_version = models.PositiveIntegerField()
    document = models.JSONField()  # the topology document as it was run (a snapshot)
    workload = models.JSONField()
    seed = models.BigIntegerField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    speed = models.FloatField(null=True, blank=True)  # virtual s per wall s; null: as fast as possible
    paused = models.BooleanField(default=False)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")
    summary = models.JSONField(null=True, blank=True)
    virtual_seconds = models.FloatField(default=0.0)
    last_seq = models.PositiveBigIntegerField(default=0)
    segments_seen = models.PositiveBigIntegerField(default=0)
    traces_seen = models.PositiveBigIntegerField(default=0)
    traces_stored = models.PositiveBigIntegerField(default=0)
    # The JSON text the run stores (its snapshot, replay log and traces), kept up to date by every
    # write: what the owner's quota counts (tracer/limits.py).
    stored_bytes = models.PositiveBigIntegerField(default=0)
    # The limit a run reached while running, which stopped it ("" when none did); ``error`` says more.
    limit = models.CharField(max_length=20, choices=Limit.choices, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat")]

    def __str__(self) -> str:
        return f"run {self.pk} of topology {self.topology_id} v{self.topology_version} ({self.status})"

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.FAILED, self.Status.CANCELLED)


# The indexes of RunEvent and Trace are the ones their reads use, and no more: every row of a run
# goes through each of them as it is written (a run writes thousands of rows a second), and the
# unique (run, ...) constraints and (run, ...) indexes serve every lookup by run.
class RunEvent(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveBigIntegerField()
    type = models.CharField(max_length=20)
    body = models.TextField()  # the exact JSON text sent on the socket

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_event_per_seq")]


class Trace(models.Model):
    class Outcome(models.TextChoices):
        COMPLETED = "completed"
        FAILED = "failed"
        DEAD_LETTERED = "dead_lettered"
        THROTTLED = "throttled"
        LOST = "lost"
        REJECTED = "rejected"
        IN_FLIGHT = "in_flight"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="traces", db_index=False)
    trace_id = models.CharField(max_length=40)
    message_id = models.CharField(max_length=40, blank=True, default="")
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    entry = models.CharField(max_length=200, blank=True, default="")
    start_s = models.FloatField()  # virtual seconds
    end_s = models.FloatField(null=True, blank=True)
    duration_ms = models.FloatField()
    # " A B C ": the component ids the trace touched, space-delimited on both sides so that
    # `components__contains=" B "` finds exactly B.
    components = models.TextField(default="")
    has_error = models.BooleanField(default=False)
    has_fault = models.BooleanField(default=False)
    has_throttle = models.BooleanField(default=False)
    segment_count = models.PositiveIntegerField(default=0)
    segments = models.TextField()  # a JSON array of the trace's X-Ray segment documents

    class Meta:
        ordering = ["run", "id"]
        indexes = [
            models.Index(fields=["run", "outcome", "id"], name="trace_run_outcome"),
            models.Index(fields=["run", "duration_ms", "id"], name="trace_run_duration"),
        ]
        constraints = [models.UniqueConstraint(fields=["run", "trace_id"], name="one_row_per_trace")]
