"""The compiled build: current when required, identical in output to the sources, never stale."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import emulator
from emulator import _compiled

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = bool(os.environ.get("WIRETAP_REQUIRE_COMPILED"))

# Runs with a bit of everything on the hot path: API, queue, function, table, retries, a DLQ
# (sqs-lambda-dlq); streams, their mapping with bisect and OnFailure, Firehose and S3 (the others).
EXAMPLES = ("sqs-lambda-dlq", "kinesis-bisect", "streamer", "dynamo-streamer")
RUN_AND_PRINT = textwrap.dedent("""
    import hashlib, sys
    import emulator
    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.tracing import JsonLinesWriter
    from emulator.workload import load_workload
    import io, json
    example = sys.argv[1]
    topology = load_topology(json.load(open(f"examples/{example}/topology.json")))
    workload = load_workload(json.load(open(f"examples/{example}/workload.json")), topology)
    out = io.BytesIO()
    summary = Simulation(topology, workload, tracer=JsonLinesWriter(out)).run()
    print(emulator.COMPILED, hashlib.sha256(out.getvalue() + json.dumps(summary, sort_keys=True).encode()).hexdigest())
""")


def run_in_subprocess(example: str = EXAMPLES[0], **environment: str) -> tuple[bool, str]:
    output = subprocess.run([sys.executable, "-c", RUN_AND_PRINT, example], cwd=ROOT, check=True, capture_output=True,
                            text=True, env={**os.environ, **environment}).stdout.split()
    return output[0] == "True", output[1]


@pytest.mark.skipif(not REQUIRED, reason="make test sets WIRETAP_REQUIRE_COMPILED=1 after compiling")
def test_make_test_runs_the_compiled_build() -> None:
    state = _compiled.build_state()
    assert emulator.COMPILED, f"the compiled emulator is {state}: run `make compile` and read its error"
    import emulator.services.sqs.queue as queue

    assert not queue.__file__.endswith(".py")


@pytest.mark.skipif(not emulator.COMPILED, reason="there is no current compiled build to compare with")
@pytest.mark.parametrize("example", EXAMPLES)
def test_compiled_and_interpreted_builds_write_the_same_traces_and_summary(example: str) -> None:
    compiled, compiled_digest = run_in_subprocess(example)
    interpreted, interpreted_digest = run_in_subprocess(example, WIRETAP_INTERPRETED="1")
    assert (compiled, interpreted) == (True, False)
    assert compiled_digest == interpreted_digest


def make_package(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "fast.py").write_text("VALUE = 'source'\n")
    (package / "sub" / "deep.py").write_text("VALUE = 'deep source'\n")
    return package


def pretend_compiled(package: Path, module: str) -> None:
    source = package / module
    source.with_name(source.name[: -len(".py")] + _compiled.importlib.machinery.EXTENSION_SUFFIXES[0]).write_bytes(b"")


def test_a_build_is_current_only_while_its_sources_match_the_recorded_digest(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    modules = ("fast.py", "sub/deep.py")
    assert _compiled.build_state(package, modules) == "absent"
    pretend_compiled(package, "fast.py")
    assert _compiled.build_state(package, modules) == "stale"  # one module not built
    pretend_compiled(package, "sub/deep.py")
    assert _compiled.build_state(package, modules) == "stale"  # no digest yet
    (package / _compiled.DIGEST_FILE.name).write_text(_compiled.sources_digest(package, modules) + "\n")
    assert _compiled.build_state(package, modules) == "compiled"
    (package / "sub" / "deep.py").write_text("VALUE = 'edited'\n")
    assert _compiled.build_state(package, modules) == "stale"


def test_the_source_finder_loads_modules_and_packages_from_their_py_files(tmp_path: Path) -> None:
    package = make_package(tmp_path)
    finder = _compiled.SourceFinder(package, "pkg")
    module_spec = finder.find_spec("pkg.sub.deep")
    package_spec = finder.find_spec("pkg.sub")
    assert module_spec is not None and module_spec.origin == str(package / "sub" / "deep.py")
    assert package_spec is not None and package_spec.submodule_search_locations == [str(package / "sub")]
    assert finder.find_spec("pkg.missing") is None
    assert finder.find_spec("other.fast") is None


def test_every_compiled_module_exists_and_defines_no_msgspec_struct() -> None:
    for module in _compiled.MODULES:
        text = (_compiled.PACKAGE_DIR / module).read_text()
        assert "msgspec.Struct" not in text, f"{module}: mypyc cannot compile msgspec Structs; keep them elsewhere"
