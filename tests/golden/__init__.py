"""Golden scenarios: expected summaries and traces, checked byte for byte.

    python -m tests.golden            # regenerate every golden file (then read the diff)
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from emulator.simulation import Simulation
from emulator.topology import load_topology
from emulator.tracing import JsonLinesWriter
from emulator.workload import load_workload

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"


def scenarios() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = json.loads((HERE / "scenarios.json").read_text())["scenarios"]
    return found


def produce(name: str) -> tuple[bytes, bytes]:
    """Run a scenario: (summary JSON, traces JSON Lines), exactly as they are compared."""
    scenario = scenarios()[name]
    example = EXAMPLES / scenario["example"]
    topology = load_topology(json.loads((example / "topology.json").read_text()))
    workload_document = json.loads((example / "workload.json").read_text())
    workload_document.update(seed=scenario["seed"], duration_s=scenario["duration_s"])
    workload_document["sources"] = [{**workload_document["sources"][0], **scenario["source"]}]
    workload_document["sources"][0].pop("ramp", None)
    traces = io.BytesIO()
    summary = Simulation(topology, load_workload(workload_document, topology), tracer=JsonLinesWriter(traces)).run()
    return msgspec.json.format(msgspec.json.encode(summary), indent=2) + b"\n", traces.getvalue()


def paths(name: str) -> tuple[Path, Path]:
    return HERE / name / "summary.json", HERE / name / "traces.jsonl"


def regenerate() -> None:
    for name in scenarios():
        summary, traces = produce(name)
        summary_path, traces_path = paths(name)
        summary_path.parent.mkdir(exist_ok=True)
        summary_path.write_bytes(summary)
        traces_path.write_bytes(traces)
        print(f"wrote {summary_path.relative_to(HERE.parents[1])} and {traces_path.name} "
              f"({traces.count(b'\n')} segments)")


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
