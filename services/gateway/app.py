"""The gateway: the platform's one entry point. Authenticates callers (API keys, OpenID
Connect), limits their rate, routes REST to the owning service, serves the composed GraphQL
graph, and describes it all in one OpenAPI document."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.gateway.auth.authenticator import Authenticator
from services.gateway.auth.oidc import OidcVerifier
from services.gateway.auth.ratelimit import (
    CallerLimiter,
    SharedRateLimiter,
    TokenBucketLimiter,
    lease_size,
)
from services.gateway.edge import JWKS_PATH, EdgeMiddleware
from services.gateway.graph.router import READ_SCOPE, GraphLane, graphql_router, lacks_read_scope
from services.gateway.graph.runtime import ARTEFACT, GraphRuntime, read_artefact
from services.gateway.health import router as health_router
from services.gateway.openapi import MergedOpenApi, openapi_router
from services.gateway.proxy import ProxyLane, StreamedUploads, proxy_router
from services.gateway.settings import GatewaySettings
from services.gateway.transport import AiohttpTransport, UpstreamClient
from shared.db import Database, resolve_database_url
from shared.enums import Role
from shared.identity import Principal, issue_token
from shared.keys import jwks_document
from shared.observability import (
    REQUEST_ID_HEADER,
    configure_logging,
    configure_tracing,
    metrics_response,
)
from shared.openapi import complete_document
from shared.problems import install_problem_handlers
from shared.stopping import StopEvent, set_on_stop_signals

log = logging.getLogger("score.gateway")

# How the gateway itself appears to the services (fetching subgraph schemas).
GATEWAY_PRINCIPAL = Principal(subject="gateway", role=Role.service)

DESCRIPTION = """The SCORE platform's one entry point.

* REST: `/{service}/...` reaches that service (`/enrolment/enterprises`,
  `/indicators/values`, `/reporting/...`).
* GraphQL: `/graphql` serves one graph composed from every service.
* Authentication: an API key (`X-API-Key: score_...` or `Authorization: Bearer score_...`)
  or an access token from the platform's OpenID Connect issuer.
* Errors are RFC 9457 problem details; every answer carries `X-Request-ID`.
"""


def upstream_client(settings: GatewaySettings) -> UpstreamClient:
    return UpstreamClient(
        timeout=httpx.Timeout(
            connect=settings.upstream_connect_timeout,
            read=settings.upstream_read_timeout,
            write=settings.upstream_read_timeout,
            pool=settings.upstream_connect_timeout,
        ),
        # The services are on the gateway's own network: no proxies from the environment,
        # and a redirect is the client's to follow, not the gateway's.
        trust_env=False,
        follow_redirects=False,
        # A cookie a service sets is for the caller who got it: a jar that keeps none, so
        # none rides along with the next caller's request.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        transport=AiohttpTransport(
            max_connections=settings.upstream_max_connections,
            keepalive_expiry=settings.upstream_keepalive_expiry,
        ),
    )


def gateway_graph_token(settings: GatewaySettings) -> str:
    """The gateway's own token for its subgraphs (fetching their SDL): graph audience."""
    return issue_token(
        GATEWAY_PRINCIPAL,
        settings.identity_signing_key,
        settings.platform,
        audience=settings.platform.identity_graph_audience,
        ttl_seconds=settings.forwarded_token_ttl,
    )


async def require_read_scope(request: Request) -> None:
    # Async: FastAPI runs a plain function dependency on a worker thread, a hop per request.
    principal: Principal = request.state.principal
    if READ_SCOPE not in principal.scopes:
        raise lacks_read_scope()


def graph_runtime(settings: GatewaySettings, http: httpx.AsyncClient) -> GraphRuntime:
    """The graph over the configured subgraphs, falling back on the committed artefact (or
    the configured file) for those that do not answer on a cold start."""
    return GraphRuntime(
        settings.subgraph_urls,
        http,
        settings.graphql,
        service_token=lambda: gateway_graph_token(settings),
        fallback=read_artefact(settings.graph_fallback_file or ARTEFACT),
        schema_timeout=settings.graph_schema_timeout,
    )


def caller_limiter(settings: GatewaySettings, database: Callable[[], Any]) -> CallerLimiter:
    """Rate limits shared by every replica through the database, or this process's own."""
    if not settings.shared_rate_limits:
        return TokenBucketLimiter(
            rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
        )
    return SharedRateLimiter(
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
        database=database,
        lease=settings.rate_limit_lease
        or lease_size(settings.rate_limit_per_second, settings.rate_limit_burst),
    )


def create_app(
    settings: GatewaySettings | None = None,
    database: Database | Any | None = None,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The gateway app. ``database`` and ``http`` are given by tests; otherwise the database
    is resolved at start-up and the HTTP clients are the gateway's own."""
    settings = settings or GatewaySettings()
    upstream = http or upstream_client(settings)
    # The identity provider is outside the platform: its client may need the environment's
    # proxy settings and follows its redirects.
    identity_http = http or httpx.AsyncClient(
        timeout=httpx.Timeout(settings.upstream_connect_timeout * 2)
    )
    owned_clients = [] if http is not None else [upstream, identity_http]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.configure_logging:
            configure_logging("gateway")
        owned_database = None
        if app.state.database is None:
            owned_database = Database(await resolve_database_url(settings))
            app.state.database = owned_database
        graph = graph_runtime(settings, upstream)
        app.state.graph = graph
        # Set as the server begins to stop (SIGTERM, a deploy): long polls and exports still
        # waiting for their service then answer 503 in time, not a 500 at the cut (proxy.py).
        app.state.stopping = StopEvent()
        app.state.graceful_seconds = set_on_stop_signals(app.state.stopping)
        # Composed at once (from the artefact for subgraphs not up yet), then kept current.
        composing = asyncio.create_task(graph.keep_current(settings.graph_poll_interval))
        try:
            yield
        finally:
            composing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await composing
            for client in owned_clients:
                await client.aclose()
            if owned_database is not None:
                await owned_database.dispose()

    app = FastAPI(
        title="SCORE platform",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=None,  # the merged document below replaces FastAPI's own
        docs_url=None,
        redoc_url=None,
        # The gateway's traces come from OpenTelemetry's FastAPI instrumentation
        # (configure_tracing), which turns FastAPI's native telemetry off for the request
        # anyway; without it no provider is configured. Off here, so no request pays its
        # check of the global providers (three environment lookups, ~3% of a request).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.upstream = upstream
    app.state.streamed_uploads = StreamedUploads(settings.upstream_max_streamed_uploads)
    app.state.graph = None
    app.state.stopping = None
    app.state.graceful_seconds = None
    install_problem_handlers(app)

    app.include_router(health_router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()

    @app.get(
        JWKS_PATH,
        tags=["health"],
        summary="The public keys of the identity tokens the gateway signs (JWKS)",
    )
    async def jwks() -> dict[str, list[dict[str, str]]]:
        # The signing key and, during a rotation, the others the services still accept.
        keys = [
            settings.identity_signing_key.public,
            *settings.platform.identity_public_keys.values(),
        ]
        return jwks_document(keys)

    app.include_router(openapi_router())
    app.include_router(graphql_router(), dependencies=[Depends(require_read_scope)])
    app.include_router(proxy_router(settings.service_urls))

    own_document: dict[str, Any] = {}

    def gateway_document() -> dict[str, Any]:
        if not own_document:
            own_document.update(
                complete_document(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        description=app.description,
                        routes=app.routes,
                    )
                )
            )
        return own_document

    app.state.openapi = MergedOpenApi(
        service_urls=settings.service_urls,
        http=upstream,
        gateway_document=gateway_document,
        ttl=settings.openapi_cache_ttl,
        # A service builds its document on first request: a loaded machine needs seconds.
        timeout=settings.upstream_read_timeout,
    )

    oidc = OidcVerifier(settings, identity_http) if settings.oidc_issuer is not None else None
    app.state.oidc = oidc
    app.state.limiter = TokenBucketLimiter(
        rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    app.state.caller_limiter = caller_limiter(settings, lambda: app.state.database)
    app.state.authenticator = Authenticator(settings, lambda: app.state.database, oidc)
    # Inside the edge: /graphql and the services' REST paths are answered right after
    # admission (graph/router.py, proxy.py).
    app.add_middleware(ProxyLane, services=settings.service_urls)
    app.add_middleware(GraphLane)
    app.add_middleware(
        EdgeMiddleware,
        settings=settings,
        authenticator=app.state.authenticator,
        limiter=app.state.limiter,
        callers=app.state.caller_limiter,
    )
    if settings.cors_origins:
        # Outermost, so preflights are answered before authentication and every answer,
        # errors included, carries the CORS headers.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-API-Key",
                settings.request_id_header,
                "Idempotency-Key",
                "Accept",
            ],
            expose_headers=[
                settings.request_id_header,
                REQUEST_ID_HEADER,
                "Retry-After",
                "Location",
            ],
            max_age=600,
        )
    if settings.trusted_proxies:
        # Outermost: the client address every later part sees (the failed-key limit, logs,
        # X-Forwarded-For to the services) is taken from a trusted proxy's header only.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    if configure_tracing(app, "gateway") and http is None:
        # The global httpx instrumentation wraps httpx's own transport only: the services'
        # spans continue the gateway's trace (traceparent) through this one too.
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(upstream)
        if isinstance(upstream, UpstreamClient):
            upstream.direct_calls = False
    return app
