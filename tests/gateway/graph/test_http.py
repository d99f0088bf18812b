"""/graphql over HTTP: media types and status codes, GET, limits checked before any subgraph
call, batching refused, introspection for admins, a graph not composed yet, masked errors."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.gateway.graph import executor
from services.gateway.graph.limits import GraphLimits
from tests.composed_once import local_supergraph
from tests.enrolment.support import ILO, token_for
from tests.gateway.graph.support import (
    ADMIN,
    GRAPHQL_RESPONSE,
    Graph,
    Subgraphs,
    graph_app,
    runtime_for,
)

JSON = "application/json"


def auth(**headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(ILO, graph=True)}", **headers}


@pytest.fixture
async def offline() -> AsyncIterator[Graph]:
    """The real composed graph with no subgraph reachable: for what must never reach one."""
    subgraphs = Subgraphs({})
    async with httpx.AsyncClient(transport=subgraphs) as http:
        runtime = runtime_for({}, http)
        runtime.use(local_supergraph())
        transport = httpx.ASGITransport(app=graph_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield Graph(client, runtime, subgraphs)


def limited(graph: Graph, **limits: Any) -> None:
    graph.runtime.limits = GraphLimits(**limits)
    graph.runtime.use(graph.runtime.supergraph)


async def post_raw(
    graph: Graph, content: bytes | str, accept: str = GRAPHQL_RESPONSE, **headers: str
) -> httpx.Response:
    return await graph.client.post(
        "/graphql",
        content=content,
        headers=auth(**{"Content-Type": JSON, "Accept": accept, **headers}),
    )


def error_codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# --- media types and status codes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),
        (None, JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.2, {JSON}", JSON),
    ],
)
async def test_the_response_media_type_follows_accept(
    offline: Graph, accept: str | None, media_type: str
) -> None:
    headers = auth() if accept is None else auth(Accept=accept)

    response = await offline.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_unacceptable_media_type_is_refused(offline: Graph) -> None:
    response = await offline.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=auth(Accept="text/html")
    )

    assert response.status_code == 406


@pytest.mark.parametrize(
    "body",
    [
        '{ "not json',
        json.dumps({"qeury": "{ __typename }"}),
        json.dumps({"query": 42}),
        json.dumps({"query": "{ __typename }", "variables": "[]"}),
        json.dumps({"query": "{ __typename }", "operationName": 1}),
        json.dumps({"query": "{ __typename }", "extensions": []}),
    ],
)
async def test_requests_that_are_not_well_formed_are_400_whatever_the_media_type(
    offline: Graph, body: str
) -> None:
    for accept in (GRAPHQL_RESPONSE, JSON):
        response = await post_raw(offline, body, accept)

        assert response.status_code == 400
        assert "data" not in response.json()
        assert error_codes(response) == ["BAD_REQUEST"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query A { __typename }", "operationName": "B"}, "OPERATION_RESOLUTION_FAILURE"),
        (
            {"query": "query ($n: Int!) { e: enterprises(first: $n) { nextCursor } }"},
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_graphql_request_errors_are_400_for_graphql_response_and_200_for_json(
    offline: Graph, body: dict[str, Any], code: str
) -> None:
    modern = await post_raw(offline, json.dumps(body), GRAPHQL_RESPONSE)
    legacy = await post_raw(offline, json.dumps(body), JSON)

    assert modern.status_code == 400
    assert legacy.status_code == 200
    for response in (modern, legacy):
        assert "data" not in response.json()
        assert error_codes(response)[0] == code


@pytest.mark.parametrize(
    "query",
    [
        'mutation { registerEnterprise(input: {name: "Ab\\u0000c", country: "PK", '
        'sector: "textile"}) { __typename } }',
        '{ trainingMaterials(moduleCode: "workplace_cooperation", language: "e\\u{0}") { id } }',
    ],
)
async def test_a_nul_character_written_into_the_document_is_refused_before_any_subgraph(
    offline: Graph, query: str
) -> None:
    # Sent in variables, the services refuse it; written into the document as an escape, it
    # reached their database as it was: an unexpected error (and a 500 in its log).
    response = await post_raw(offline, json.dumps({"query": query}))

    assert response.status_code == 400
    assert "data" not in response.json()
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "rule": "no_null_character"}
    assert error["locations"]
    assert offline.subgraphs.calls == []


async def test_a_post_needs_a_json_body(offline: Graph) -> None:
    missing = await offline.client.post("/graphql", headers=auth())
    text = await offline.client.post(
        "/graphql", content="{ __typename }", headers=auth(**{"Content-Type": "text/plain"})
    )
    latin = await offline.client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers=auth(**{"Content-Type": "application/json; charset=latin-1"}),
    )

    assert [missing.status_code, text.status_code, latin.status_code] == [415, 415, 415]
    assert "application/json" in missing.json()["errors"][0]["message"]


async def test_queries_can_be_sent_with_get(offline: Graph) -> None:
    response = await offline.client.get(
        "/graphql",
        params={
            "query": "query T($skip: Boolean!) { kind: __typename n: __typename @skip(if: $skip) }",
            "variables": json.dumps({"skip": True}),
            "operationName": "T",
        },
        headers=auth(),
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"kind": "Query"}}


async def test_mutations_over_get_are_refused_with_405(offline: Graph) -> None:
    response = await offline.client.get(
        "/graphql",
        params={"query": "mutation { __typename }"},
        headers=auth(Accept=GRAPHQL_RESPONSE),
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_codes(response) == ["METHOD_NOT_ALLOWED"]


# --- limits, before any subgraph call --------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413(graph: Graph) -> None:
    limited(graph, max_body_bytes=200)
    document = "{ enterprises { items { " + " ".join(["name"] * 60) + " } } }"

    response = await graph.post(document)

    assert response.status_code == 413
    assert error_codes(response) == ["BODY_TOO_LARGE"]
    assert "200 bytes" in response.json()["errors"][0]["message"]
    assert graph.subgraphs.calls == []


async def test_too_many_tokens_are_refused(graph: Graph) -> None:
    limited(graph, max_tokens=10)

    fields = "id name country city sector subSector womenLed workforceTotal partnerId buyerIds"
    response = await graph.post("{ enterprises { items { " + fields + " } nextCursor } }")

    assert response.status_code == 400
    assert error_codes(response) == ["TOKEN_LIMIT_EXCEEDED"]
    assert "more than 10 tokens" in response.json()["errors"][0]["message"]
    assert graph.subgraphs.calls == []


async def test_too_deep_an_operation_is_refused_through_fragments(graph: Graph) -> None:
    limited(graph, max_depth=3)
    document = """{ enterprises { ...Items } }
    fragment Items on EnterpriseConnection { items { enrolments { stage } } }"""

    response = await graph.post(document)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "DEPTH_LIMIT_EXCEEDED", "limit": 3, "actual": 4}
    assert graph.subgraphs.calls == []


async def test_too_many_aliases_are_refused(graph: Graph) -> None:
    limited(graph, max_aliases=2)

    response = await graph.post("{ a: __typename b: __typename c: __typename }")

    assert response.status_code == 400
    assert error_codes(response) == ["ALIAS_LIMIT_EXCEEDED"]
    assert "3 aliases" in response.json()["errors"][0]["message"]


async def test_too_many_root_fields_are_refused(graph: Graph) -> None:
    limited(graph, max_root_fields=2)

    response = await graph.post(
        "{ enterprises { nextCursor } projects { nextCursor } indicators { code } }"
    )

    assert response.status_code == 400
    assert error_codes(response) == ["ROOT_FIELD_LIMIT_EXCEEDED"]
    assert graph.subgraphs.calls == []


async def test_too_costly_an_operation_is_refused_counting_declared_list_sizes(
    graph: Graph,
) -> None:
    limited(graph, max_cost=2_000, default_list_size=10)
    document = """query ($first: Int!) { enterprises(first: $first) { items {
      name indicatorValues { value indicatorCode status }
    } } }"""

    cheap = await graph.post(document, {"first": 5})
    dear = await graph.post(document, {"first": 100})

    assert cheap.status_code == 200
    assert dear.status_code == 400
    (error,) = dear.json()["errors"]
    # enrolment declares enterprises @listSize(slicingArguments: ["first"], sizedFields:
    # ["items"]); indicators declares indicatorValues @listSize(assumedSize: 100):
    # 1 (enterprises) + 1 (items) + 100 x (1 name + 1 indicatorValues + 100 x 3 fields)
    assert error["extensions"] == {"code": "COST_LIMIT_EXCEEDED", "limit": 2000, "actual": 30202}
    assert {call.variables.get("first") for call in graph.subgraphs.calls} == {5}


async def test_a_declared_cost_weighs_in_the_cost_limit(offline: Graph) -> None:
    limited(offline, max_cost=100)

    light = await offline.post("{ organisations(first: 1) { items { name } } }")
    report = await offline.post("{ programmeSummary { enterprisesTrained } }")

    # programmeSummary is declared @cost(weight: 100) by reporting: a report to compute.
    assert light.status_code == 200
    assert report.status_code == 400
    (error,) = report.json()["errors"]
    assert error["extensions"] == {"code": "COST_LIMIT_EXCEEDED", "limit": 100, "actual": 101}


async def test_batched_requests_are_refused(graph: Graph) -> None:
    batch = json.dumps([{"query": "{ __typename }"}, {"query": "{ __typename }"}])

    response = await post_raw(graph, batch)

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BATCHING_NOT_SUPPORTED"
    assert "one operation per request" in error["message"]


async def test_bad_variables_are_refused_before_any_subgraph_call(graph: Graph) -> None:
    response = await graph.post(
        "query ($first: Int!) { enterprises(first: $first) { nextCursor } }", {"first": "ten"}
    )

    assert response.status_code == 400
    assert error_codes(response) == ["BAD_USER_INPUT"]
    assert "$first" in response.json()["errors"][0]["message"]
    assert graph.subgraphs.calls == []


# --- introspection -----------------------------------------------------------------------------


async def test_introspection_needs_the_admin_scope(offline: Graph) -> None:
    document = '{ __schema { queryType { name } } t: __type(name: "Enterprise") { name } }'

    refused = await offline.post(document)
    allowed = await offline.post(document, as_=ADMIN)

    assert refused.status_code == 400
    assert error_codes(refused) == ["INTROSPECTION_DISABLED"]
    assert "admin scope" in refused.json()["errors"][0]["message"]
    assert allowed.json() == {
        "data": {"__schema": {"queryType": {"name": "Query"}}, "t": {"name": "Enterprise"}}
    }


async def test_introspection_is_open_to_everyone_when_configured(offline: Graph) -> None:
    limited(offline, introspection=True)

    response = await offline.post("{ __schema { types { name } } }")

    names = {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    assert {"Enterprise", "IndicatorValue"} <= names
    assert not names & {"_Any", "_Entity", "_Service"}


async def test_introspection_sits_beside_planned_fields(graph: Graph) -> None:
    data = await graph.data(
        '{ enterprises(first: 1) { nextCursor } t: __type(name: "Project") { name } }', as_=ADMIN
    )

    assert data["t"] == {"name": "Project"}
    assert "nextCursor" in data["enterprises"]


# --- availability and masking -----------------------------------------------------------------


async def test_a_graph_not_composed_yet_answers_503() -> None:
    async with httpx.AsyncClient(transport=Subgraphs({})) as http:
        runtime = runtime_for({"enrolment": "http://enrolment.test/graphql"}, http)
        transport = httpx.ASGITransport(app=graph_app(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            response = await client.post(
                "/graphql", json={"query": "{ __typename }"}, headers=auth()
            )

    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert error_codes(response) == ["GRAPH_NOT_READY"]


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    offline: Graph, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret: postgres://admin:hunter2@db")

    monkeypatch.setattr(executor, "check_cost", explode)

    with caplog.at_level(logging.ERROR, logger="score.gateway.graph"):
        response = await offline.post("{ __typename }", headers={"X-Request-ID": "req-7"})

    assert response.status_code == 500
    (error,) = response.json()["errors"]
    assert error == {
        "message": "Internal server error",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-7"},
    }
    assert "hunter2" not in response.text
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "req-7" in record.getMessage()
    assert getattr(record, "request_id", None) == "req-7"
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])  # the operator sees what the client does not
