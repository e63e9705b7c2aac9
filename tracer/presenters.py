"""The JSON shapes of the runs API (/api/openapi.json)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.text import slugify

from tracer.models import Run, Trace


def run(item: Run) -> dict[str, Any]:
    return {
        "id": item.pk,
        "topology": item.topology_id,
        "topology_version": item.topology_version,
        "status": item.status,
        "seed": item.seed,
        "speed": item.speed,
        "paused": item.paused,
        "cancel_requested": item.cancel_requested,
        "created_at": item.created_at.isoformat(),
        "started_at": item.started_at.isoformat() if item.started_at else None,
        "finished_at": item.finished_at.isoformat() if item.finished_at else None,
        "heartbeat_at": item.heartbeat_at.isoformat() if item.heartbeat_at else None,
        "worker": item.worker,
        "error": item.error,
        "virtual_seconds": item.virtual_seconds,
        "last_seq": item.last_seq,
        "segments": item.segments_seen,
        "traces_seen": item.traces_seen,
        "traces_stored": item.traces_stored,
        "stored_bytes": item.stored_bytes,
        "limit": item.limit,
        "workload": item.workload,
        "stream": f"/ws/runs/{item.pk}/",
    }


def trace_summary(row: Trace) -> dict[str, Any]:
    return {
        "id": row.pk,
        "trace_id": row.trace_id,
        "message_id": row.message_id,
        "outcome": row.outcome,
        "entry": row.entry,
        "start_s": row.start_s,
        "end_s": row.end_s,
        "duration_ms": row.duration_ms,
        "components": row.components.split(),
        "has_error": row.has_error,
        "has_fault": row.has_fault,
        "has_throttle": row.has_throttle,
        "segment_count": row.segment_count,
    }


def download_name(run: Run, what: str) -> str:
    """An export's file name after its run: ``<topology name>-run-<id>-<what>`` (ASCII, no quotes)."""
    return f"{slugify(run.topology.name) or 'topology'}-run-{run.pk}-{what}"


SUMMARY_ORDER = ("format", "seed", "virtual_seconds", "messages", "latency_ms", "components", "cost_usd")
ACCOUNTING_ORDER = ("accepted", "completed", "dead_lettered", "rejected", "in_flight", "lost", "duplicate_deliveries")


def summary_document(run: Run) -> dict[str, Any]:
    """The run's summary with its keys in the order of wiretap.summary/1 (as the emulator writes
    it) and its components in the design's order: PostgreSQL's jsonb keeps neither."""
    summary: dict[str, Any] = run.summary or {}
    document = _ordered(summary, SUMMARY_ORDER)
    if isinstance(document.get("messages"), dict):
        document["messages"] = _ordered(document["messages"], ACCOUNTING_ORDER)
    if isinstance(document.get("components"), dict):
        design = [str(c.get("id")) for c in run.document.get("components", []) if isinstance(c, dict)]
        document["components"] = _ordered(document["components"], design)
    return document


def _ordered(mapping: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """``mapping`` with the keys of ``order`` first, in that order, then the others as they come."""
    first = {key: mapping[key] for key in order if key in mapping}
    return {**first, **{key: value for key, value in mapping.items() if key not in first}}
