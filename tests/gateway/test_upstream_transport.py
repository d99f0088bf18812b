"""The gateway's own client to the services over real HTTP (aiohttp under httpx): what one
caller's exchange leaves behind never reaches the next caller's, and the services' spans
continue the gateway's trace."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import Receive, Scope, Send

from benchmarks.processes import free_port
from services.gateway import app as gateway_app
from services.gateway.app import create_app, upstream_client
from shared.observability import configure_tracing
from tests.gateway.support import gateway_settings


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """A service that answers with the headers it received, and hands out a cookie."""
    if scope["type"] != "http":
        return
    received = {name.decode(): value.decode() for name, value in scope["headers"]}
    body = json.dumps(received).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"set-cookie", b"session=first-callers; Path=/"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def service() -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(echo, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


async def test_a_cookie_a_service_set_for_one_caller_never_rides_with_the_next(
    service: str,
) -> None:
    client = upstream_client(gateway_settings())
    try:
        first = await client.get(f"{service}/enterprises")
        assert first.headers["set-cookie"].startswith("session=")  # the first caller's
        second: dict[str, Any] = (await client.get(f"{service}/enterprises")).json()
    finally:
        await client.aclose()
    assert "cookie" not in second


async def test_a_service_receives_only_the_headers_the_gateway_sends(service: str) -> None:
    # No client library defaults (user agent, accepted encodings) slipped in: the proxy
    # forwards the caller's own, and a service compressing for a caller who never asked
    # would send that caller bytes it cannot read.
    client = upstream_client(gateway_settings())
    try:
        received: dict[str, Any] = (
            await client.get(f"{service}/enterprises", headers={"x-request-id": "r-1"})
        ).json()
        posted: dict[str, Any] = (
            await client.post(f"{service}/graphql", json={"query": "{ x }"})
        ).json()
    finally:
        await client.aclose()
    assert set(received) == {"host", "x-request-id"}
    assert set(posted) == {"host", "content-length", "content-type"}
    assert posted["content-type"] == "application/json"


async def test_a_service_call_continues_the_gateways_trace(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(
        gateway_app,
        "configure_tracing",
        lambda app, name: configure_tracing(app, name, exporter=exporter),
    )
    app = create_app(gateway_settings(), database=object())
    try:
        with trace.get_tracer("tests").start_as_current_span("gateway request") as span:
            received = (await app.state.upstream.get(f"{service}/enterprises")).json()
    finally:
        await app.state.upstream.aclose()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert received["traceparent"].split("-")[1] == trace_id
