"""/api/openapi.json describes every URL of the API, and the API answers what it describes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft202012Validator

from designer import services

pytestmark = pytest.mark.django_db


def api_routes() -> dict[str, tuple[str, ...]]:
    """Every URL pattern under /api/, in OpenAPI's spelling, with the methods its view takes."""
    routes: dict[str, tuple[str, ...]] = {}

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                routes[path] = pattern.callback.api_methods
    walk(get_resolver().url_patterns, "")
    return routes


@pytest.fixture
def as_alice(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


@pytest.fixture
def openapi(as_alice: Client) -> dict[str, Any]:
    response = as_alice.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_the_document_is_openapi_3_1(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"] == "3.1.0"
    assert openapi["info"]["title"]


def test_every_api_url_is_described_with_exactly_its_methods(openapi: dict[str, Any]) -> None:
    routes = api_routes()

    assert set(openapi["paths"]) == set(routes)
    for path, methods in routes.items():
        assert set(openapi["paths"][path]) == {method.lower() for method in methods}, path


def test_every_reference_resolves(openapi: dict[str, Any]) -> None:
    text = json.dumps(openapi)
    for name in set(re.findall(r'"#/components/schemas/(\w+)"', text)):
        assert name in openapi["components"]["schemas"], name


def test_every_schema_is_valid_json_schema(openapi: dict[str, Any]) -> None:
    for schema in openapi["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def _validator(openapi: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # "#/components/schemas/..." references resolve against the root schema, so the components
    # travel with it (JSON Schema ignores the unknown "components" keyword).
    return Draft202012Validator({**schema, "components": openapi["components"]})


def _check(openapi: dict[str, Any], path: str, method: str, response: Any) -> None:
    described = openapi["paths"][path][method]["responses"][str(response.status_code)]
    if "content" not in described:
        assert not response.content
        return
    schema = described["content"]["application/json"]["schema"]
    errors = sorted(_validator(openapi, schema).iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path} {response.status_code}: {errors[0].message} at {errors[0].json_path}"


def test_the_answers_match_their_schemas(as_alice: Client, alice: Any, openapi: dict[str, Any]) -> None:
    def send(method: str, url: str, body: Any = None) -> Any:
        return getattr(as_alice, method)(url, data=json.dumps(body) if body is not None else "",
                                         content_type="application/json")

    topologies, one = "/api/topologies/", "/api/topologies/{topology_id}/"
    created = send("post", topologies, {"template": "scalable-webhook"})
    base = f"/api/topologies/{created.json()['id']}"
    exchanges = [
        ("/api/catalog/", "get", send("get", "/api/catalog/")),
        (topologies, "post", created),
        (topologies, "post", send("post", topologies, {"name": ""})),
        (topologies, "get", send("get", topologies)),
        (one, "get", send("get", f"{base}/")),
        (one, "put", send("put", f"{base}/", {"version": 1, "document": services.empty_document("x")})),
        (one, "put", send("put", f"{base}/", {"version": 1, "document": services.empty_document("x")})),
        (one, "put", send("put", f"{base}/", {"version": 2})),
        (one + "versions/", "get", send("get", f"{base}/versions/")),
        (one + "versions/{number}/", "get", send("get", f"{base}/versions/1/")),
        (one + "versions/{number}/restore/", "post", send("post", f"{base}/versions/1/restore/", {"version": 2})),
        (one + "versions/{number}/restore/", "post", send("post", f"{base}/versions/1/restore/", {"version": 2})),
        (one + "validate/", "post", send("post", f"{base}/validate/", {})),
        (one, "get", send("get", "/api/topologies/999999/")),
        (one, "delete", send("delete", f"{base}/")),
    ]
    statuses = [response.status_code for _, _, response in exchanges]
    assert statuses == [200, 201, 400, 200, 200, 200, 409, 400, 200, 200, 200, 409, 200, 404, 204]
    for path, method, response in exchanges:
        _check(openapi, path, method, response)


def test_the_name_pattern_counts_as_whitespace_exactly_what_the_server_trims() -> None:
    every_character = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)

    assert re.findall(f"[{services.WHITESPACE_CLASS}]", every_character) == [
        character for character in every_character if character.isspace()]


def test_a_name_is_valid_for_the_document_exactly_when_the_server_takes_it(openapi: dict[str, Any]) -> None:
    schema = openapi["paths"]["/api/topologies/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = _validator(openapi, schema["properties"]["name"])
    for name in ["Orders", " a ", "\u3000x", "x" * 200, "", " ", "\u2028\x1c\x85", "\ufeff", "a" + " " * 199 + "b"]:
        try:
            services.clean_name(name)
            taken = True
        except services.InvalidInput:
            taken = False
        assert validator.is_valid(name) == taken, repr(name)


def test_templates_are_named_by_the_ids_the_catalog_offers(as_alice: Client, openapi: dict[str, Any]) -> None:
    offered = [template["id"] for template in as_alice.get("/api/catalog/").json()["templates"]]

    assert openapi["components"]["schemas"]["TemplateId"] == {"enum": offered}
