"""The elasticache kind: its CloudFormation properties and behavior keys."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.pricing import ELASTICACHE_NODE_PER_HOUR
from emulator.services.elasticache.cache import CacheCluster

KIND = Kind(
    name="elasticache",
    title="ElastiCache cluster",
    cloudformation_type="AWS::ElastiCache::CacheCluster",
    description="An in-memory cache in front of a database: a hit answers in about a millisecond, a miss reads "
                "the database behind it (its request connection) and sets the value.",
    runtime=CacheCluster,
    origin="AWS::ElastiCache::CacheCluster",
    properties=(
        Field("Engine", "string", "redis", "The cache engine.", enum=("redis", "valkey", "memcached")),
        Field("CacheNodeType", "string", "cache.t4g.small", "The node type (sets the price per hour through "
              "hourly_usd).", min_size=1, max_size=64),
        Field("NumCacheNodes", "integer", 1, "Nodes in the cluster (1 for Redis OSS and Valkey, up to 40 for "
              "Memcached); each is billed per hour.", minimum=1, maximum=40),
    ),
    behavior=(
        Field("hit_ratio", "number", 0.8, "The share of reads that find their value, when the cache has no key "
              "field (with one, hits follow what was set and has not expired).", minimum=0, maximum=1),
        Field("ttl_s", "number", 300, "How long a value set after a miss stays (keyed caches): a read of it "
              "after that misses again. 0 keeps nothing.", minimum=0, maximum=31_536_000, unit="seconds"),
        Field("key", "string", None, "The payload field that holds each read's cache key. Without it, whether a "
              "read hits is drawn from hit_ratio.", min_size=1, max_size=255),
        Field("get_ms", "duration", {"median": 0.8, "p99": 3}, "How long a GET takes, network included."),
        Field("set_ms", "duration", {"median": 0.8, "p99": 3}, "How long the SET after a miss takes."),
        Field("hourly_usd", "number", ELASTICACHE_NODE_PER_HOUR, "A node's price per hour (cache.t4g.small, "
              "Redis OSS, on demand, us-east-1).", minimum=0, maximum=10_000, unit="USD/h"),
    ),
)
