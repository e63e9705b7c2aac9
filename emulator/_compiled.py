"""The emulator's compiled build, and the guard that keeps it from running stale code.

`make setup` compiles the modules on the hot path with mypyc (``scripts/compile-emulator``):
the same source, checked by mypy --strict, run as C: 1.6-1.9x as fast, with byte-identical
traces (a test runs both builds and compares). The compiled files sit beside the sources, and
Python prefers a compiled module to its ``.py`` file, so a build older than its sources would
silently run old code. At build time the compiler records a digest of the sources; when the
package is imported, ``choose_build`` compares it with the sources on disk, and if they differ
(or ``WIRETAP_INTERPRETED=1`` asks for it) every ``emulator`` module is loaded from its ``.py``
file instead, with a warning when it was not asked for. Compiled modules call each other
natively, so the build is all or nothing.

This module must stay plain Python: it runs before anything else in the package.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
# The hot path: what a run executes per message. Modules that define msgspec Structs (tracing,
# live) stay interpreted: mypyc would turn the Structs into native classes.
MODULES = (
    "kernel.py",
    "distributions.py",
    "histogram.py",
    "ids.py",
    "ledger.py",
    "messages.py",
    "faults.py",
    "values.py",
    "sources.py",
    "simulation.py",
    "tracers.py",
    "services/base.py",
    "services/fanout.py",
    "services/apigateway/api.py",
    "services/apigateway/authorizer.py",
    "services/awslambda/event_source_mapping.py",
    "services/awslambda/function.py",
    "services/awslambda/invocation.py",
    "services/awslambda/recursion.py",
    "services/circuitbreaker/breaker.py",
    "services/client/client.py",
    "services/dynamodb/table.py",
    "services/elasticache/cache.py",
    "services/eventbridge/bus.py",
    "services/eventbridge/transformer.py",
    "services/http/endpoint.py",
    "services/rds/database.py",
    "services/sns/topic.py",
    "services/sqs/queue.py",
    "services/sqs/stored.py",
    "services/sqs/retention.py",
    "services/shards.py",
    "services/awslambda/stream_mapping.py",
    "services/kinesis/stream.py",
    "services/dynamodb/stream.py",
    "services/firehose/delivery_stream.py",
    "services/s3/bucket.py",
    "services/client/poll.py",
    "services/websocket/api.py",
)
# The shared library mypyc builds for the group (``emulator/_compiled_lib__mypyc.*.so``).
GROUP = "emulator._compiled_lib"
DIGEST_FILE = PACKAGE_DIR / "_compiled.digest"
INTERPRETED_VARIABLE = "WIRETAP_INTERPRETED"


def sources_digest(package_dir: Path = PACKAGE_DIR, modules: Sequence[str] = MODULES) -> str:
    """A digest of the compiled modules' sources and the Python that compiled them."""
    digest = hashlib.sha256(sys.version.encode())
    for module in modules:
        digest.update(module.encode() + b"\0")
        digest.update((package_dir / module).read_bytes())
    return digest.hexdigest()


def compiled_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The compiled modules present beside the sources (any Python version's)."""
    return sorted(path for suffix in ("*.so", "*.pyd") for path in package_dir.rglob(suffix))


def _extension_for(source: Path) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_name(source.name[: -len(".py")] + suffix)
        if candidate.exists():
            return candidate
    return None


def build_state(package_dir: Path = PACKAGE_DIR, modules: Sequence[str] = MODULES) -> str:
    """"compiled" (a current build for this Python), "absent" (none) or "stale" (the sources
    changed since, or the build is incomplete, or for another Python)."""
    built = [_extension_for(package_dir / module) for module in modules]
    if not any(built):
        return "absent"
    if not all(built):
        return "stale"
    digest_file = package_dir / DIGEST_FILE.name
    if not digest_file.exists() or digest_file.read_text().strip() != sources_digest(package_dir, modules):
        return "stale"
    return "compiled"


class SourceFinder(importlib.abc.MetaPathFinder):
    """Finds ``emulator`` modules as ``.py`` files only, ahead of the compiled ones."""

    def __init__(self, package_dir: Path = PACKAGE_DIR, package: str = "emulator") -> None:
        self.package_dir = package_dir
        self.package = package

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.package + "."):
            return None
        base = self.package_dir.joinpath(*fullname.split(".")[1:])
        if (base / "__init__.py").exists():
            return importlib.util.spec_from_file_location(fullname, base / "__init__.py",
                                                          submodule_search_locations=[str(base)])
        if base.with_suffix(".py").exists():
            return importlib.util.spec_from_file_location(fullname, base.with_suffix(".py"))
        return None


def choose_build() -> bool:
    """Decide, before any other emulator module loads, which build runs; True if compiled."""
    state = build_state()
    if state == "compiled" and not os.environ.get(INTERPRETED_VARIABLE):
        return True
    if state == "stale" and not os.environ.get(INTERPRETED_VARIABLE):
        warnings.warn("the compiled emulator is older than its sources (or for another Python): running the "
                      "sources instead, slower; `make compile` rebuilds it", RuntimeWarning, stacklevel=3)
    if state != "absent":
        sys.meta_path.insert(0, SourceFinder())
    return False
