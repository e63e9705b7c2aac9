"""Wiretap: a pure-Python emulator of AWS serverless services."""

from emulator._compiled import choose_build as _choose_build

# Before any other module of the package loads: the compiled build if it is current, else the
# sources (see emulator/_compiled.py).
COMPILED: bool = _choose_build()
