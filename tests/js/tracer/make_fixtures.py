"""Regenerate the run-view fixtures from the emulator (real segments, real samples):

    .venv/bin/python tests/js/tracer/make_fixtures.py

Writes tests/js/tracer/fixtures/<example>.json for a few examples, each
{"topology": ..., "batches": [[X-Ray docs...], ...], "samples": [Sample...], "summary": ...,
 "finished": {trace_id: "completed" | "dead_lettered" | "lost" | "rejected"}}.
Batches are what a run.segments message carries (the tracer's batches of up to 200 here); the
runs are cut short (duration_s) to keep the files small.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from emulator.live import LiveRun  # noqa: E402
from emulator.simulation import Simulation  # noqa: E402
from emulator.topology import load_topology  # noqa: E402
from emulator.tracing import BatchTracer  # noqa: E402
from emulator.workload import load_workload  # noqa: E402

OUT = Path(__file__).parent / "fixtures"
OUTCOMES = {0: "completed", 1: "dead_lettered", 2: "lost"}

# example -> (workload overrides, traces kept per kind: ok / error / fault / throttle; None = all)
EXAMPLES: dict[str, tuple[dict[str, object], int | None]] = {
    "sqs-lambda-dlq": ({"duration_s": 6}, None),
    "simple-web-service": ({}, 40),
    "scalable-webhook-naive": ({}, 40),
    "lambda-destinations": ({"duration_s": 10}, None),
    "sqs-visibility-timeout-mistake": ({"duration_s": 20}, None),
}


def kind_of(segments: list[dict[str, object]]) -> str:
    for flag in ("throttle", "fault", "error"):
        if any(segment.get(flag) for segment in segments):
            return flag
    return "ok"


def keep_some(data: dict[str, object], per_kind: int) -> None:
    """Keep the first ``per_kind`` traces of each kind (in order of first segment), batches as they came."""
    batches: list[list[dict[str, object]]] = data["batches"]  # type: ignore[assignment]
    by_trace: dict[str, list[dict[str, object]]] = {}
    for batch in batches:
        for segment in batch:
            by_trace.setdefault(str(segment["trace_id"]), []).append(segment)
    counts: dict[str, int] = {}
    kept: set[str] = set()
    for trace_id, segments in by_trace.items():
        kind = kind_of(segments)
        if counts.get(kind, 0) < per_kind:
            counts[kind] = counts.get(kind, 0) + 1
            kept.add(trace_id)
    trimmed = [[s for s in batch if s["trace_id"] in kept] for batch in batches]
    data["batches"] = [batch for batch in trimmed if batch]
    finished: dict[str, str] = data["finished"]  # type: ignore[assignment]
    data["finished"] = {trace_id: outcome for trace_id, outcome in finished.items() if trace_id in kept}


def capture(name: str, overrides: dict[str, object]) -> dict[str, object]:
    folder = ROOT / "examples" / name
    topology_doc = json.loads((folder / "topology.json").read_text())
    workload_doc = json.loads((folder / "workload.json").read_text())
    workload_doc.update(overrides)
    topology = load_topology(topology_doc)
    workload = load_workload(workload_doc, topology)
    batches: list[list[dict[str, object]]] = []
    tracer = BatchTracer(lambda batch: batches.append([msgspec.to_builtins(s) for s in batch]), batch_size=200)
    sim = Simulation(topology, workload, seed=workload_doc.get("seed", 42), tracer=tracer)
    finished: dict[str, str] = {}

    def on_finished(record: object) -> None:
        outcome = "rejected" if getattr(record, "rejected", False) else OUTCOMES.get(record.outcome, "lost")  # type: ignore[attr-defined]
        finished[record.trace_id] = outcome  # type: ignore[attr-defined]

    sim.ledger.on_finished = on_finished
    samples: list[object] = []
    result = LiveRun(sim, on_sample=lambda s: samples.append(msgspec.to_builtins(s))).run()
    tracer.close()
    # The first samples and every tenth after (the runs drain for minutes of virtual time).
    samples = [sample for index, sample in enumerate(samples) if index < 20 or index % 10 == 0]
    return {"topology": topology_doc, "batches": batches, "samples": samples,
            "summary": result.summary, "finished": finished}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, (overrides, per_kind) in EXAMPLES.items():
        data = capture(name, overrides)
        if per_kind is not None:
            keep_some(data, per_kind)
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
        count = sum(len(b) for b in data["batches"])  # type: ignore[arg-type]
        print(f"{path.relative_to(ROOT)}: {count} segments, {len(data['samples'])} samples, "  # type: ignore[arg-type]
              f"{path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
