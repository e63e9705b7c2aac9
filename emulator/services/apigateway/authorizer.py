"""An API's Lambda authorizer: identity sources, the policy cache, allow and deny (rules in the package docstring)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.matching import compile_event_pattern
from emulator.services.base import Component, Link, Reply, call
from emulator.tracing import Segment

if TYPE_CHECKING:
    from emulator.messages import Message

DEFAULT_IDENTITY_SOURCE = "method.request.header.Authorization"
HEADER = "method.request.header."
QUERY_STRING = "method.request.querystring."

UNAUTHORIZED = Reply(401, "UnauthorizedException", "Unauthorized")
DENIED = Reply(403, "AccessDeniedException", "User is not authorized to access this resource with an explicit deny")
FAILED = Reply(500, "AuthorizerConfigurationException", "Internal server error")

# What the authorizer decided: answered with the denial, or None to let the request through.
Decided = Callable[[Reply | None], None]


def identity_of(source: str, message: Message) -> str | None:
    """The identity the source names: a header is a message attribute, a query string parameter a
    payload field; None when the request lacks it."""
    if source.startswith(HEADER):
        value: Any = message.attributes.get(source[len(HEADER):])
    elif source.startswith(QUERY_STRING):
        payload = message.payload
        value = payload.get(source[len(QUERY_STRING):]) if isinstance(payload, dict) else None
    else:
        value = None
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


class Authorizer:
    """A TOKEN Lambda authorizer of one API, with its cache of policies per identity."""

    def __init__(self, api: Component, link: Link) -> None:
        properties = link.properties
        self.api = api
        self.link = link
        self.ttl_s = float(properties["AuthorizerResultTtlInSeconds"])
        self.identity_source = str(properties["IdentitySource"])
        deny = properties.get("deny_when")
        self._denies = compile_event_pattern(deny) if deny else None
        # identity -> (when the cached policy expires, whether it allows)
        self.cache: dict[str, tuple[float, bool]] = {}
        self.invocations = self.cache_hits = self.denied = self.unauthorized = self.failures = 0

    def authorize(self, message: Message, segment: Segment, decided: Decided) -> None:
        identity = identity_of(self.identity_source, message)
        if identity is None:
            # Without the identity source API Gateway answers 401 and does not call the authorizer.
            self.unauthorized += 1
            segment.annotations["authorizer"] = "no_identity"
            decided(UNAUTHORIZED)
            return
        now = self.api.kernel.now
        cached = self.cache.get(identity)
        if cached is not None and cached[0] > now:
            self.cache_hits += 1
            segment.annotations["authorizer"] = "cached"
            self._decide(cached[1], decided)
            return
        segment.annotations["authorizer"] = "invoked"
        self.invocations += 1
        request = message.copy(payload={"type": "TOKEN", "authorizationToken": identity,
                                        "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:"
                                                     f"{self.api.id.lower()}/prod/POST/"})

        def answered(reply: Reply) -> None:
            if not reply.ok:
                self.failures += 1
                decided(FAILED)
                return
            allowed = self._denies is None or not self._denies({"identity": identity})
            if self.ttl_s > 0:
                self.cache[identity] = (self.api.kernel.now + self.ttl_s, allowed)
            self._decide(allowed, decided)

        # API Gateway calls the authorizer once, without retries.
        call(self.api, segment, self.link, request, answered, sdk_retries=False)

    def _decide(self, allowed: bool, decided: Decided) -> None:
        if allowed:
            decided(None)
        else:
            self.denied += 1
            decided(DENIED)

    def metrics(self) -> dict[str, int]:
        return {
            "AuthorizerInvocations": self.invocations,
            "AuthorizerCacheHits": self.cache_hits,
            "AuthorizerDenied": self.denied,
            "AuthorizerUnauthorized": self.unauthorized,
            "AuthorizerErrors": self.failures,
        }
