"""Amazon ElastiCache (Redis OSS, Valkey, Memcached) clusters: reads that hit or miss, TTLs, latency.

The model is the cache-aside (lazy loading) strategy of the ElastiCache user guide ("Caching
strategies": lazy loading, adding TTL): a caller reads the cache; a hit answers at once (about a
millisecond, "What is Amazon ElastiCache": sub-millisecond in-memory reads); a miss makes the caller
read the database and write the value to the cache with a time to live, after which the next read
misses again. The cluster's ``request`` connection to a database draws that read: on a miss the
database is queried over the caller's own connection (a Lambda execution environment's, so RDS
counts it as the function's), then the value is SET. Without a ``key`` field the share of hits is
``hit_ratio``; with one, a read hits when its key was set less than ``ttl_s`` ago.

Metrics are the CloudWatch names of "Metrics for Redis OSS" (CacheHits, CacheMisses,
CacheHitRate as a percentage, GetTypeCmds, SetTypeCmds); Latency is Wiretap's (milliseconds,
per GET). Nodes are billed per hour ("Amazon ElastiCache pricing", on-demand nodes).
"""

from emulator.services.elasticache.cache import CacheCluster
from emulator.services.elasticache.definition import KIND

__all__ = ["KIND", "CacheCluster"]
