"""Workload sources at run time: arrivals in virtual time and payloads from generators."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulator.kernel import Kernel
from emulator.tracing import EPOCH
from emulator.workload import Source

# (source, sequence number within the source, time) -> None: the simulation takes it from here.
Arrive = Callable[["SourceRunner", int], None]


class SourceRunner:
    """Schedules one source's arrivals: constant or Poisson, following its ramp, until it ends."""

    def __init__(self, source: Source, kernel: Kernel, rng: random.Random, end_s: float, arrive: Arrive,
                 on_done: Callable[[], None] | None = None) -> None:
        self.source = source
        self.on_done = on_done
        self.kernel = kernel
        self.rng = rng
        self.end_s = end_s
        self.arrive = arrive
        self.sent = 0
        self.done = False
        self._segment_start = source.start_s
        self._index = 0
        self._rate = 0.0
        self._rate_from = 0.0
        self._rate_until = -1.0  # the cached rate holds from _rate_from until this time
        self._next_change = 0.0
        # Templates without generators are shared, not rebuilt for each message.
        self.payload_is_constant = is_constant(source.payload)
        self.attributes_are_constant = is_constant(source.attributes)
        self._steps = [(source.start_s, source.per_second)] + [
            (step.at_s, step.per_second) for step in source.ramp if step.at_s > source.start_s
        ]

    def start(self) -> None:
        self._segment_start = self.source.start_s
        self._index = 0
        self._schedule_next(self.source.start_s)

    def rate_at(self, time: float) -> tuple[float, float]:
        """The rate in force at ``time`` and when it next changes."""
        if self._rate_until > time >= self._rate_from:
            return self._rate, self._next_change
        rate, next_change = self._steps[0][1], float("inf")
        for index, (at, per_second) in enumerate(self._steps):
            if at <= time:
                rate = per_second
                next_change = self._steps[index + 1][0] if index + 1 < len(self._steps) else float("inf")
        self._rate, self._next_change = rate, next_change
        self._rate_from, self._rate_until = time, next_change
        return rate, next_change

    def _schedule_next(self, time: float) -> None:
        """Schedule the arrival after ``time`` under the ramp, or finish."""
        while True:
            rate, next_change = self.rate_at(time)
            if rate > 0:
                if self.source.arrival == "poisson":
                    arrival = time + self.rng.expovariate(rate)
                else:
                    # From the start of the rate's segment, not by adding gaps: sums of 1/rate drift.
                    arrival = self._segment_start + self._index / rate
                if arrival < next_change:
                    break
            if next_change == float("inf"):
                self._finish()
                return
            # The rate changes before the next arrival: start again under the new rate.
            time = self._segment_start = next_change
            self._index = 0
        if arrival >= self.end_s:
            self._finish()
            return
        self._index += 1
        self.kernel.schedule_at(arrival, self._fire)

    def _fire(self) -> None:
        self.sent += 1
        self.arrive(self, self.sent)
        count = self.source.count
        if count is not None and self.sent >= count:
            self._finish()
            return
        self._schedule_next(self.kernel.now)

    def _finish(self) -> None:
        self.done = True
        if self.on_done is not None:
            self.on_done()


def generate(template: Any, rng: random.Random, sequence: int, message_id: str, now: float) -> Any:
    """Expand the generators in a payload, attribute or group-id template."""
    if isinstance(template, str):
        if template[:1] != "$":
            return template
        if template == "$seq":
            return sequence
        if template == "$message_id":
            return message_id
        if template == "$timestamp":
            return datetime.fromtimestamp(EPOCH + now, tz=UTC).isoformat(timespec="milliseconds")
        return template[1:] if template.startswith("$$") else template
    if isinstance(template, dict):
        if "$uniform" in template:
            low, high = template["$uniform"]
            if isinstance(low, int) and isinstance(high, int):
                return rng.randint(low, high)
            return round(rng.uniform(low, high), 2)
        if "$choice" in template:
            choices = template["$choice"]
            weights = template.get("weights")
            pick = rng.choices(choices, weights)[0] if weights else choices[rng.randrange(len(choices))]
            return generate(pick, rng, sequence, message_id, now)
        return {key: generate(value, rng, sequence, message_id, now) for key, value in template.items()}
    if isinstance(template, list):
        return [generate(item, rng, sequence, message_id, now) for item in template]
    return template


def is_constant(template: Any) -> bool:
    """True when a template has no generator in it (it can be shared, not rebuilt per message)."""
    if isinstance(template, str):
        return not template.startswith("$")
    if isinstance(template, dict):
        return not any(k.startswith("$") for k in template) and all(is_constant(v) for v in template.values())
    if isinstance(template, list):
        return all(is_constant(item) for item in template)
    return True
