"""benchmarks/classroom.py stays runnable: its quick mode measures both consoles without an error.

The figures are not checked (no timing thresholds in tests); what is, is that the classroom setup
(`scripts/serve` on PostgreSQL and Redis) and the embedded console both start, sign their students
in, and answer every request of the load with 200 and JSON.
"""

from __future__ import annotations

import re
import subprocess
import sys

from tests.live import ROOT


def test_a_quick_run_measures_the_classroom_setup_and_the_embedded_console_without_errors() -> None:
    done = subprocess.run([sys.executable, "-m", "benchmarks.classroom", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "failed" not in done.stdout
    for console in ("classroom (", "embedded (make run)"):
        figures = re.search(re.escape(console) + r".*?req/s .* errors (\d+)", done.stdout)
        assert figures, f"no figures for {console}:\n{done.stdout}"
        assert figures.group(1) == "0", done.stdout
