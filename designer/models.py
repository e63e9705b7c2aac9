"""A topology is a name, an owner and numbered versions, each a whole wiretap.topology/1 document.

Versions are never changed or deleted (but with their topology): saving adds one, restoring
adds one whose document is an older one's. ``Topology.version`` is the latest number; a save
claims the next number with a conditional update on it, and the unique constraint on
(topology, number) backs that up, so two saves from the same version can never both land.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models


class Topology(models.Model):
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topologies")
    # The number of the latest version (the one a client must start from to save).
    version = models.PositiveIntegerField(default=0)
    # The template (an examples/ folder) it started from, if any: the designer shows its explanation.
    template = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name_plural = "topologies"

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk}, v{self.version})"


class TopologyVersion(models.Model):
    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    # Kept when the author's account is deleted (the history stays readable).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The document's JSON text, measured as it is written: what the owner's quota counts.
    size_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "number"], name="one_version_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.topology_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.size_bytes = document_size(self.document)
        super().save(*args, **kwargs)

    @property
    def author_name(self) -> str | None:
        return self.author.get_username() if self.author else None


def document_size(document: Any) -> int:
    """The length of a document's JSON text (as a JSONField writes it)."""
    return len(json.dumps(document))
