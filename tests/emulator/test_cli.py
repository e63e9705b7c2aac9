"""The command line: exit codes, problem lines, outputs, determinism (formats.md section 4)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from emulator.cli import main
from emulator.otlp import otlp_document
from emulator.tracing import Segment

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
SEGMENT_ID = re.compile(r"^[0-9a-f]{16}$")

# A browser calling an API in front of a table with little write capacity: some requests are
# throttled by the API, some by the table, so the outputs have errors as well as successes.
TOPOLOGY: dict[str, Any] = {
    "format": "wiretap.topology/1",
    "name": "Orders API",
    "components": [
        {"id": "Browser", "kind": "client"},
        {"id": "Api", "kind": "apigateway", "properties": {"ThrottlingRateLimit": 20, "ThrottlingBurstLimit": 5}},
        {"id": "Orders", "kind": "dynamodb", "properties": {"WriteCapacityUnits": 3}},
    ],
    "connections": [
        {"source": "Browser", "target": "Api", "role": "request"},
        {"source": "Api", "target": "Orders", "role": "request"},
    ],
}
WORKLOAD: dict[str, Any] = {
    "format": "wiretap.workload/1",
    "seed": 7,
    "duration_s": 5,
    "sources": [{"target": "Browser", "rate": {"per_second": 30, "arrival": "poisson"},
                 "payload": {"order": "$seq", "amount": {"$uniform": [1, 500]}}}],
}


def write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(path)


@pytest.fixture
def topology_file(tmp_path: Path) -> str:
    return write(tmp_path / "topology.json", TOPOLOGY)


@pytest.fixture
def workload_file(tmp_path: Path) -> str:
    return write(tmp_path / "workload.json", WORKLOAD)


def run_to(directory: Path, topology_file: str, workload_file: str, *extra: str) -> int:
    directory.mkdir(exist_ok=True)
    return main(["run", topology_file, "--workload", workload_file, "--quiet",
                 "--traces", str(directory / "traces.jsonl"), "--otlp", str(directory / "spans.json"),
                 "--summary", str(directory / "summary.json"), *extra])


# Invalid input ---------------------------------------------------------------------------

def test_invalid_json_exits_2_naming_the_file_and_the_line(tmp_path: Path, workload_file: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "format": "wiretap.topology/1",\n  "components": [,]\n}\n', encoding="utf-8")
    assert main(["run", str(broken), "--workload", workload_file]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.splitlines()
    assert line.startswith(f"{broken}: error:")
    assert "line 3" in line


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.json"
    assert main(["validate", str(missing)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_invalid_topology_exits_2_with_one_line_per_problem_and_its_pointer(
        tmp_path: Path, workload_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(json.dumps(TOPOLOGY))
    document["components"][1]["properties"] = {"ThrottlingRateLimit": "fast", "Timeout": 3}
    document["connections"].append({"source": "Api", "target": "Nowhere", "role": "request"})
    path = write(tmp_path / "bad.json", document)
    assert main(["run", path, "--workload", workload_file]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: error /") for line in lines)
    assert any("/components/1/properties/ThrottlingRateLimit (Api)" in line for line in lines)
    assert any("/components/1/properties/Timeout (Api)" in line for line in lines)
    assert any("/connections/2/target (Api -> Nowhere (request))" in line for line in lines)


def test_unknown_workload_target_exits_2_naming_the_source(tmp_path: Path, topology_file: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    workload = json.loads(json.dumps(WORKLOAD))
    workload["sources"][0]["target"] = "Checkout"
    path = write(tmp_path / "workload.json", workload)
    assert main(["run", topology_file, "--workload", path]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: error /sources/0/target (Checkout):")
    assert "'Checkout' is not a component" in line


def test_output_path_that_cannot_be_written_exits_2_before_running(
        tmp_path: Path, topology_file: str, workload_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no such folder" / "traces.jsonl"
    assert main(["run", topology_file, "--workload", workload_file, "--traces", str(target)]) == 2
    captured = capsys.readouterr()
    assert "cannot write" in captured.err and captured.out == ""


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    assert main(["run", "t.json", "--workload", "w.json", "--seed", "-1"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_the_module_exits_2_on_an_invalid_topology_without_a_traceback(tmp_path: Path) -> None:
    document = json.loads(json.dumps(TOPOLOGY))
    document["components"][2]["kind"] = "mainframe"
    path = write(tmp_path / "bad.json", document)
    result = subprocess.run([sys.executable, "-m", "emulator", "validate", path],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "/components/2/kind (Orders)" in result.stderr
    assert "Traceback" not in result.stderr


# validate --------------------------------------------------------------------------------

def with_unused_table() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(TOPOLOGY))
    document["components"].append({"id": "Archive", "kind": "dynamodb"})
    return document


def test_validate_prints_warnings_with_why_and_fix_and_exits_0(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "topology.json", with_unused_table())
    assert main(["validate", path]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{path}: warning /components/3 (Archive): nothing sends to Archive — ")
    assert line.count(" — ") == 2


def test_validate_of_a_clean_topology_says_so(topology_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", topology_file]) == 0
    assert capsys.readouterr().out == f"{topology_file}: no problems found\n"


def test_validate_json_lists_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "topology.json", with_unused_table())
    assert main(["validate", path, "--json"]) == 0
    [problem] = json.loads(capsys.readouterr().out)
    assert problem["severity"] == "warning"
    assert problem["rule"] == "unreachable_component"
    assert problem["pointer"] == "/components/3"
    assert problem["why"] and problem["fix"]


def test_validate_json_of_an_invalid_topology_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(json.dumps(TOPOLOGY))
    document["format"] = "wiretap.topology/9"
    path = write(tmp_path / "topology.json", document)
    assert main(["validate", path, "--json"]) == 2
    [problem] = json.loads(capsys.readouterr().out)
    assert (problem["severity"], problem["pointer"]) == ("error", "/format")


# run -------------------------------------------------------------------------------------

def test_run_writes_traces_otlp_and_a_balanced_summary(tmp_path: Path, topology_file: str,
                                                        workload_file: str) -> None:
    assert run_to(tmp_path / "out", topology_file, workload_file) == 0
    lines = (tmp_path / "out" / "traces.jsonl").read_text(encoding="utf-8").splitlines()
    segments = [json.loads(line) for line in lines]
    assert segments and all(isinstance(segment, dict) for segment in segments)
    subsegment_count = 0
    for segment in segments:
        assert TRACE_ID.match(segment["trace_id"])
        assert SEGMENT_ID.match(segment["id"])
        assert segment.get("parent_id") is None or SEGMENT_ID.match(segment["parent_id"])
        for subsegment in segment.get("subsegments", []):
            assert SEGMENT_ID.match(subsegment["id"])
            subsegment_count += 1
    spans = json.loads((tmp_path / "out" / "spans.json").read_text(encoding="utf-8"))
    services = [resource["resource"]["attributes"][0]["value"]["stringValue"]
                for resource in spans["resourceSpans"]]
    assert sorted(services) == ["Api", "Browser"]
    span_count = sum(len(scope["spans"]) for resource in spans["resourceSpans"] for scope in resource["scopeSpans"])
    assert span_count == len(segments) + subsegment_count
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    messages = summary["messages"]
    assert summary["format"] == "wiretap.summary/1" and summary["seed"] == 7
    assert messages["accepted"] > 0 and messages["rejected"] > 0
    assert messages["accepted"] == (messages["completed"] + messages["dead_lettered"] + messages["in_flight"]
                                    + messages["lost"])


def test_the_otlp_file_is_what_the_one_otlp_writer_makes_of_the_runs_segments(tmp_path: Path, topology_file: str,
                                                                              workload_file: str) -> None:
    run_to(tmp_path / "out", topology_file, workload_file)
    segments = [msgspec.json.decode(line, type=Segment)
                for line in (tmp_path / "out" / "traces.jsonl").read_bytes().splitlines()]

    assert (tmp_path / "out" / "spans.json").read_bytes() == b"".join(otlp_document([segments]))


def test_summary_file_is_indented_json_ending_with_a_newline(tmp_path: Path, topology_file: str,
                                                             workload_file: str) -> None:
    run_to(tmp_path / "out", topology_file, workload_file)
    text = (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")
    assert text.startswith('{\n  "format"') and text.endswith("}\n")


def test_same_seed_gives_byte_identical_outputs_and_another_seed_differs(tmp_path: Path, topology_file: str,
                                                                         workload_file: str) -> None:
    names = ("traces.jsonl", "spans.json", "summary.json")
    for directory in ("first", "second"):
        assert run_to(tmp_path / directory, topology_file, workload_file) == 0
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    assert run_to(tmp_path / "other", topology_file, workload_file, "--seed", "8") == 0
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name
    assert json.loads((tmp_path / "other" / "summary.json").read_text(encoding="utf-8"))["seed"] == 8


def test_run_prints_a_human_summary(topology_file: str, workload_file: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", topology_file, "--workload", workload_file]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # not a terminal: no progress bar
    out = captured.out
    assert 'Ran "Orders API" with seed 7:' in out and "virtual seconds" in out
    assert re.search(r"Messages +\d+ accepted, \d+ completed, 0 dead-lettered, \d+ rejected", out)
    assert re.search(r"Latency +p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms", out)
    assert re.search(r"^Api +apigateway +requests \d+, 4XX \d+, 5XX 0$", out, re.MULTILINE)
    assert re.search(r"^Orders +dynamodb +read units 0, write units \d+, throttled \d+$", out, re.MULTILINE)
    assert re.search(r"^Cost +\$\d+\.\d+ \(Api \$", out, re.MULTILINE)


def test_the_human_summary_says_where_the_messages_still_in_flight_are(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    document = {"format": "wiretap.topology/1", "name": "Unread",
                "components": [{"id": "Inbox", "kind": "sqs", "properties": {"DelaySeconds": 900}}]}
    workload = {"format": "wiretap.workload/1", "seed": 1, "duration_s": 3, "drain_s": 10,
                "sources": [{"target": "Inbox", "rate": {"per_second": 1}, "count": 3}]}
    assert main(["run", write(tmp_path / "t.json", document), "--workload", write(tmp_path / "w.json", workload)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^In flight  3 copies: Inbox 3 delayed$", out, re.MULTILINE)
    assert "13 virtual seconds" in out


def test_a_settled_run_prints_no_in_flight_line(topology_file: str, workload_file: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", topology_file, "--workload", workload_file]) == 0
    assert "In flight  " not in capsys.readouterr().out


def test_quiet_run_prints_nothing(topology_file: str, workload_file: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", topology_file, "--workload", workload_file, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_drawn_on_a_terminal_and_does_not_change_the_run(
        tmp_path: Path, topology_file: str, workload_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    summary_on_terminal = tmp_path / "terminal.json"
    assert main(["run", topology_file, "--workload", workload_file, "--summary", str(summary_on_terminal)]) == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[") and "virtual seconds" in drawn
    assert drawn.endswith("\r") and "\n" not in drawn  # rubbed out before the summary
    monkeypatch.undo()
    run_to(tmp_path / "plain", topology_file, workload_file)
    assert summary_on_terminal.read_bytes() == (tmp_path / "plain" / "summary.json").read_bytes()
