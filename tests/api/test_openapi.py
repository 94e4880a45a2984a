"""The OpenAPI document: public, valid-looking, and complete."""

from __future__ import annotations

import re

from pandawa.api.views import API_BLUEPRINTS, bp


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"]
    assert doc["servers"] == [{"url": "https://pandawa.example.go.id/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`pandawa tokens create EMAIL`",
    }
    assert doc["paths"]["/openapi.json"]["get"]["security"] == []


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").json
    routes = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(API_BLUEPRINTS) or rule.endpoint == f"{bp.name}.unknown":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes[path] = {m.lower() for m in rule.methods} - {"head", "options"}
    assert len(routes) >= 9
    for path, methods in routes.items():
        assert path in doc["paths"], path
        assert set(doc["paths"][path]) == methods, path
    assert set(doc["paths"]) == set(routes)


def test_every_reference_resolves(client):
    doc = client.get("/api/v1/openapi.json").json
    for ref in set(_refs(doc)):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, ref
            node = node[part]
    for path in doc["paths"].values():
        for operation in path.values():
            assert "200" in operation["responses"] or "202" in operation["responses"]
