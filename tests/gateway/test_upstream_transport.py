"""The gateway's own client to the services over real HTTP (aiohttp under httpx): what one
caller's exchange leaves behind never reaches the next caller's, and the services' spans
continue the gateway's trace."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import ASGIApp, Receive, Scope, Send

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


async def slow(scope: Scope, receive: Receive, send: Send) -> None:
    """A service that takes longer to answer than the gateway waits."""
    if scope["type"] == "http":
        await asyncio.sleep(5)
        await echo(scope, receive, send)


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    running = asyncio.create_task(server.serve())
    while not server.started:
        if running.done():
            running.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        await running


@pytest.fixture
async def service() -> AsyncIterator[str]:
    async with serving(echo) as url:
        yield url


@pytest.fixture
async def slow_service() -> AsyncIterator[str]:
    async with serving(slow) as url:
        yield url


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


async def test_the_graphs_whole_answer_calls_send_what_an_ordinary_post_sends(
    service: str,
) -> None:
    # The graph's subgraph calls skip httpx's request and response objects (post_whole):
    # a service cannot tell them from the client's ordinary POST.
    client = upstream_client(gateway_settings())
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
    try:
        ordinary = await client.post(
            f"{service}/graphql", content=b'{"query":"{ x }"}', headers=headers
        )
        whole = await client.post_whole(f"{service}/graphql", b'{"query":"{ x }"}', headers)
    finally:
        await client.aclose()
    assert whole.status_code == ordinary.status_code == 200
    assert whole.content_type == "application/json"
    assert whole.json() == ordinary.json()
    assert set(whole.json()) == {"host", "content-length", "content-type", "authorization"}


async def test_whole_answer_calls_fail_with_the_errors_of_any_request() -> None:
    # The graph turns these into SERVICE_UNAVAILABLE or "did not answer in time".
    client = upstream_client(gateway_settings())
    nobody = f"http://127.0.0.1:{free_port()}/graphql"
    try:
        with pytest.raises(httpx.ConnectError):
            await client.post_whole(nobody, b"{}", {})
    finally:
        await client.aclose()


async def test_a_slow_service_times_a_whole_answer_call_out(slow_service: str) -> None:
    client = upstream_client(gateway_settings(upstream_read_timeout=0.2))
    try:
        with pytest.raises(httpx.ReadTimeout):
            await client.post_whole(f"{slow_service}/graphql", b"{}", {})
    finally:
        await client.aclose()


@pytest.mark.parametrize("call", ["request", "graph call (post_whole)"])
async def test_a_service_call_continues_the_gateways_trace(
    service: str, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(
        gateway_app,
        "configure_tracing",
        lambda app, name: configure_tracing(app, name, exporter=exporter),
    )
    app = create_app(gateway_settings(), database=object())
    upstream = app.state.upstream
    try:
        with trace.get_tracer("tests").start_as_current_span("gateway request") as span:
            if call == "request":
                received = (await upstream.get(f"{service}/enterprises")).json()
            else:
                received = (await upstream.post_whole(f"{service}/graphql", b"{}", {})).json()
    finally:
        await upstream.aclose()
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert received["traceparent"].split("-")[1] == trace_id
