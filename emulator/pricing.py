"""AWS list prices (us-east-1, checked November 2026) used for a run's cost estimate.

Sources: the pricing pages of each service (aws.amazon.com/<service>/pricing). Free tiers
are ignored: a run shows what the traffic would cost at scale.
"""

# Lambda: requests and compute (GB-s), billed per 1 ms; INIT of a cold start billed too (since Aug 2025).
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
LAMBDA_PROVISIONED_PER_GB_SECOND = {"x86_64": 0.0000041667, "arm64": 0.0000033334}

# API Gateway REST APIs, first 333 million requests a month.
APIGATEWAY_PER_REQUEST = 3.50 / 1_000_000

# SQS: per request (each 64 KB chunk of a payload is a request).
SQS_STANDARD_PER_REQUEST = 0.40 / 1_000_000
SQS_FIFO_PER_REQUEST = 0.50 / 1_000_000
SQS_CHUNK_BYTES = 64 * 1024

# SNS: publishes (each 64 KB chunk), and deliveries by protocol (SQS and Lambda are free).
SNS_PER_PUBLISH = 0.50 / 1_000_000
SNS_HTTP_PER_DELIVERY = 0.60 / 1_000_000

# Step Functions (aws.amazon.com/step-functions/pricing): Standard workflows $0.025 per 1,000
# state transitions (retries included); Express $1.00 per million requests and $0.06 per GB-hour
# for the first 1,000 GB-hours a month, duration rounded up to 100 ms, memory billed in 64 MB chunks.
STEPFUNCTIONS_PER_TRANSITION = 0.025 / 1_000
STEPFUNCTIONS_EXPRESS_PER_REQUEST = 1.00 / 1_000_000
STEPFUNCTIONS_EXPRESS_PER_GB_SECOND = 0.06 / 3600
STEPFUNCTIONS_EXPRESS_MEMORY_CHUNK_MB = 64

# DynamoDB on-demand (since the November 2024 price cut) and provisioned capacity per hour.
DYNAMODB_PER_WRITE_REQUEST_UNIT = 0.625 / 1_000_000
DYNAMODB_PER_READ_REQUEST_UNIT = 0.125 / 1_000_000
DYNAMODB_PER_WCU_HOUR = 0.00065
DYNAMODB_PER_RCU_HOUR = 0.00013

# Kinesis Data Streams, provisioned mode: per shard-hour, per million PUT payload units (each 25 KB
# chunk of a record), and extended retention (beyond 24 h, up to 7 days) per shard-hour
# (aws.amazon.com/kinesis/data-streams/pricing, us-east-1, checked November 2026).
KINESIS_PER_SHARD_HOUR = 0.015
KINESIS_PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
KINESIS_PER_PUT_PAYLOAD_UNIT = 0.014 / 1_000_000
KINESIS_EXTENDED_RETENTION_PER_SHARD_HOUR = 0.020

# Amazon Data Firehose, Direct PUT and Kinesis sources: per GB ingested, each record rounded up to
# 5 KB (aws.amazon.com/firehose/pricing, us-east-1, first 500 TB a month, checked November 2026).
FIREHOSE_PER_GB = 0.029
FIREHOSE_RECORD_ROUNDING_BYTES = 5 * 1024

# S3 Standard: PUT/COPY/POST/LIST requests per 1,000, storage per GB-month
# (aws.amazon.com/s3/pricing, us-east-1, first 50 TB, checked November 2026).
S3_PER_PUT_REQUEST = 0.005 / 1000
S3_PER_GB_MONTH = 0.023
# EventBridge: custom events published to a bus, each 64 KB chunk one event; deliveries to AWS
# targets are free (aws.amazon.com/eventbridge/pricing, us-east-1, checked November 2026).
EVENTBRIDGE_PER_EVENT = 1.00 / 1_000_000
EVENTBRIDGE_CHUNK_BYTES = 64 * 1024
# Archiving: $0.10 per GB of events archived (storage, $0.023 per GB-month, is not counted: runs are short).
EVENTBRIDGE_ARCHIVE_PER_GB = 0.10

# ElastiCache: on-demand nodes per hour; cache.t4g.small, Redis OSS (aws.amazon.com/elasticache/pricing,
# us-east-1, checked November 2026).
ELASTICACHE_NODE_PER_HOUR = 0.032

# API Gateway WebSocket APIs: $1.00 per million messages (each 32 KB chunk one message) and $0.25 per
# million connection minutes (aws.amazon.com/api-gateway/pricing, us-east-1, first billion messages a
# month, checked November 2026).
APIGATEWAY_WEBSOCKET_PER_MESSAGE = 1.00 / 1_000_000
APIGATEWAY_WEBSOCKET_PER_CONNECTION_MINUTE = 0.25 / 1_000_000
