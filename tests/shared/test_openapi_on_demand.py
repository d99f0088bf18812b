"""A service builds its OpenAPI document when first asked for it, not at start-up (a quarter
to a third of a second of CPU per service at every start of the platform), and builds it off
the event loop: the service's other requests are not queued behind it. What the document's
building used to do first, FastAPI's request handling of every route, is still built at
start-up: the first request after readiness does not pay for it."""

import asyncio
import threading
from typing import Any

import fastapi.routing
import httpx
import pytest

from services.enrolment.app import create_app
from shared import openapi, service_app
from shared.db import Database


@pytest.fixture
def logging_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's start-up configures the process's logging: not the test process's."""
    monkeypatch.setattr(service_app, "configure_logging", lambda service: None)


def test_starting_does_not_build_the_document(
    enrolment_database: Database, logging_left_alone: None
) -> None:
    app = create_app(database=enrolment_database)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0)  # whatever the start-up scheduled gets to run

    # asyncio.run returns once every thread its loop started has finished.
    asyncio.run(start_and_stop())

    assert app.openapi_schema is None


def test_the_first_request_builds_the_complete_document_off_the_event_loop(
    enrolment_database: Database, logging_left_alone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(database=enrolment_database)
    completed_in: list[int] = []
    complete = openapi.complete_document

    def recorded(document: dict[str, Any]) -> dict[str, Any]:
        completed_in.append(threading.get_ident())
        return complete(document)

    monkeypatch.setattr(openapi, "complete_document", recorded)

    async def ask_twice() -> tuple[int, list[dict[str, Any]]]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
                answers = [(await client.get("/openapi.json")).json() for _ in range(2)]
        return threading.get_ident(), answers

    loop_thread, answers = asyncio.run(ask_twice())

    assert len(completed_in) == 1  # built once, kept
    assert completed_in[0] != loop_thread
    assert answers[0] == answers[1] == app.openapi()
    assert "Problem" in answers[0]["components"]["schemas"]
    assert "/enterprises" in answers[0]["paths"]


def test_a_first_request_after_start_up_finds_its_route_built(
    enrolment_database: Database, logging_left_alone: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(database=enrolment_database)
    built: list[str] = []
    populate = fastapi.routing._populate_api_route_state

    def recorded(route: Any, path: str, *args: Any, **kwargs: Any) -> None:
        built.append(path)
        populate(route, path, *args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "_populate_api_route_state", recorded)

    async def start_then_ask() -> tuple[list[str], int]:
        async with app.router.lifespan_context(app):
            at_start = list(built)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
                # The last router: routing reaches it through every other one.
                status = (await client.get("/programme-events")).status_code
        return at_start, status

    at_start, status = asyncio.run(start_then_ask())

    assert status == 401  # routed to its route, which asks for credentials
    assert "/enterprises" in at_start
    assert built == at_start  # nothing more built by the request
