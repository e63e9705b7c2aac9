"""DynamoDB tables: capacity, burst, partitions and hot keys, faults, cost."""

from __future__ import annotations

from typing import Any

from tests.emulator.scenario import run, topology


def test_a_hot_partition_key_throttles_an_on_demand_table_at_1000_writes_a_second() -> None:
    table = {"id": "Orders", "kind": "dynamodb", "properties": {"BillingMode": "PAY_PER_REQUEST"},
             "behavior": {"partition_key": "customer"}}
    hot = run(topology([table]), [{"target": "Orders", "rate": {"per_second": 1500}, "count": 15000,
                                   "payload": {"customer": "c-1", "n": "$seq"}}], duration_s=10)
    spread = run(topology([table]), [{"target": "Orders", "rate": {"per_second": 1500}, "count": 15000,
                                      "payload": {"customer": "$seq"}}], duration_s=10)
    hot_throttles = hot.component("Orders")["WriteThrottleEvents"]
    # One partition serves 1,000 WCU a second, plus one second's worth at the start: of 15,000
    # writes in 10 s, about 11,000 fit and the rest is refused.
    assert 3800 <= hot_throttles <= 4200
    assert hot.summary["messages"]["rejected"] == hot_throttles
    # The same load spread over the table's four partitions goes through.
    assert spread.component("Orders")["WriteThrottleEvents"] == 0


def test_a_provisioned_table_gets_partitions_for_its_capacity() -> None:
    from emulator.simulation import Simulation
    from emulator.topology import load_topology
    from emulator.workload import load_workload

    def partitions(properties: dict[str, Any]) -> int:
        loaded = load_topology(topology([{"id": "Orders", "kind": "dynamodb", "properties": properties}]))
        workload = load_workload({"format": "wiretap.workload/1", "duration_s": 1,
                                  "sources": [{"target": "Orders", "rate": {"per_second": 1}}]}, loaded)
        table = Simulation(loaded, workload).components["Orders"]
        return int(table.partitions)  # type: ignore[attr-defined]

    assert partitions({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}) == 1
    assert partitions({"ReadCapacityUnits": 6000, "WriteCapacityUnits": 2000}) == 4  # 6000/3000 + 2000/1000
    assert partitions({"BillingMode": "PAY_PER_REQUEST"}) == 4
