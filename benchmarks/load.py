"""What the HTTP benchmarks share: a caller sending requests one after another (latency) or
from several workers at once (throughput), GraphQL over HTTP, and the identity token a
caller reaching a service directly presents."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from benchmarks.processes import Platform
from shared.enums import Role
from shared.identity import Principal

Call = Callable[[httpx.AsyncClient], Awaitable[None]]

# One caller sending as fast as it can: the gateway's rate limit lifted.
UNLIMITED_GATEWAY = {
    "SCORE_GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
    "SCORE_GATEWAY_RATE_LIMIT_BURST": "1000000",
}


def direct_headers(platform: Platform, *, graph: bool = False) -> dict[str, str]:
    """An ILO-global identity token, as the gateway signs one, for calling a service (``graph``:
    its subgraph) directly; valid long enough for a whole benchmark run."""
    principal = Principal(subject="benchmark", role=Role.ilo_global)
    return platform.identity_headers(principal, graph=graph, ttl_seconds=3600)


async def graphql(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        url, json={"query": query, "variables": variables}, headers=headers
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body


def graphql_request(
    headers: dict[str, str], query: str, **variables: Any
) -> tuple[dict[str, str], bytes]:
    """The headers and body of a GraphQL request, encoded once for ``graphql_ok``."""
    body = json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()
    return headers | {"content-type": "application/json"}, body


async def graphql_ok(
    client: httpx.AsyncClient, url: str, request: tuple[dict[str, str], bytes]
) -> None:
    """``graphql`` for measuring: the body sent as encoded once, and the answer checked about
    as cheaply as a REST call's status (a REST measurement parses no JSON either). Still
    loud on errors: an answer holding "errors" anywhere is parsed, and fails if it has any."""
    headers, body = request
    response = await client.post(url, content=body, headers=headers)
    response.raise_for_status()
    if b'"errors"' in response.content and json.loads(response.content).get("errors"):
        raise RuntimeError(response.text)


async def latencies(call: Call, requests: int) -> list[float]:
    """Seconds per call, one call at a time, after ten to warm connections, caches and plans."""
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(10):
            await call(client)
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            await call(client)
            samples.append(time.perf_counter() - started)
    return samples


async def throughput(call: Call, requests: int, concurrency: int) -> float:
    """Calls per second with ``concurrency`` calls in flight."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await call(client)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)
