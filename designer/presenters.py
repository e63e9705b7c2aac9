"""The JSON shapes of the designer's API answers (formats.md section 5; /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from designer.models import Topology, TopologyVersion
from designer.services import validate_document
from emulator.problems import Problem


def problems(found: list[Problem]) -> list[dict[str, str]]:
    return [problem.as_dict() for problem in found]


def topology(version: TopologyVersion) -> dict[str, Any]:
    """A topology at one of its versions, with the findings of that version's document."""
    return {
        "id": version.topology_id,
        "name": version.topology.name,
        "version": version.number,
        "document": version.document,
        "author": version.author_name,
        "created_at": version.created_at.isoformat(),
        "findings": problems(validate_document(version.document)),
    }


def topology_summary(item: Topology) -> dict[str, Any]:
    """One line of the list (``item`` comes from services.topologies_of, which adds updated_by)."""
    return {
        "id": item.pk,
        "name": item.name,
        "version": item.version,
        "updated_at": item.updated_at.isoformat(),
        "updated_by": getattr(item, "updated_by", None),
    }


def version_summary(version: TopologyVersion) -> dict[str, Any]:
    return {"version": version.number, "author": version.author_name, "created_at": version.created_at.isoformat()}


def version_detail(version: TopologyVersion) -> dict[str, Any]:
    return {**version_summary(version), "document": version.document}
