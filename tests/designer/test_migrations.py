"""The designer's data migrations."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from designer import services
from designer.models import TopologyVersion

pytestmark = pytest.mark.django_db


def test_the_migration_measures_the_versions_stored_before(alice: Any) -> None:
    version = services.create_topology(alice, template_id="scalable-webhook")
    TopologyVersion.objects.filter(pk=version.pk).update(size_bytes=0)

    importlib.import_module("designer.migrations.0003_version_size").measure_versions(apps, None)

    assert TopologyVersion.objects.get(pk=version.pk).size_bytes == version.size_bytes > 0
