"""Runs of alice's Scalable Webhook, small enough to execute in a test."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from designer import services as designer
from designer.models import Topology
from tracer import services
from tracer.models import Run


def workload(per_second: float = 20, duration_s: float = 3, **extra: Any) -> dict[str, Any]:
    return {"format": "wiretap.workload/1", "seed": 7, "duration_s": duration_s, "drain_s": 30,
            "sources": [{"target": "Partner", "rate": {"per_second": per_second}, "payload": {"n": "$seq"},
                         **extra}]}


@pytest.fixture
def topology(alice: Any) -> Topology:
    topology: Topology = designer.create_topology(alice, template_id="scalable-webhook").topology
    return topology


@pytest.fixture
def queued_run(alice: Any, topology: Topology, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    return services.start_run(alice, topology, workload())


@pytest.fixture
def as_alice(client: Client, alice: Any, monkeypatch: pytest.MonkeyPatch) -> Client:
    """alice signed in; the runs she starts are never handed to a worker."""
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    client.force_login(alice)
    return client
