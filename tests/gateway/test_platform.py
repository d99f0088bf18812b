"""The gateway as the platform's front: health and readiness of what it fronts, the merged
OpenAPI description, and the one GraphQL graph answered as the caller's tenant."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.graph.errors import GraphNotReady
from shared.enums import Role
from tests.enrolment.support import Api, World, forwarded_claims, register
from tests.gateway.conftest import Gateway, running_gateway
from tests.gateway.support import gateway_settings, key_headers, make_key


@pytest.fixture
async def full_gateway(
    gateway_session: AsyncSession,
    upstream_clients: dict[str, httpx.AsyncClient],
    reporting_api: Api,
) -> AsyncIterator[Gateway]:
    """The gateway in front of all three services, its graph composed."""
    clients = upstream_clients | {"reporting.test": reporting_api.client}
    async with running_gateway(gateway_settings(), gateway_session, clients) as gateway:
        await gateway.app.state.graph.compose()
        yield gateway


async def test_healthz_answers_without_credentials(gateway: Gateway) -> None:
    response = await gateway.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_a_service_down_is_reported_but_keeps_the_gateway_ready(gateway: Gateway) -> None:
    # reporting is down: its SDL comes from the artefact committed with the code.
    await gateway.app.state.graph.refresh()

    response = await gateway.client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["services"]["enrolment"] == {"status": "ready"}
    assert body["services"]["indicators"] == {"status": "ready"}
    assert body["services"]["reporting"]["status"] == "unavailable"
    assert "unreachable" in body["services"]["reporting"]["reason"]
    assert body["graph"]["status"] == "ready"
    subgraphs = body["graph"]["subgraphs"]
    assert (subgraphs["enrolment"]["reachable"], subgraphs["enrolment"]["schema"]) == (
        True,
        "live",
    )
    assert (subgraphs["reporting"]["reachable"], subgraphs["reporting"]["schema"]) == (
        False,
        "artefact",
    )
    assert "ConnectError" in subgraphs["reporting"]["reason"]
    assert body["database"] == {"status": "ready"}


async def test_the_gateway_is_not_ready_while_it_has_no_graph_at_all(
    gateway_session: AsyncSession,
) -> None:
    # Nothing answers and there is no artefact to fall back on.
    settings = gateway_settings(graph_fallback_file="/nonexistent/subgraphs")
    async with running_gateway(settings, gateway_session, {}) as gateway:
        with pytest.raises(GraphNotReady):
            await gateway.app.state.graph.refresh()

        response = await gateway.client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["graph"]["status"] == "unavailable"
    assert body["database"] == {"status": "ready"}


async def test_readyz_is_ready_when_every_service_answers_and_the_graph_is_composed(
    full_gateway: Gateway,
) -> None:
    response = await full_gateway.client.get("/readyz")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["services"]) == {"enrolment", "indicators", "reporting"}
    assert body["graph"]["status"] == "ready"
    assert {name: s["schema"] for name, s in body["graph"]["subgraphs"].items()} == {
        "enrolment": "live",
        "indicators": "live",
        "reporting": "live",
    }


async def test_graphql_through_the_gateway_answers_as_the_keys_tenant(
    full_gateway: Gateway, api: Api, world: World
) -> None:
    own = await register(api, world.efp_staff)
    other = await register(api, world.mdpi_staff)
    secret = await make_key(
        full_gateway.session, role=Role.partner_staff, organisation_id=world.efp_id
    )
    query = "query($id: ID!) { enterprise(id: $id) { id name } }"

    async def read(enterprise: dict[str, Any]) -> Any:
        response = await full_gateway.client.post(
            "/graphql",
            json={"query": query, "variables": {"id": enterprise["id"]}},
            headers=key_headers(secret, **{"X-Request-ID": "graph-1"}),
        )
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == "graph-1"
        return response.json()

    mine = await read(own)
    theirs = await read(other)

    assert mine["data"]["enterprise"] == {"id": own["id"], "name": own["name"]}
    assert theirs["data"]["enterprise"] is None
    asked = [
        r for r in full_gateway.upstreams.received if r.headers.get("x-request-id") == "graph-1"
    ]
    assert {r.url.host for r in asked} == {"enrolment.test"}
    assert all(r.url.path == "/graphql" for r in asked)
    forwarded = asked[0].headers["authorization"].removeprefix("Bearer ")
    claims = forwarded_claims(forwarded, graph=True)
    assert (claims["role"], claims["org"]) == ("partner_staff", str(world.efp_id))


async def test_graphql_needs_credentials_and_the_read_scope(
    full_gateway: Gateway,
) -> None:
    anonymous = await full_gateway.client.post("/graphql", json={"query": "{ __typename }"})
    write_only = await make_key(full_gateway.session, scopes=["write"])
    unscoped = await full_gateway.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=key_headers(write_only)
    )
    assert anonymous.status_code == 401
    assert unscoped.status_code == 403
    assert "'read' scope" in unscoped.json()["detail"]


async def test_graphql_answered_at_the_edge_keeps_its_route_in_metrics_and_other_methods(
    full_gateway: Gateway,
) -> None:
    # /graphql is served right after admission (GraphLane), not by the router: its metrics
    # still name the route, and what the routes alone answer (405 for PUT) is unchanged.
    reader = await make_key(full_gateway.session)
    answered = await full_gateway.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=key_headers(reader)
    )
    fetched = await full_gateway.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers=key_headers(reader)
    )
    put = await full_gateway.client.put(
        "/graphql", json={"query": "{ __typename }"}, headers=key_headers(reader)
    )

    assert answered.json() == fetched.json() == {"data": {"__typename": "Query"}}
    assert answered.headers["x-request-id"]
    assert put.status_code == 405
    metrics = (await full_gateway.client.get("/metrics")).text
    for method in ("POST", "GET"):
        counted = f'score_http_requests_total{{method="{method}",route="/graphql",service="gateway"'
        assert counted in metrics, method


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(item) for item in node)) if node else set()
    return set()


async def test_merged_openapi_has_every_services_paths_under_its_prefix(
    full_gateway: Gateway,
) -> None:
    response = await full_gateway.client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "/enrolment/enterprises" in paths
    assert "/enrolment/enterprises/{enterprise_id}" in paths
    assert "/indicators/values" in paths
    assert any(path.startswith("/reporting/") for path in paths)
    assert {"/graphql", "/healthz", "/readyz"} <= set(paths)
    assert "/enterprises" not in paths  # only ever under its service's prefix
    schemas = document["components"]["schemas"]
    assert "enrolment.EnterprisePublic" in schemas
    for ref in _refs(document):
        section, name = ref.removeprefix("#/components/").split("/", 1)
        assert name in document["components"][section], f"dangling {ref}"
    operation_ids = [
        operation["operationId"]
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(operation_ids) == len(set(operation_ids))
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert document["security"] == [{"bearer": []}, {"apiKey": []}]
    enterprises = paths["/enrolment/enterprises"]["get"]
    assert "security" not in enterprises  # the document's own applies: the gateway's
    assert enterprises["tags"] == ["enrolment: enterprises"]


async def test_merged_openapi_names_a_service_it_could_not_reach(gateway: Gateway) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    assert document["info"]["x-score-unavailable-services"] == ["reporting"]
    assert "/enrolment/enterprises" in document["paths"]


async def test_swagger_ui_is_served_at_docs(gateway: Gateway) -> None:
    response = await gateway.client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text
