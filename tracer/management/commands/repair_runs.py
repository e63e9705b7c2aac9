"""`manage.py repair_runs`: fail runs whose worker stopped beating, and queued runs nobody took."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracer import services


class Command(BaseCommand):
    help = "Mark runs whose worker died (stale heartbeat) or that no worker took as failed."

    def handle(self, *args: Any, **options: Any) -> None:
        repaired = services.repair_stuck_runs()
        self.stdout.write(f"{len(repaired)} run(s) marked failed" + (f": {repaired}" if repaired else ""))
