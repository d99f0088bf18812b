"""``/graphql`` per the GraphQL-over-HTTP spec: GET (queries only) and POST, content
negotiation between application/graphql-response+json and application/json."""

import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway import wire
from services.gateway.edge import GRAPH_PATH, problem_response
from services.gateway.graph.errors import (
    INTERNAL_ERROR_CODE,
    GraphNotReady,
    MutationOverGet,
    RequestError,
)
from services.gateway.graph.executor import Forwarded
from services.gateway.graph.operation import KnownQuery
from services.gateway.graph.runtime import GraphRuntime
from services.gateway.graph.writes import MutationKey, WriteRefused
from shared.idempotency import HEADER as IDEMPOTENCY_HEADER
from shared.idempotency import REPLAY_HEADER
from shared.identity import Principal
from shared.problems import Forbidden

logger = logging.getLogger("score.gateway.graph")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ADMIN_SCOPE = "admin"
READ_SCOPE = "read"
# Admin callers may ask for the subgraph requests a query made (tests, benchmarks, tuning).
TRACE_HEADER = "x-graph-trace"


class NotAcceptable(Exception):
    """The client accepts neither media type this endpoint answers with."""


def negotiate(accept: str | None) -> str:
    """The response media type: graphql-response+json when the client prefers it, JSON
    for a missing header, ``*/*`` or ``application/*`` (what legacy clients expect)."""
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            chosen = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            chosen = JSON
        else:
            continue
        # Highest quality wins; on a tie the explicitly named graphql-response+json.
        rank = (quality, 1 if chosen == GRAPHQL_RESPONSE else 0, chosen)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None:
        raise NotAcceptable()
    return best[2]


def _render(body: dict[str, Any], status: int, media_type: str) -> Response:
    return Response(
        content=wire.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
    )


def _error_response(
    error: RequestError, media_type: str, *, headers: dict[str, str] | None = None
) -> Response:
    """A request that is not a well-formed GraphQL-over-HTTP request (or cannot be served):
    its status whatever the media type; GraphQL's own request errors come from ``execute``."""
    response = _render({"errors": [error.as_dict()]}, error.status, media_type)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _json_parameter(raw: Any, name: str) -> dict[str, Any] | None:
    """``variables`` and ``extensions``: a map or null; a JSON string in GET requests."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        return raw
    raise RequestError(
        f"The '{name}' parameter must be a map (JSON object) or null",
        "BAD_REQUEST",
    )


def _query_string_json(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RequestError(f"The '{name}' parameter is not valid JSON", "BAD_REQUEST") from exc


def _parameters(payload: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if isinstance(payload, list):
        raise RequestError(
            "Batched requests (a JSON array of operations) are not supported; "
            "send one operation per request",
            "BATCHING_NOT_SUPPORTED",
        )
    if not isinstance(payload, dict):
        raise RequestError(
            "The request body must be a JSON object with a 'query' string", "BAD_REQUEST"
        )
    query = payload.get("query")
    if query is None:
        raise RequestError("The 'query' parameter is required", "BAD_REQUEST")
    if not isinstance(query, str):
        raise RequestError("The 'query' parameter must be a string", "BAD_REQUEST")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("The 'operationName' parameter must be a string or null", "BAD_REQUEST")
    variables = _json_parameter(payload.get("variables"), "variables")
    _json_parameter(payload.get("extensions"), "extensions")
    return query, variables, operation_name


async def _read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The whole body, as ``Request.stream`` reads it (a disconnect is ``ClientDisconnect``),
    refused past ``limit`` bytes, declared or sent."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def _too_large(limit: int) -> RequestError:
    return RequestError(
        f"The request body is larger than the {limit} bytes allowed",
        "BODY_TOO_LARGE",
        status=413,
    )


def _content_type_error(content_type: str | None) -> RequestError | None:
    if not content_type:
        return RequestError(
            "A Content-Type of application/json is required", "BAD_REQUEST", status=415
        )
    media, *params = (piece.strip().lower() for piece in content_type.split(";"))
    if media != JSON:
        return RequestError(
            f"Content-Type {media} is not supported; send application/json",
            "BAD_REQUEST",
            status=415,
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return RequestError("Only utf-8 request bodies are accepted", "BAD_REQUEST", status=415)
    return None


@dataclass(slots=True)
class _Headers:
    """The request headers the answer depends on, each the first of its name (as
    ``Request.headers.get`` gives it), read in one pass over the ASGI scope."""

    accept: str | None = None
    content_type: str | None = None
    content_length: str | None = None
    idempotency_key: str | None = None
    trace: str | None = None

    @classmethod
    def of(cls, scope: Scope) -> "_Headers":
        found = cls()
        for name, value in scope["headers"]:
            attribute = _READ_HEADERS.get(name)
            if attribute is not None and getattr(found, attribute) is None:
                setattr(found, attribute, value.decode("latin-1"))
        return found


_READ_HEADERS = {
    b"accept": "accept",
    b"content-type": "content_type",
    b"content-length": "content_length",
    IDEMPOTENCY_HEADER.lower().encode("latin-1"): "idempotency_key",
    TRACE_HEADER.encode("latin-1"): "trace",
}
_CONTENT_TYPES = {
    media_type: f"{media_type}; charset=utf-8".encode("latin-1")
    for media_type in (GRAPHQL_RESPONSE, JSON)
}


@dataclass(frozen=True, slots=True)
class _Relayed:
    """A subgraph's answer passed on as it came (``Forwarded``), in the negotiated type."""

    body: bytes
    media_type: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # What Response(body, media_type=...) sends, without building one.
        headers = [
            (b"content-length", str(len(self.body)).encode("latin-1")),
            (b"content-type", _CONTENT_TYPES[self.media_type]),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


async def graphql_response(request: Request, *, get: bool) -> Response:
    """The answer to one GraphQL-over-HTTP request (GET or POST) from an admitted caller."""
    answer = await _answer(request.scope, request.receive, get=get)
    if isinstance(answer, _Relayed):
        return Response(
            content=answer.body,
            status_code=200,
            media_type=f"{answer.media_type}; charset=utf-8",
        )
    return answer


async def _answer(scope: Scope, receive: Receive, *, get: bool) -> Response | _Relayed:
    """``graphql_response`` read straight from the ASGI scope: a subgraph's answer relayed
    as it came, or a response."""
    headers = _Headers.of(scope)
    try:
        media_type = negotiate(headers.accept)
    except NotAcceptable:
        return Response(
            content=f"Acceptable: {GRAPHQL_RESPONSE}, {JSON}",
            status_code=406,
            media_type="text/plain; charset=utf-8",
        )
    state = scope.setdefault("state", {})
    request_id: str = state.get("request_id", "")
    principal: Principal = state["principal"]
    admin = ADMIN_SCOPE in principal.scopes
    trace = admin and (headers.trace or "").lower() in ("1", "true")
    known: KnownQuery | None = None
    body: bytes | None = None
    try:
        graph: GraphRuntime | None = getattr(scope["app"].state, "graph", None)
        if graph is None:
            raise GraphNotReady()
        if get:
            params = QueryParams(scope["query_string"])
            query, variables, operation_name = _parameters(
                {
                    "query": params.get("query"),
                    "variables": _query_string_json(params.get("variables"), "variables"),
                    "operationName": params.get("operationName") or None,
                    "extensions": _query_string_json(params.get("extensions"), "extensions"),
                }
            )
        else:
            problem = _content_type_error(headers.content_type)
            if problem is not None:
                return _error_response(problem, media_type)
            body = await _read_body(receive, headers.content_length, graph.limits.max_body_bytes)
            # A body met before passed every check below and was planned: it goes on as then.
            known = None if trace else graph.known_query(body)
            if known is None:
                try:
                    payload = wire.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as exc:
                    raise RequestError("The request body is not valid JSON", "BAD_REQUEST") from exc
                query, variables, operation_name = _parameters(payload)
        if get and len(query.encode("utf-8")) > graph.limits.max_body_bytes:
            raise _too_large(graph.limits.max_body_bytes)
        mutation_key = MutationKey.from_header(headers.idempotency_key)
        if known is not None:
            result = await graph.forward_known(
                known, identity_token=state["identity_token"], request_id=request_id
            )
        else:
            result = await graph.execute(
                document=query,
                variables=variables,
                operation_name=operation_name,
                identity_token=state["identity_token"],
                request_id=request_id,
                allow_introspection=graph.limits.introspection or admin,
                trace=trace,
                allow_mutation=not get,
                scopes=principal.scopes,
                mutation_key=mutation_key,
                forward_as_is=True,
                body=body,
            )
    except MutationOverGet as exc:
        return _error_response(exc.error, media_type, headers={"Allow": "POST"})
    except WriteRefused as exc:
        return _error_response(exc.error, media_type)
    except RequestError as exc:
        return _error_response(exc, media_type)
    except GraphNotReady as exc:
        error = RequestError(str(exc), "GRAPH_NOT_READY", status=503)
        return _error_response(error, media_type, headers={"Retry-After": "5"})
    except Exception:
        logger.exception("GraphQL request %s failed", request_id, extra={"request_id": request_id})
        error = RequestError(
            "Internal server error",
            INTERNAL_ERROR_CODE,
            status=500,
            extensions={"requestId": request_id},
        )
        return _error_response(error, media_type)
    if isinstance(result, Forwarded):
        # A subgraph's own answer to the whole query, which carries data: sent unread.
        return _Relayed(result.body, media_type)
    # No data: the document could not be executed (syntax, validation, variables, a
    # limit). Legacy application/json clients expect those errors with a 200.
    status = 200 if "data" in result or media_type == JSON else 400
    response = _render(result, status, media_type)
    if mutation_key is not None and mutation_key.all_replayed:
        response.headers[REPLAY_HEADER] = "true"
    return response


def lacks_read_scope() -> Forbidden:
    return Forbidden("This credential lacks the 'read' scope that GraphQL needs")


def graphql_router() -> APIRouter:
    """The documented ``/graphql`` operations. In the gateway ``GraphLane`` answers them
    first; these routes serve where no lane is installed (the same function either way)."""
    router = APIRouter(tags=["graphql"])

    @router.get("/graphql", summary="Run a GraphQL query (GraphQL over HTTP, GET)")
    async def graphql_get(request: Request) -> Response:
        return await graphql_response(request, get=True)

    @router.post("/graphql", summary="Run a GraphQL operation (GraphQL over HTTP, POST)")
    async def graphql_post(request: Request) -> Response:
        return await graphql_response(request, get=False)

    return router


@dataclass(frozen=True)
class _LaneRoute:
    """The route the lane stands for, as the edge's metrics and access log read it (its
    template), since no router matched one."""

    path: str = GRAPH_PATH


_LANE_ROUTE = _LaneRoute()


class GraphLane:
    """``GET`` and ``POST /graphql`` answered straight after the gateway's edge (request id,
    authentication, rate limit), without FastAPI's exception middleware, router and
    dependency solving.

    The graph is the gateway's busiest endpoint and the one a caller compares with calling a
    subgraph directly: those layers cost about a sixth of the gateway's time per request and
    add nothing here, since ``graphql_response`` answers every error itself. The routes
    above stay for the OpenAPI document and for other methods (405 from the router).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != GRAPH_PATH
            or scope["method"] not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        principal: Principal | None = scope.get("state", {}).get("principal")
        if principal is None:
            # Not admitted by the edge (it never lets that happen): the routes decide.
            await self.app(scope, receive, send)
            return
        scope["route"] = _LANE_ROUTE
        if READ_SCOPE not in principal.scopes:
            await problem_response(lacks_read_scope(), GRAPH_PATH)(scope, receive, send)
            return
        answer = await _answer(scope, receive, get=scope["method"] == "GET")
        await answer(scope, receive, send)
