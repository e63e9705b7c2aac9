"""The JSON shapes of the runs API (/api/openapi.json)."""

from __future__ import annotations

from typing import Any

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
