"""The tracers that batch finished segments, compiled with the hot path (emulator/_compiled.py).

Every segment of a run goes through ``emit``: three times a message in the benchmark pipeline. As
Python, each call ran an interpreter frame; compiled, it is a C function. The segments themselves
stay msgspec Structs in ``emulator.tracing`` (which re-exports these classes, their public home):
this module refers to them for typing only, so the two import each other without a cycle at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from emulator.tracing import Segment


class BatchTracer:
    """Hands segments to ``deliver`` in lists of ``batch_size`` (streaming to a database or socket)."""

    def __init__(self, deliver: Callable[[list[Segment]], None], batch_size: int = 500) -> None:
        self._deliver = deliver
        self._batch_size = batch_size
        self._batch: list[Segment] = []

    def emit(self, segment: Segment) -> None:
        batch = self._batch
        batch.append(segment)
        if len(batch) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._deliver(batch)

    def close(self) -> None:
        self.flush()


class JsonLinesWriter(BatchTracer):
    """Encodes batches of segments as JSON Lines into a binary file (the X-Ray export).

    Small batches (64 segments, some 40 KB of JSON) are faster than large ones: the segments
    and their text are still in the CPU cache when they are encoded and written, and fewer
    finished segments wait for the garbage collector to scan (the benchmark pipeline runs
    1.1-1.3x as fast as with batches of 1,000).
    """

    def __init__(self, file: IO[bytes], batch_size: int = 64) -> None:
        super().__init__(self._write, batch_size)
        self._file = file
        self._encode_lines = msgspec.json.Encoder().encode_lines

    def _write(self, batch: list[Segment]) -> None:
        self._file.write(self._encode_lines(batch))

    def close(self) -> None:
        super().close()
        self._file.flush()
