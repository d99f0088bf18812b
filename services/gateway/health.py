"""``/healthz``: the gateway process is up. ``/readyz``: every service answers its own
readiness probe, the gateway's database answers, and the GraphQL graph is composed."""

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

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
    graph = getattr(request.app.state, "graph", None)
    if graph is not None and graph.ready:
        return {"status": "ready"}
    reason = getattr(request.app.state, "graph_error", None) or "not composed yet"
    return {"status": "unavailable", "reason": reason}


@router.get("/readyz", summary="Every service answers and the graph is composed")
async def readyz(request: Request) -> JSONResponse:
    settings: GatewaySettings = request.app.state.settings
    http: httpx.AsyncClient = request.app.state.upstream
    checks = await asyncio.gather(
        *(
            _service_status(http, name, base, settings.readiness_timeout)
            for name, base in settings.service_urls.items()
        )
    )
    services = dict(checks)
    body: dict[str, Any] = {
        "services": services,
        "database": await _database_status(request),
        "graph": _graph_status(request),
    }
    ready = (
        all(check["status"] == "ready" for check in services.values())
        and body["database"]["status"] == "ready"
        and body["graph"]["status"] == "ready"
    )
    body = {"status": "ready" if ready else "unavailable", "service": "gateway", **body}
    return JSONResponse(body, status_code=200 if ready else 503)
