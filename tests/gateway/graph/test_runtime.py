"""The graph kept current: a gateway starting while a subgraph is down serves the last good
graph (the committed artefact), a redeployed subgraph is picked up without a restart, a
change that does not compose leaves the graph in use as it was."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.gateway.graph.local import local_sdls
from services.gateway.graph.runtime import ARTEFACT, read_artefact
from tests.enrolment.support import Api
from tests.gateway.graph.support import Graph, Subgraphs, graph_app, runtime_for
from tests.indicators.fixtures import IndicatorsWorld

URLS = {
    "enrolment": "http://enrolment.test/graphql",
    "indicators": "http://indicators.test/graphql",
    "reporting": "http://reporting.test/graphql",
}
ACROSS = """{
  enterprises(first: 2) { items { name indicatorValues { value } scoreStatus { eitInPlace } } }
  programmeSummary { enterprisesTrained }
}"""


@pytest.fixture
async def kept(api: Api, indicators_api: Api) -> AsyncIterator[Graph]:
    """enrolment and indicators answer; reporting is down; the artefact is there."""
    subgraphs = Subgraphs(
        {"enrolment.test": api.client, "indicators.test": indicators_api.client},
        down={"reporting.test"},
    )
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for(URLS, http, fallback=read_artefact(ARTEFACT))
        transport = httpx.ASGITransport(app=graph_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield Graph(client, runtime, subgraphs)


def serve_sdl(sdl: str) -> httpx.AsyncBaseTransport:
    """A subgraph that answers its schema request with ``sdl`` (and nothing else)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": {"_service": {"sdl": sdl}}})

    return httpx.MockTransport(handler)


async def test_a_gateway_starting_while_a_subgraph_is_down_serves_the_rest(
    kept: Graph, indicators_world: IndicatorsWorld
) -> None:
    assert await kept.runtime.refresh()

    body = await kept.query(ACROSS)

    # reporting's fields come from the artefact's SDL: known, and unavailable.
    items = body["data"]["enterprises"]["items"]
    assert items
    assert all(item["name"] for item in items)
    assert all(item["scoreStatus"] is None for item in items)
    assert body["data"]["programmeSummary"] is None
    assert {(e["extensions"]["code"], e["extensions"]["service"]) for e in body["errors"]} == {
        ("SERVICE_UNAVAILABLE", "reporting")
    }
    assert ["programmeSummary"] in [e["path"] for e in body["errors"]]
    reporting = kept.runtime.status()["subgraphs"]["reporting"]
    assert (reporting["reachable"], reporting["schema"]) == (False, "artefact")


async def test_a_subgraph_that_comes_back_is_asked_again_without_recomposing(
    kept: Graph, reporting_api: Api, indicators_world: IndicatorsWorld
) -> None:
    await kept.runtime.refresh()
    before = kept.runtime.supergraph

    kept.subgraphs.down.clear()
    kept.subgraphs.clients = {**kept.subgraphs.clients, "reporting.test": reporting_api.client}
    changed = await kept.runtime.refresh()
    body = await kept.query(ACROSS)

    # Its SDL is the artefact's: the same graph serves on, and now reaches it.
    assert not changed
    assert kept.runtime.supergraph is before
    assert "errors" not in body, body["errors"]
    assert kept.runtime.status()["subgraphs"]["reporting"]["schema"] == "live"


async def test_a_redeployed_subgraph_is_picked_up_without_a_restart(kept: Graph) -> None:
    await kept.runtime.refresh()
    first = kept.runtime.supergraph
    redeployed = local_sdls()["reporting"].replace(
        "type Query {", "type Query {\n  reportingVersion: String @cost(weight: 1)\n", 1
    )
    kept.subgraphs.down.clear()
    kept.subgraphs.handlers = {"reporting.test": serve_sdl(redeployed).handle_async_request}

    assert await kept.runtime.refresh()
    # Polling again with nothing changed keeps the graph (and its cached plans).
    assert not await kept.runtime.refresh()

    query = kept.runtime.supergraph.schema.query_type
    assert query is not None
    assert "reportingVersion" in query.fields
    assert kept.runtime.supergraph is not first
    # The graph that was swapped out is untouched: requests on it finish as they began.
    assert first.schema.query_type is not None
    assert "reportingVersion" not in first.schema.query_type.fields


async def test_a_change_that_does_not_compose_leaves_the_graph_in_use(kept: Graph) -> None:
    await kept.runtime.refresh()
    before = kept.runtime.supergraph
    # reporting now claims enrolment's Enterprise.name without @shareable: refused.
    conflicting = local_sdls()["reporting"].replace(
        'type Enterprise @key(fields: "id") {\n  id: ID!',
        'type Enterprise @key(fields: "id") {\n  id: ID!\n  name: String!',
    )
    kept.subgraphs.down.clear()
    kept.subgraphs.handlers = {"reporting.test": serve_sdl(conflicting).handle_async_request}

    assert not await kept.runtime.refresh()

    assert kept.runtime.supergraph is before
    status = kept.runtime.status()
    assert status["status"] == "ready"
    assert "Enterprise.name" in status["composition_error"]
    data = await kept.data("{ organisations(first: 1) { items { name } } }")
    assert data["organisations"] is not None
