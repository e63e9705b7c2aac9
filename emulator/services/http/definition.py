"""The http kind: a third-party HTTP API's behavior keys."""

from __future__ import annotations

from emulator.definitions import Field, Kind
from emulator.services.http.endpoint import HttpApi

KIND = Kind(
    name="http",
    title="Third-party HTTP API",
    cloudformation_type=None,
    description="An HTTP API outside AWS (a partner, a payment provider, a legacy service): its latency, its "
                "errors, its outages (faults) and the callers' timeout.",
    runtime=HttpApi,
    origin="Wiretap::HttpApi",
    behavior=(
        Field("latency_ms", "duration", {"median": 150, "p99": 900}, "How long the API takes to answer."),
        Field("error_rate", "number", 0.0, "The share of requests answered 500.", minimum=0, maximum=1),
        Field("timeout_ms", "number", 10_000, "The callers' HTTP client timeout: past it they give up with an "
              "error (504 ClientTimeout). 0 waits as long as it takes.", minimum=0, maximum=900_000, unit="ms"),
        Field("method", "string", "POST", "The HTTP method callers use.",
              enum=("GET", "POST", "PUT", "PATCH", "DELETE")),
    ),
)
