"""An ElastiCache cluster at run time (the rules it follows, and their sources, are in the package docstring)."""

from __future__ import annotations

from typing import Any

from emulator.distributions import Duration
from emulator.histogram import Latencies
from emulator.services.base import Call, Component, Link, Reply, call, mark, service_unavailable
from emulator.tracing import EPOCH, Segment

HIT = "hit"
MISS = "miss"


class Lookup:
    """One GET from its arrival to its answer, through the database read and the SET on a miss."""

    __slots__ = ("call", "segment", "key")

    def __init__(self, call_: Call, segment: Segment, key: str | None) -> None:
        self.call = call_
        self.segment = segment
        self.key = key


class CacheCluster(Component):
    # Redis and Memcached clients retry on their own terms, not the AWS SDK's.
    retried_by_sdk = False

    def connect(self) -> None:
        behavior = self.behavior
        self.hit_ratio = float(behavior["hit_ratio"])
        self.ttl_s = float(behavior["ttl_s"])
        self.get = Duration.from_spec(behavior["get_ms"])
        self.set = Duration.from_spec(behavior["set_ms"])
        key = behavior.get("key")
        self.key_field: str | None = key if isinstance(key, str) and key else None
        self.hourly_usd = float(behavior["hourly_usd"]) * int(self.properties["NumCacheNodes"])
        self.stores = self.links("request")
        # key -> when its value expires (keyed caches only).
        self.expires: dict[str, float] = {}
        self.gets = self.sets = self.hits = self.misses = self.errors = 0
        self.latencies = Latencies()

    def operation(self, link: Link | None) -> str:
        return "GET"

    def request(self, call_: Call) -> None:
        now = self.kernel.now
        message = call_.message
        segment = self.new_segment(message, call_.parent_id, now)
        segment.annotations["attempt"] = 1
        self.open_segments[segment.id] = segment
        self.gets += 1
        latency = self.get.sample(self.rng) / 1000.0
        faults = self.faults
        if faults:
            latency += faults.extra_ms(now) / 1000.0
            if faults.unavailable(now):
                self._answer(Lookup(call_, segment, None), service_unavailable(self.id), 0.001)
                return
            if self.rng.random() < faults.error_rate(now, 0.0):
                self._answer(Lookup(call_, segment, None), Reply(500, "ReplicationGroupNotAvailable",
                                                                 "the cache failed (injected fault)"), latency)
                return
        key = self._key(message.payload)
        lookup = Lookup(call_, segment, key)
        if self._hit(key, now):
            self.hits += 1
            segment.annotations["cache"] = HIT
            self._answer(lookup, Reply(200, payload={"hit": True}), latency)
            return
        self.misses += 1
        segment.annotations["cache"] = MISS
        store = next((link for link in self.stores if link.wants(message.payload)), None)
        if store is None:
            self._answer(lookup, Reply(200, payload={"hit": False}), latency)
            return
        self.kernel.schedule(latency, self._load, lookup, store)

    def _key(self, payload: Any) -> str | None:
        if self.key_field is None or not isinstance(payload, dict):
            return None
        value = payload.get(self.key_field)
        return None if value is None else str(value)

    def _hit(self, key: str | None, now: float) -> bool:
        """Keyed: the key's value was set less than ttl_s ago. Otherwise: a draw against hit_ratio."""
        if key is None:
            return self.hit_ratio > 0 and self.rng.random() < self.hit_ratio
        expires = self.expires.get(key)
        return expires is not None and expires > now

    def _load(self, lookup: Lookup, store: Link) -> None:
        """A miss: the caller reads the database (over its own connection), then sets the value."""

        def loaded(reply: Reply) -> None:
            if not reply.ok:
                self._answer(lookup, reply, 0.0)
                return
            self.sets += 1
            if lookup.key is not None and self.ttl_s > 0:
                self.expires[lookup.key] = self.kernel.now + self.ttl_s
            self._answer(lookup, Reply(200, payload={"hit": False}), self.set.sample(self.rng) / 1000.0)

        call(self, lookup.segment, store, lookup.call.message, loaded, sdk_retries=False,
             holder=lookup.call.holder)

    def _answer(self, lookup: Lookup, reply: Reply, after_s: float) -> None:
        self.kernel.schedule(after_s, self._answered, lookup, reply)

    def _answered(self, lookup: Lookup, reply: Reply) -> None:
        segment = lookup.segment
        now = self.kernel.now
        segment.end_time = EPOCH + now
        if reply.ok:
            segment.annotations["outcome"] = "ok"
        else:
            self.errors += 1
            segment.annotations["outcome"] = "fault" if reply.status >= 500 else "error"
            mark(segment, reply, self.segment_id())
        self.latencies.add((segment.end_time - segment.start_time) * 1000.0)
        del self.open_segments[segment.id]
        self.emit(segment)
        lookup.call.reply(reply)

    def metrics(self) -> dict[str, Any]:
        return {
            "GetTypeCmds": self.gets,
            "SetTypeCmds": self.sets,
            "CacheHits": self.hits,
            "CacheMisses": self.misses,
            "CacheHitRate": round(100.0 * self.hits / (self.hits + self.misses), 2) if self.hits + self.misses else 0.0,
            "Errors": self.errors,
            "Latency": self.latencies.percentiles(),
        }

    def gauges(self) -> dict[str, float]:
        return {"in_flight": len(self.open_segments)}

    def activity(self) -> tuple[int, int, int]:
        return (self.gets, self.errors, 0)

    def cost_usd(self) -> float:
        return self.kernel.now / 3600.0 * self.hourly_usd
