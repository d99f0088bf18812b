"""``/healthz``: the gateway process is up. ``/readyz``: the gateway can serve: its graph is
loaded and its database (API keys) answers. Each service's readiness and each subgraph's
state are reported too, but not required: one service down must not take the one entry
point out of the load balancer (its routes and fields answer 503 and errors meanwhile)."""

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.gateway.graph.runtime import GraphRuntime
from services.gateway.settings import GatewaySettings

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The gateway process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "service": "gateway"}


async def _service_status(
    http: httpx.AsyncClient, name: str, base: str, wait: float
) -> tuple[str, dict[str, Any]]:
    try:
        response = await http.get(f"{base}/readyz", timeout=wait)
    except httpx.TimeoutException:
        return name, {"status": "unavailable", "reason": f"no answer within {wait:g} s"}
    except httpx.TransportError as exc:
        return name, {"status": "unavailable", "reason": f"unreachable: {type(exc).__name__}"}
    if response.status_code != 200:
        return name, {"status": "unavailable", "reason": f"readyz answered {response.status_code}"}
    return name, {"status": "ready"}


async def _database_status(request: Request) -> dict[str, Any]:
    database = getattr(request.app.state, "database", None)
    if database is None:
        return {"status": "unavailable", "reason": "not started"}
    try:
        async with database.sessions() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure, it never raises
        return {"status": "unavailable", "reason": str(exc)}
    return {"status": "ready"}


def _graph_status(request: Request) -> dict[str, Any]:
    graph: GraphRuntime | None = getattr(request.app.state, "graph", None)
    if graph is None:
        return {"status": "unavailable", "reason": "not started"}
    return graph.status()


@router.get("/readyz", summary="The gateway can serve (graph loaded, key store reachable)")
async def readyz(request: Request) -> JSONResponse:
    settings: GatewaySettings = request.app.state.settings
    http: httpx.AsyncClient = request.app.state.upstream
    checks = await asyncio.gather(
        *(
            _service_status(http, name, base, settings.readiness_timeout)
            for name, base in settings.service_urls.items()
        )
    )
    body: dict[str, Any] = {
        "database": await _database_status(request),
        "graph": _graph_status(request),
        "services": dict(checks),
    }
    ready = body["database"]["status"] == "ready" and body["graph"]["status"] == "ready"
    body = {"status": "ready" if ready else "unavailable", "service": "gateway", **body}
    return JSONResponse(body, status_code=200 if ready else 503)
