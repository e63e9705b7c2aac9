"""Amazon API Gateway (REST API): throttling, routing, integration timeout, error mapping.

Rules (API Gateway developer guide: "Throttle requests", "Amazon API Gateway quotas",
"Handle Lambda errors"): a token bucket of ``ThrottlingRateLimit`` tokens per second holding
at most ``ThrottlingBurstLimit`` answers 429 before the integration runs; the integration
times out after ``TimeoutInMillis`` (29 s) with 504; a throttled Lambda becomes 500, a
function error 502. API Gateway never retries. Routes: the first ``request`` connection
whose ``when`` pattern matches the payload takes the request; none matching answers 403
Missing Authentication Token, as API Gateway does for an unknown route.

Lambda authorizer (API Gateway developer guide: "Use API Gateway Lambda authorizers",
"Configure a Lambda authorizer", "Cache the authorizer's response"): an ``authorizer`` connection
to a function makes it the API's TOKEN authorizer. API Gateway reads the identity from
``IdentitySource`` (a header, here a message attribute; or a query string parameter, here a
payload field); a request without it is answered 401 Unauthorized without calling the function.
Otherwise the function is invoked synchronously, once, with ``{"type": "TOKEN",
"authorizationToken", "methodArn"}``, and its policy is cached per identity for
``AuthorizerResultTtlInSeconds`` (default 300, at most 3,600; 0 disables the cache). A Deny
policy (``deny_when`` matches ``{"identity": ...}``) is answered 403 AccessDeniedException, and
the request never reaches the integration; an authorizer that fails or is throttled gives 500
AuthorizerConfigurationException.
"""

from emulator.services.apigateway.api import ApiGateway, ApiRequest
from emulator.services.apigateway.authorizer import Authorizer
from emulator.services.apigateway.definition import KIND, check

__all__ = ["KIND", "ApiGateway", "ApiRequest", "Authorizer", "check"]
