"""What every service app has: settings, database, problem details, health, event feed."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from shared.db import DATABASE_RETRY_AFTER, Database, SessionDep, resolve_database_url
from shared.fastapi_params import remember_parameter_facts
from shared.idempotency import idempotency_guard, install_idempotency
from shared.identity import CurrentPrincipal
from shared.observability import (
    ObservabilityMiddleware,
    configure_logging,
    configure_tracing,
    metrics_response,
)
from shared.openapi import document_common_responses
from shared.outbox import ChangeLog, event_feed_router
from shared.problems import install_problem_handlers
from shared.request_guard import RequestGuard, strict_json_body
from shared.settings import ServiceSettings
from shared.stopping import set_on_stop_signals

BackgroundWork = Callable[[FastAPI, asyncio.Event], Coroutine[Any, Any, None]]


async def route_guard(request: Request, _: CurrentPrincipal, session: SessionDep) -> None:
    """Dependency of every REST route: it authenticates first, then refuses loosely typed
    JSON and honours Idempotency-Key on writes: one mechanism for all, nothing a route has to
    remember. One dependency rather than three: FastAPI solves each dependency's own ones
    again wherever it is declared, so the fewer the cheaper a request (benchmarks.layers)."""
    await strict_json_body(request)
    await idempotency_guard(request, session)


def create_service_app(
    *,
    title: str,
    description: str,
    settings: ServiceSettings,
    changes: ChangeLog,
    routers: Sequence[APIRouter],
    subgraph: APIRouter | None = None,
    database: Database | None = None,
    extra_setup: Callable[[FastAPI], None] | None = None,
    background: Sequence[BackgroundWork] = (),
) -> FastAPI:
    """Build a service app. ``database`` is given by tests; otherwise resolved at start-up.

    ``subgraph`` is the service's GraphQL endpoint: it authenticates the gateway with its own
    graph-audience dependency, so it is mounted without the REST routes' guards but the
    Idempotency-Key one.
    ``background`` work (event consumers) runs for the app's lifetime once the database is
    ready, and is asked to stop (then cancelled) at shutdown.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name)
        owned = None
        if getattr(app.state, "database", None) is None:
            owned = Database(await resolve_database_url(settings))
            app.state.database = owned
        # FastAPI builds a router's request handling (dependencies, fields) on the first
        # request routed through it, and the OpenAPI document, built when first asked for
        # (shared.openapi), no longer does it first: built here, so a first request after
        # readiness is not the one that pays (up to 70 ms for a late enrolment route).
        # Iterating is what builds them: FastAPI caches each context as it yields it.
        for _ in iter_route_contexts(app.routes):
            pass
        # Set as the server begins to stop (SIGTERM): long polls answer at once (shared.feeds).
        app.state.stopping = asyncio.Event()
        set_on_stop_signals(app.state.stopping)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(work(app, stop)) for work in background]
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owned is not None:
                await owned.dispose()

    remember_parameter_facts()
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    install_problem_handlers(app, forwarded=True)

    @app.get("/healthz", tags=["health"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", tags=["health"], summary="The database answers")
    async def readyz() -> Any:
        try:
            async with app.state.database.sessions() as session:
                await session.execute(text("SELECT 1"))
        except Exception as exc:  # readiness reports any failure, it never raises
            return JSONResponse(
                {"status": "unavailable", "reason": str(exc) or type(exc).__name__},
                status_code=503,
                headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
            )
        return {"status": "ready", "service": settings.service_name}

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    if subgraph is not None:
        # Mutations honour Idempotency-Key as REST writes do (the gateway forwards it).
        # Before the REST routes: a request is matched against the routes in order, and
        # /graphql after a service's hundred REST routes cost a tenth of a millisecond.
        app.include_router(subgraph, dependencies=[Depends(idempotency_guard)])
    guards = [Depends(route_guard)]
    for router in routers:
        app.include_router(router, dependencies=guards)
    app.include_router(
        event_feed_router(changes, service=settings.service_name, max_wait=settings.feed_max_wait)
    )
    if extra_setup is not None:
        extra_setup(app)
    document_common_responses(app)
    install_idempotency(app, changes.plumbing.idempotency)
    app.add_middleware(RequestGuard)
    app.add_middleware(ObservabilityMiddleware, service=settings.service_name)
    configure_tracing(app, settings.service_name)
    return app
