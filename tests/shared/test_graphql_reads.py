"""A subgraph request whose document only queries runs each statement on its own, as a REST
route marked ``reads_only`` does; a document with a mutation keeps the request's transaction,
and the connection goes back to the pool as it came."""

from typing import Any

import httpx
import pydantic_core
import pytest
import strawberry
from fastapi import FastAPI
from sqlalchemy import text

import shared.graphql
from shared.db import Database, SessionDep
from shared.enums import Role
from shared.graphql import SubgraphContext, subgraph_router, subgraph_schema
from shared.identity import Principal

# Two statements apart in time: their transactions' start times differ unless one
# transaction holds both.
TWO_STATEMENTS = ("SELECT now()", "SELECT pg_sleep(0.001)", "SELECT now()")


async def _one_transaction(info: strawberry.Info[SubgraphContext, None]) -> bool:
    async with info.context.database() as session:
        starts = [await session.scalar(text(statement)) for statement in TWO_STATEMENTS]
    return bool(starts[0] == starts[2])


@strawberry.type
class Query:
    one_transaction: bool = strawberry.field(resolver=_one_transaction)


@strawberry.type
class Mutation:
    one_transaction: bool = strawberry.field(resolver=_one_transaction)


async def _context(session: SessionDep) -> SubgraphContext:
    return SubgraphContext(
        principal=Principal(subject="analyst", role=Role.ilo_global), session=session
    )


def app_over(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database
    schema = subgraph_schema(Query, mutation=Mutation)
    app.include_router(subgraph_router(schema, _context, reads_only_queries=True))
    return app


QUERY = "query Read { oneTransaction }"
MUTATION = "mutation Write { oneTransaction }"


async def test_a_query_runs_its_statements_without_a_transaction_and_a_mutation_in_one(
    enrolment_database: Database,
) -> None:
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def one_transaction(document: str, operation: str | None = None) -> bool:
            body = {"query": document, "operationName": operation}
            response = await client.post("/graphql", json=body)
            data = response.raise_for_status().json()["data"]
            return bool(data["oneTransaction"])

        answers = [
            await one_transaction(QUERY),
            await one_transaction(MUTATION),
            await one_transaction(QUERY),
            # A document that also holds a mutation is not judged by the operation it names.
            await one_transaction(f"{QUERY}\n{MUTATION}", "Read"),
            await one_transaction(f"{QUERY}\n{MUTATION}", "Write"),
        ]
        got = await client.get("/graphql", params={"query": QUERY})
        over_get = got.raise_for_status().json()["data"]["oneTransaction"]
    assert answers == [False, True, False, True, True]
    assert over_get is False


async def test_a_query_that_fails_to_parse_is_answered_with_the_parse_error(
    enrolment_database: Database,
) -> None:
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/graphql", json={"query": "query { oneTransaction"})
    [error] = response.json()["errors"]
    assert error["message"].startswith("Syntax Error")


async def test_a_body_that_is_not_json_is_answered_400_as_strawberry_answers_it(
    enrolment_database: Database,
) -> None:
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql",
            content=b'{"query": "{ oneTransaction',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"


async def test_a_body_that_is_json_but_not_an_object_is_answered_400(
    enrolment_database: Database,
) -> None:
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for body in (b'"{ oneTransaction }"', b"42", b"null", b"true"):
            response = await client.post(
                "/graphql", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 400, body
            assert response.text == "The request body must be a JSON object", body


async def test_a_known_querys_body_is_parsed_once_for_its_session_and_its_answer(
    enrolment_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[bytes] = []
    from_json = pydantic_core.from_json

    def counted(data: bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append(data)
        return from_json(data, *args, **kwargs)

    monkeypatch.setattr(shared.graphql, "from_json", counted)
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = []
        for _ in range(2):  # the second by the direct path: the document is known by then
            parsed.clear()
            response = await client.post("/graphql", json={"query": QUERY})
            answers.append(response.raise_for_status().json())
    assert answers == [{"data": {"oneTransaction": False}}] * 2
    # Judged a query (its statements run without a transaction) and answered: one parse.
    assert len(parsed) == 1
