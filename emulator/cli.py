"""The command line (formats.md section 4)::

    python -m emulator run TOPOLOGY.json --workload WORKLOAD.json [--seed N]
            [--traces traces.jsonl] [--otlp spans.json] [--summary summary.json] [--quiet]
    python -m emulator validate TOPOLOGY.json [--json]

Exit status 0 on success and 2 on invalid input (a file that cannot be read, bad JSON, an
invalid topology or workload, an output path that cannot be written), with one line per
problem on stderr: the file, then the JSON pointer and component of the field at fault.
This is the one module of the emulator that prints; the library underneath stays silent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, TextIO

from emulator.findings import validate
from emulator.otlp import otlp_document
from emulator.problems import InvalidDocument, Problem
from emulator.simulation import Simulation
from emulator.topology import Topology, load_topology_file, read_json
from emulator.tracing import JsonLinesWriter, ListTracer, NullTracer, TeeTracer, Tracer
from emulator.workload import Workload, load_workload

EXIT_OK = 0
EXIT_INVALID_INPUT = 2

# The metrics the human summary shows per kind: (label, CloudWatch metric name).
MAIN_METRICS: dict[str, tuple[tuple[str, str], ...]] = {
    "lambda": (("invocations", "Invocations"), ("errors", "Errors"), ("throttles", "Throttles"),
               ("concurrent", "ConcurrentExecutions")),
    "sqs": (("sent", "NumberOfMessagesSent"), ("received", "NumberOfMessagesReceived"),
            ("deleted", "NumberOfMessagesDeleted"), ("visible", "ApproximateNumberOfMessagesVisible"),
            ("oldest", "ApproximateAgeOfOldestMessage")),
    "sns": (("published", "NumberOfMessagesPublished"), ("delivered", "NumberOfNotificationsDelivered"),
            ("filtered", "NumberOfNotificationsFilteredOut"), ("failed", "NumberOfNotificationsFailed")),
    "apigateway": (("requests", "Count"), ("4XX", "4XXError"), ("5XX", "5XXError")),
    "dynamodb": (("read units", "ConsumedReadCapacityUnits"), ("write units", "ConsumedWriteCapacityUnits"),
                 ("throttled", "ThrottledRequests")),
}
UNITS = {"oldest": " s"}
# For kinds without a list above: the first few numeric metrics they report.
OTHER_KIND_METRICS = 4


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_request:  # argparse exits on --help (0) and on bad usage (2)
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_INVALID_INPUT
    command: Callable[[argparse.Namespace], int] = arguments.handler
    return command(arguments)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator",
                                     description="Wiretap: emulate AWS serverless topologies in virtual time.")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run a topology under a workload",
                              description="Run a topology under a workload; print a summary.")
    run.add_argument("topology", metavar="TOPOLOGY.json", help="the topology document (wiretap.topology/1)")
    run.add_argument("--workload", required=True, metavar="WORKLOAD.json",
                     help="the workload document (wiretap.workload/1)")
    run.add_argument("--seed", type=_seed, metavar="N", help="the random seed (default: the workload's seed)")
    run.add_argument("--traces", metavar="traces.jsonl", help="write X-Ray segment documents, one per line")
    run.add_argument("--otlp", metavar="spans.json", help="write the spans as OTLP/JSON")
    run.add_argument("--summary", metavar="summary.json", help="write the summary (wiretap.summary/1)")
    run.add_argument("--quiet", action="store_true", help="print nothing but problems (no summary, no progress)")
    run.set_defaults(handler=_run)
    check = commands.add_parser("validate", help="check a topology: errors and best-practice warnings",
                                description="Check a topology: errors, then best-practice warnings.")
    check.add_argument("topology", metavar="TOPOLOGY.json", help="the topology document (wiretap.topology/1)")
    check.add_argument("--json", action="store_true", help="print the problems as a JSON list")
    check.set_defaults(handler=_validate)
    return parser


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of 0 or more, got {text!r}")
    return seed


# validate ----------------------------------------------------------------------------------

def _validate(arguments: argparse.Namespace) -> int:
    path: str = arguments.topology
    try:
        problems = validate(read_json(path, "topology"))
    except InvalidDocument as invalid:
        problems = invalid.problems
    errors = [problem for problem in problems if problem.severity == "error"]
    if arguments.json:
        print(json.dumps([problem.as_dict() for problem in problems], indent=2, ensure_ascii=False))
    elif problems:
        # Errors on stderr (the run would refuse them); warnings on stdout, with why and the fix.
        _report(path, errors)
        for problem in problems:
            if problem.severity == "warning":
                print(f"{problem_line(path, problem)} — {problem.why} — {problem.fix}")
    else:
        print(f"{path}: no problems found")
    return EXIT_INVALID_INPUT if errors else EXIT_OK


def problem_line(path: str, problem: Problem) -> str:
    """One problem on one line, after the file it is in."""
    if not problem.pointer:
        return f"{path}: {problem.severity}: {problem.message}"
    return f"{path}: {problem}"


def _report(path: str, problems: list[Problem]) -> None:
    for problem in problems:
        print(problem_line(path, problem), file=sys.stderr)


# run ---------------------------------------------------------------------------------------

def _run(arguments: argparse.Namespace) -> int:
    loaded = _load(arguments.topology, arguments.workload)
    if loaded is None:
        return EXIT_INVALID_INPUT
    topology, workload = loaded
    with ExitStack() as outputs:
        try:
            files = _open_outputs(arguments, outputs)
        except OSError as error:
            print(f"{error.filename}: error: cannot write: {error.strerror}", file=sys.stderr)
            return EXIT_INVALID_INPUT
        summary = _simulate(topology, workload, arguments, files)
    if not arguments.quiet:
        written = [getattr(arguments, name) for name in ("traces", "otlp", "summary")]
        print("\n".join(summary_lines(summary, topology, [path for path in written if path])))
    return EXIT_OK


def _simulate(topology: Topology, workload: Workload, arguments: argparse.Namespace,
              files: dict[str, IO[bytes]]) -> dict[str, Any]:
    """Run the simulation, writing traces as it goes and the OTLP spans and summary at the end."""
    collected = ListTracer() if "otlp" in files else None
    tracer = _tracer(files.get("traces"), collected)
    progress = ProgressBar(sys.stderr) if not arguments.quiet and sys.stderr.isatty() else None
    simulation = Simulation(topology, workload, seed=arguments.seed, tracer=tracer)
    try:
        summary = simulation.run(progress=progress)
    finally:
        if progress is not None:
            progress.clear()
    if collected is not None:
        files["otlp"].writelines(otlp_document([collected.segments]))
    if "summary" in files:
        files["summary"].write((json.dumps(summary, indent=2) + "\n").encode())
    return summary


def _load(topology_path: str, workload_path: str) -> tuple[Topology, Workload] | None:
    """Both documents, or None after reporting every problem of both."""
    topology: Topology | None = None
    workload: Workload | None = None
    try:
        topology = load_topology_file(topology_path)
    except InvalidDocument as invalid:
        _report(topology_path, invalid.problems)
    try:
        # Without a valid topology the workload is still checked on its own.
        workload = load_workload(read_json(workload_path, "workload"), topology)
    except InvalidDocument as invalid:
        _report(workload_path, invalid.problems)
    if topology is None or workload is None:
        return None
    return topology, workload


def _open_outputs(arguments: argparse.Namespace, outputs: ExitStack) -> dict[str, IO[bytes]]:
    """Open every output before the run, so that a bad path fails at once, not after the run."""
    files: dict[str, IO[bytes]] = {}
    for name in ("traces", "otlp", "summary"):
        path = getattr(arguments, name)
        if path:
            # The ExitStack is the context manager: it closes every file when the run is over.
            files[name] = outputs.enter_context(Path(path).open("wb"))  # noqa: SIM115
    return files


def _tracer(traces: IO[bytes] | None, collected: ListTracer | None) -> Tracer:
    tracers: list[Tracer] = []
    if traces is not None:
        tracers.append(JsonLinesWriter(traces))
    if collected is not None:
        tracers.append(collected)
    if not tracers:
        return NullTracer()
    return tracers[0] if len(tracers) == 1 else TeeTracer(tracers)


class ProgressBar:
    """A one-line bar redrawn with a carriage return (only ever drawn on a terminal)."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._drawn = 0

    def __call__(self, now: float, end: float) -> None:
        fraction = min(1.0, now / end) if end > 0 else 1.0
        filled = round(fraction * self.WIDTH)
        line = (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%}  "
                f"{now:.1f} of {end:.1f} virtual seconds")
        self._stream.write("\r" + line)
        self._stream.flush()
        self._drawn = len(line)

    def clear(self) -> None:
        """Rub the bar out so that the summary starts on a clean line."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0


# The human summary -------------------------------------------------------------------------

def summary_lines(summary: dict[str, Any], topology: Topology, written: Sequence[str] = ()) -> list[str]:
    """A short human reading of a run's summary."""
    messages, latency = summary["messages"], summary["latency_ms"]
    title = f'"{topology.name}"' if topology.name else "the topology"
    lines = [
        f"Ran {title} with seed {summary['seed']}: {_number(summary['virtual_seconds'])} virtual seconds",
        "Messages   " + ", ".join(f"{_number(messages.get(key, 0))} {label}" for key, label in (
            ("accepted", "accepted"), ("completed", "completed"), ("dead_lettered", "dead-lettered"),
            ("rejected", "rejected"), ("in_flight", "in flight"), ("lost", "lost"),
            ("duplicate_deliveries", "duplicates"))),
        *_in_flight_lines(summary.get("in_flight_at_end")),
        "Latency    " + ", ".join(f"{key} {_milliseconds(value)}" for key, value in latency.items()),
        "",
    ]
    lines.extend(_component_table(summary["components"], topology))
    cost = summary["cost_usd"]
    by_component = ", ".join(f"{cid} {_dollars(value)}" for cid, value in cost["by_component"].items())
    lines.append("")
    lines.append(f"Cost       {_dollars(cost['total'])}" + (f" ({by_component})" if by_component else ""))
    if written:
        lines.append(f"Wrote      {', '.join(written)}")
    return lines


def _in_flight_lines(in_flight: dict[str, Any] | None) -> list[str]:
    """Where the copies still held at the end are: "In flight  Inbox 3 waiting, 1 received; ..."."""
    if not in_flight or not in_flight["by_component"]:
        return []
    places = "; ".join(f"{cid} " + ", ".join(f"{_number(count)} {state.replace('_', ' ')}"
                                             for state, count in states.items())
                       for cid, states in in_flight["by_component"].items())
    copies = in_flight["copies"]
    return [f"In flight  {_number(copies)} {'copy' if copies == 1 else 'copies'}: {places}"]


def _component_table(components: dict[str, dict[str, Any]], topology: Topology) -> list[str]:
    rows = [("Component", "Kind", "Metrics")]
    for component_id, metrics in components.items():
        kind = topology.components[component_id].kind if component_id in topology.components else ""
        shown = ", ".join(f"{label} {_number(value)}{UNITS.get(label, '')}"
                          for label, value in _main_metrics(kind, metrics))
        rows.append((component_id, kind, shown or "-"))
    id_width = max(len(row[0]) for row in rows)
    kind_width = max(len(row[1]) for row in rows)
    return [f"{name:<{id_width}}  {kind:<{kind_width}}  {shown}".rstrip() for name, kind, shown in rows]


def _main_metrics(kind: str, metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    wanted = MAIN_METRICS.get(kind)
    if wanted is not None:
        return [(label, metrics[name]) for label, name in wanted if name in metrics]
    numeric = [(name, value) for name, value in metrics.items()
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return numeric[:OTHER_KIND_METRICS]


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _milliseconds(value: float) -> str:
    return f"{_number(value)} ms" if value < 1000 else f"{_number(round(value / 1000, 1))} s"


def _dollars(value: float) -> str:
    # Runs are short and cheap: fractions of a cent need their digits.
    return f"${value:,.2f}" if value >= 1 else f"${value:.6f}"
