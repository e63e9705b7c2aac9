"""Golden scenarios: the same inputs and seed must give exactly the recorded summary and traces.

A failure here means output changed. If the change is intended, regenerate with `make golden`
and read the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import pytest

from tests.golden import paths, produce, scenarios


@pytest.mark.parametrize("name", sorted(scenarios()))
def test_scenario_reproduces_its_golden_summary_and_traces(name: str) -> None:
    summary_path, traces_path = paths(name)
    summary, traces = produce(name)
    assert summary.decode() == summary_path.read_text(), f"summary of {name} changed; see `make golden`"
    expected = traces_path.read_bytes().splitlines()
    got = traces.splitlines()
    for line, (want, have) in enumerate(zip(expected, got, strict=False), start=1):
        assert have == want, f"{name}: trace line {line} changed"
    assert len(got) == len(expected), f"{name}: {len(got)} segments, the golden file has {len(expected)}"
