"""emulator/values.py: the messages a value that does not fit its field gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.definitions import MAX_DURATION_MS, MIN_MEDIAN_MS
from emulator.values import duration_error

# Cases the designer's form checks too (tests/js/durations.test.js): its messages must be these.
FIXTURE = json.loads((Path(__file__).parents[1] / "js" / "durations.fixture.json").read_text())
DURATION_CASES = FIXTURE["cases"]


@pytest.mark.parametrize("case", DURATION_CASES, ids=lambda case: json.dumps(case["value"]))
def test_a_duration_gets_the_message_the_designer_repeats(case: dict[str, Any]) -> None:
    assert duration_error(case["value"]) == case["message"]


def test_the_shared_cases_are_checked_within_the_bounds_the_emulator_gives_a_duration() -> None:
    assert FIXTURE["bounds"] == {"maximum": MAX_DURATION_MS, "minimumPart": MIN_MEDIAN_MS}


def test_the_shared_duration_cases_cover_every_message() -> None:
    messages = [case["message"] or "" for case in DURATION_CASES]
    for start in ("must be milliseconds", "must not be negative", "must be at most", "has unknown key",
                  "needs a number for", "median must be between", "p99 must be between", "p99 ("):
        assert any(message.startswith(start) for message in messages), start
    assert any(case["message"] is None for case in DURATION_CASES)
