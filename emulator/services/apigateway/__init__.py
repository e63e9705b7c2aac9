"""Amazon API Gateway (REST API): throttling, routing, integration timeout, error mapping.

Rules (API Gateway developer guide: "Throttle requests", "Amazon API Gateway quotas",
"Handle Lambda errors"): a token bucket of ``ThrottlingRateLimit`` tokens per second holding
at most ``ThrottlingBurstLimit`` answers 429 before the integration runs; the integration
times out after ``TimeoutInMillis`` (29 s) with 504; a throttled Lambda becomes 500, a
function error 502. API Gateway never retries. Routes: the first ``request`` connection
whose ``when`` pattern matches the payload takes the request; none matching answers 403
Missing Authentication Token, as API Gateway does for an unknown route.
"""

from emulator.services.apigateway.api import ApiGateway, ApiRequest
from emulator.services.apigateway.definition import KIND

__all__ = ["KIND", "ApiGateway", "ApiRequest"]
