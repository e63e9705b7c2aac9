"""Two saves from the same version at the same moment: exactly one lands, the other conflicts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from designer import services
from designer.models import TopologyVersion

SAVERS = 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_from_the_same_version_land_exactly_once(alice: Any) -> None:
    topology = services.create_topology(alice, name="Orders").topology
    start = threading.Barrier(SAVERS)
    outcomes: list[str] = []

    def save(number: int) -> None:
        try:
            start.wait()
            services.save_topology(topology, 1, services.empty_document(f"Saver {number}"), alice)
            outcomes.append("saved")
        except services.Conflict:
            outcomes.append("conflict")
        except Exception as error:  # any other failure is reported by the assertion below
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(number,)) for number in range(SAVERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["conflict"] * (SAVERS - 1) + ["saved"]
    topology.refresh_from_db()
    assert topology.version == 2
    assert TopologyVersion.objects.filter(topology=topology).count() == 2
