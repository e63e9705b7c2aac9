"""``python -m emulator``: the command line (see emulator/cli.py)."""

from emulator.cli import main

raise SystemExit(main())
