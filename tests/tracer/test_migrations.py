"""The tracer's data migrations."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tracer import services
from tracer.models import Run

pytestmark = pytest.mark.django_db


def test_the_migration_measures_what_runs_stored_before(queued_run: Run) -> None:
    services.execute_run(queued_run.pk)
    measured = Run.objects.get(pk=queued_run.pk).stored_bytes
    Run.objects.filter(pk=queued_run.pk).update(stored_bytes=0)

    importlib.import_module("tracer.migrations.0003_limits").measure_stored_bytes(apps, None)

    assert Run.objects.get(pk=queued_run.pk).stored_bytes == measured > 0
