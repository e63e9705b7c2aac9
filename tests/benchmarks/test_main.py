"""`make bench` runs: every section of a quick run prints its figures, and one that cannot run fails it.

The figures are not checked here (speed targets live in the benchmarks, never in timed tests);
only that each section ran, so that a change cannot break `make bench` unnoticed. The run
stream's sections (7-9) start whole consoles and are left out: the production-like tests run the
same processes. The classroom section (10) has its own quick test (test_classroom.py).
"""

from __future__ import annotations

import subprocess
import sys

from tests.live import ROOT


def test_a_quick_run_prints_every_section_and_succeeds() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--no-stream", "--no-classroom"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for heading in ("1. Kernel", "2. API Gateway", "3. Peak memory", "4. Step Functions", "5. Kinesis",
                    "6. Designer canvas", "11. Peak memory of runs at the limits"):
        assert heading in done.stdout
    assert "could not run" not in done.stdout and "run failed" not in done.stdout
    assert "render (fetch, build, draw, fit)" in done.stdout  # the designer's figures, not its failure
