"""Helpers for the GraphQL engine's tests: a tiny gateway app (the edge's job done by a
middleware that trusts a real signed identity token), subgraphs reached by host name."""

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI, Request, Response

from services.gateway.graph.limits import GraphLimits
from services.gateway.graph.router import graphql_router
from services.gateway.graph.runtime import GraphRuntime
from shared.enums import Role
from shared.identity import Principal, verify_token
from shared.observability import request_id_var
from shared.problems import Unauthenticated
from tests.enrolment.support import ILO, platform_settings, token_for

GATEWAY = Principal(subject="gateway", role=Role.service)
ADMIN = Principal(subject="ilo-admin", role=Role.ilo_global, scopes=frozenset({"admin"}))
# Mutations need the write scope (services/gateway/graph/writes.py).
WRITER = Principal(subject="ilo-writer", role=Role.ilo_global, scopes=frozenset({"read", "write"}))
GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class SubgraphCall:
    host: str
    query: str
    variables: dict[str, Any]
    operation_name: str | None
    headers: httpx.Headers

    @property
    def is_entities(self) -> bool:
        return "_entities(" in self.query

    @property
    def representations(self) -> list[dict[str, Any]]:
        return [
            item
            for name, value in self.variables.items()
            if isinstance(value, list) and name.startswith("_r")
            for item in value
        ]


@dataclass
class Subgraphs(httpx.AsyncBaseTransport):
    """Routes the gateway's subgraph requests by host to the real apps (or handlers), and
    records each one. A host in ``down`` refuses connections."""

    clients: Mapping[str, httpx.AsyncClient]
    handlers: Mapping[str, Callable[[httpx.Request], Awaitable[httpx.Response]]] = field(
        default_factory=dict
    )
    calls: list[SubgraphCall] = field(default_factory=list)
    down: set[str] = field(default_factory=set)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        body = json.loads(request.content or b"{}")
        self.calls.append(
            SubgraphCall(
                host=host,
                query=body.get("query", ""),
                variables=body.get("variables") or {},
                operation_name=body.get("operationName"),
                headers=request.headers,
            )
        )
        if host in self.down:
            raise httpx.ConnectError(f"connection refused by {host}", request=request)
        handler = self.handlers.get(host)
        if handler is not None:
            return await handler(request)
        client = self.clients.get(host)
        if client is None:
            raise httpx.ConnectError(f"no route to {host}", request=request)
        response = await client.send(request)
        return httpx.Response(
            status_code=response.status_code, headers=response.headers, content=response.content
        )

    def to(self, host: str) -> list[SubgraphCall]:
        return [call for call in self.calls if call.host == host]

    def entity_calls(self, host: str) -> list[SubgraphCall]:
        return [call for call in self.to(host) if call.is_entities]


def graph_app(runtime: GraphRuntime) -> FastAPI:
    """The router as the edge serves it: the edge middleware's work is to authenticate and
    leave the principal, the identity token and the request id on ``request.state``."""
    app = FastAPI()
    app.state.graph = runtime

    @app.middleware("http")
    async def authenticate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise Unauthenticated("no token")
            # The edge mints graph-audience tokens for /graphql (what the subgraphs accept).
            settings = platform_settings()
            request.state.principal = verify_token(
                token, settings, audience=settings.identity_graph_audience
            )
        except Unauthenticated:
            return Response(status_code=401)
        request.state.identity_token = token
        request.state.request_id = request.headers.get("x-request-id") or uuid4().hex
        # The edge also puts the request id where the log filter finds it.
        context = request_id_var.set(request.state.request_id)
        try:
            return await call_next(request)
        finally:
            request_id_var.reset(context)

    app.include_router(graphql_router())
    return app


def runtime_for(
    urls: dict[str, str],
    http: httpx.AsyncClient,
    limits: GraphLimits | None = None,
    fallback: dict[str, str] | None = None,
) -> GraphRuntime:
    return GraphRuntime(
        urls,
        http,
        limits or GraphLimits(),
        service_token=lambda: token_for(GATEWAY, graph=True),
        fallback=fallback,
    )


@dataclass
class Graph:
    """The gateway's /graphql in front of subgraphs, called as one principal at a time."""

    client: httpx.AsyncClient
    runtime: GraphRuntime
    subgraphs: Subgraphs

    async def post(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: Principal = ILO,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
        accept: str = GRAPHQL_RESPONSE,
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": document}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        return await self.client.post(
            "/graphql",
            json=body,
            headers={
                "Authorization": f"Bearer {token_for(as_, graph=True)}",
                "Accept": accept,
                **(headers or {}),
            },
        )

    async def query(
        self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The response body of a request that must be executed (200)."""
        response = await self.post(document, variables, **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The data of a request that must succeed without any error."""
        body = await self.query(document, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data
