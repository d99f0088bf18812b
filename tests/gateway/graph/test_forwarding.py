"""A query one subgraph answers whole reaches the client as that subgraph sent it (the
gateway neither decodes nor re-encodes it), unless there is something in it to change."""

import json
from collections.abc import Awaitable, Callable

import httpx

from tests.gateway.graph.support import ADMIN, GRAPHQL_RESPONSE, Graph

QUERY = "{ enterprises(first: 1) { items { id name } } }"
# Spaced and escaped as no encoder of the gateway's would write it.
ANSWER = b'{"data":  {"enterprises": {"items": [{"id": "e1", "name": "Caf\\u00e9"}]}}}'


def answering(
    body: bytes, *, status: int = 200, media_type: str = "application/json"
) -> dict[str, Callable[[httpx.Request], Awaitable[httpx.Response]]]:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": media_type})

    return {"enrolment.test": handler}


async def test_a_single_subgraph_answer_reaches_the_client_byte_for_byte(graph: Graph) -> None:
    graph.subgraphs.handlers = answering(ANSWER)

    response = await graph.post(QUERY)

    assert response.status_code == 200
    assert response.content == ANSWER
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json()["data"]["enterprises"]["items"][0]["name"] == "Café"


async def test_a_subgraphs_own_extensions_never_reach_the_client(graph: Graph) -> None:
    body = {"data": {"enterprises": {"items": []}}, "extensions": {"timing": {"ms": 3}}}
    graph.subgraphs.handlers = answering(json.dumps(body).encode())

    answer = await graph.query(QUERY)

    assert answer == {"data": {"enterprises": {"items": []}}}


async def test_an_answer_that_is_not_graphql_is_still_the_services_unavailability(
    graph: Graph,
) -> None:
    graph.subgraphs.handlers = answering(
        b"<html>bad gateway</html>", status=200, media_type="text/html"
    )

    answer = await graph.query(QUERY)

    assert answer["data"] == {"enterprises": None}
    (error,) = answer["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "service": "enrolment"}


async def test_a_traced_query_still_lists_its_subgraph_requests(graph: Graph) -> None:
    graph.subgraphs.handlers = answering(ANSWER)

    answer = await graph.query(QUERY, as_=ADMIN, headers={"x-graph-trace": "1"})

    assert answer["data"]["enterprises"]["items"] == [{"id": "e1", "name": "Café"}]
    assert answer["extensions"]["gateway"]["fetches"] == [
        {"service": "enrolment", "kind": "passthrough"}
    ]
