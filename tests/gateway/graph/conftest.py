"""Fixtures of the GraphQL engine's tests: the graph composed from the real enrolment and
indicators apps, behind the gateway's /graphql router."""

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.enrolment.support import Api
from tests.gateway.graph.fakes import FAKE_URLS, Store, fake_clients
from tests.gateway.graph.support import Graph, Subgraphs, graph_app, runtime_for

SUBGRAPH_URLS = {
    "enrolment": "http://enrolment.test/graphql",
    "indicators": "http://indicators.test/graphql",
}


@pytest.fixture
async def graph(api: Api, indicators_api: Api) -> AsyncIterator[Graph]:
    subgraphs = Subgraphs({"enrolment.test": api.client, "indicators.test": indicators_api.client})
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for(SUBGRAPH_URLS, http)
        await runtime.compose()
        subgraphs.calls.clear()
        runtime.fetch_counts.clear()
        transport = httpx.ASGITransport(app=graph_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield Graph(client, runtime, subgraphs)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
async def fake_graph(store: Store) -> AsyncIterator[Graph]:
    """The graph composed from the fake catalog and reviews subgraphs (tests/.../fakes.py)."""
    async with fake_clients(store) as clients:
        subgraphs = Subgraphs(clients)
        async with httpx.AsyncClient(transport=subgraphs) as http:
            runtime = runtime_for(FAKE_URLS, http)
            await runtime.compose()
            subgraphs.calls.clear()
            runtime.fetch_counts.clear()
            transport = httpx.ASGITransport(app=graph_app(runtime))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://gateway.test"
            ) as client:
                yield Graph(client, runtime, subgraphs)
