"""The merged OpenAPI tells the truth: every operation documents the problems it may answer,
in the shape the platform sends, and a service that is still starting is named as missing
and picked up on the next request instead of silently lacking."""

from typing import Any

import httpx

from tests.enrolment.support import Api
from tests.gateway.conftest import Gateway

PROBLEM = "application/problem+json"


def _operation(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"][path][method]
    return operation


async def test_a_service_still_starting_is_named_and_picked_up_on_the_next_request(
    gateway: Gateway, reporting_api: Api
) -> None:
    partial = await gateway.client.get("/openapi.json")
    assert partial.headers["cache-control"] == "no-store"
    assert int(partial.headers["retry-after"]) > 0
    document = partial.json()
    assert document["info"]["x-score-unavailable-services"] == ["reporting"]
    assert "reporting" in document["info"]["description"]
    assert not any(path.startswith("/reporting/") for path in document["paths"])

    # The service comes up: the next request describes it, without a restart.
    clients = gateway.upstreams.clients
    assert isinstance(clients, dict)
    clients["reporting.test"] = reporting_api.client
    complete = await gateway.client.get("/openapi.json")
    assert "cache-control" not in complete.headers
    document = complete.json()
    assert "x-score-unavailable-services" not in document["info"]
    assert "/reporting/impact" in document["paths"]


async def test_every_operation_documents_problems_in_the_shape_sent(gateway: Gateway) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in str(document["components"]["schemas"])
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path in ("/healthz", "/readyz"):
                continue
            responses = operation["responses"]
            gateway_statuses = ("401", "403", "429", "502", "503", "504")
            for status in gateway_statuses:
                assert status in responses, f"{method} {path} lacks {status}"
            for status, response in responses.items():
                # GraphQL over HTTP answers its own errors once the gateway let it run.
                graphql = path.endswith("/graphql") and status not in gateway_statuses
                if status.startswith(("4", "5")) and not path.endswith("/readyz") and not graphql:
                    assert set(response["content"]) == {PROBLEM}, f"{method} {path} {status}"
    batches = _operation(document, "/indicators/values/batches", "post")
    # A route's own description of a status is kept, with the problem schema filled in.
    assert "All or nothing" in batches["responses"]["422"]["description"]
    assert batches["responses"]["422"]["content"][PROBLEM]["schema"]["$ref"].endswith("Problem")
    assert "Retry-After" in batches["responses"]["503"]["headers"]
    assert {"Idempotency-Key"} <= {p["name"] for p in batches["parameters"]}


async def test_the_documented_validation_problem_is_the_one_sent(gateway: Gateway) -> None:
    document = (await gateway.client.get("/openapi.json")).json()
    schema_ref = _operation(document, "/enrolment/enterprises", "post")["responses"]["422"]
    ref = schema_ref["content"][PROBLEM]["schema"]["$ref"].split("/")[-1]
    schema = document["components"]["schemas"][ref]
    from tests.gateway.support import key_headers, make_key

    key = await make_key(gateway.session)
    response = await gateway.client.post(
        "/enrolment/enterprises", json={"name": 5}, headers=key_headers(key)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(schema["required"]) <= set(body)
    error = body["errors"][0]
    assert set(schema["properties"]["errors"]["items"]["required"]) <= set(error)
    assert isinstance(response, httpx.Response)
