"""REST routing: ``/{service}/{path}`` goes to that service's ``/{path}``, bodies streamed
both ways, hop-by-hop and client identity headers dropped, the gateway's identity token and
request id added. A service that is down answers 502, one that is too slow 504.

Event feeds (``/{service}/events``) are for the platform's services, which reach each other
directly; through the gateway only ILO-global callers get them, everyone else a 404 (the
services answer the same, so nothing about the feed's existence leaks).
"""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias
from urllib.parse import quote, unquote, unquote_to_bytes

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.edge import GRAPH_PATH, problem_response
from services.gateway.problems import (
    BadGateway,
    GatewayRestarting,
    GatewayTimeout,
    PayloadTooLarge,
    UploadsBusy,
)
from services.gateway.settings import GatewaySettings
from services.gateway.transport import StreamedAnswer, send_streamed
from shared.enums import Role
from shared.identity import Principal
from shared.observability import REQUEST_ID_HEADER
from shared.problems import Forbidden, NotFound, Problem
from shared.stopping import StopEvent

log = logging.getLogger("score.gateway.proxy")

# RFC 9110 section 7.6.1, plus the de facto Proxy-Connection and Keep-Alive.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Whatever a client says about who it is, or where it came from, is the gateway's to say.
CLIENT_IDENTITY = frozenset(
    {
        "authorization",
        "x-api-key",
        "x-identity",
        "x-principal",
        "x-user",
        "x-forwarded-user",
        "x-remote-user",
        "remote-user",
        "x-authenticated-user",
        "cookie",
        "forwarded",
        "x-real-ip",
    }
)
CLIENT_IDENTITY_PREFIXES = ("x-score-", "x-forwarded-", "x-auth-")
# The receiving server sets its own; the gateway sets the request id once, itself.
RESPONSE_OWN = frozenset({"server", "date", REQUEST_ID_HEADER.lower()})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]


@lru_cache(maxsize=8)
def _never_forwarded(request_id_header: str) -> frozenset[str]:
    """Request headers that never reach a service, whatever the Connection header adds:
    hop-by-hop ones, the client's claims about who it is, and those the gateway sets itself
    (the request id, under both names, and Host)."""
    own = {request_id_header.lower(), REQUEST_ID_HEADER.lower(), "host"}
    return HOP_BY_HOP | CLIENT_IDENTITY | own


class _HeaderNames:
    """Which header names pass a filter (by their lowercase form: not among ``dropped``, no
    dropped prefix) and which is Location, worked out once per name as it arrives: the
    clients' and the services' names are nearly always the same few."""

    KEEP, DROP, LOCATION = 0, 1, 2

    def __init__(self, dropped: frozenset[str], prefixes: tuple[str, ...] = ()) -> None:
        self.dropped = dropped
        self.prefixes = prefixes
        self._verdicts: dict[bytes, int] = {}

    def verdict(self, name: bytes) -> int:
        verdict = self._verdicts.get(name)
        if verdict is None:
            lowered = name.decode("latin-1").lower()
            if lowered in self.dropped or lowered.startswith(self.prefixes):
                verdict = self.DROP
            else:
                verdict = self.LOCATION if lowered == "location" else self.KEEP
            if len(self._verdicts) < 1024:  # names a client makes up are not all kept
                self._verdicts[name] = verdict
        return verdict


@lru_cache(maxsize=8)
def _request_names(request_id_header: str) -> _HeaderNames:
    return _HeaderNames(_never_forwarded(request_id_header), CLIENT_IDENTITY_PREFIXES)


_RESPONSE_NAMES = _HeaderNames(HOP_BY_HOP | RESPONSE_OWN)
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode("latin-1")


@lru_cache(maxsize=64)
def _forwarded_prefix(service: str) -> tuple[bytes, bytes]:
    return (b"x-forwarded-prefix", f"/{service}".encode("latin-1"))


def _declared(value: bytes) -> set[str]:
    """The header names a Connection header's value declares hop-by-hop."""
    return {token.strip().lower() for token in value.decode("latin-1").split(",") if token}


def upstream_headers(
    request: Request, *, service: str, settings: GatewaySettings
) -> list[tuple[bytes, bytes]]:
    """The client's headers a service may hear (in their order), then the gateway's own:
    the identity token, the request id and where the request came from."""
    scope = request.scope
    names = _request_names(settings.request_id_header)
    kept = []
    declared: set[str] | None = None
    host: bytes | None = None
    for name, value in scope["headers"]:
        if names.verdict(name) != _HeaderNames.DROP:
            kept.append((name, value))
        elif name == b"host":
            if host is None:
                host = value  # the first, as request.headers.get("host") reads it
        elif name.lower() == b"connection":
            declared = (declared or set()) | _declared(value)
    if declared and not declared <= names.dropped:
        # Only a name not dropped already can be among those kept ("keep-alive", which
        # nearly every client declares, never is): no pass over them for it.
        kept = [
            (name, value) for name, value in kept if name.decode("latin-1").lower() not in declared
        ]
    client = scope.get("client")
    state = scope["state"]
    kept += (
        (b"authorization", b"Bearer " + state["identity_token"].encode("latin-1")),
        (_REQUEST_ID_NAME, state["request_id"].encode("latin-1")),
        (b"x-forwarded-for", (client[0] if client else "unknown").encode("latin-1")),
        (b"x-forwarded-proto", _url_parts(request)[1].encode("latin-1")),
        (b"x-forwarded-host", host or b""),
        _forwarded_prefix(service),
    )
    return kept


def answer_headers(
    headers: Iterable[tuple[bytes, bytes]], base: str, service: str
) -> list[tuple[bytes, bytes]]:
    """A service's answer headers as the client gets them: hop-by-hop ones and those the
    gateway sets itself dropped, a redirect to the service rewritten to the gateway."""
    kept = []
    declared: set[str] | None = None
    for name, value in headers:
        verdict = _RESPONSE_NAMES.verdict(name)
        if verdict == _HeaderNames.KEEP:
            kept.append((name, value))
        elif verdict == _HeaderNames.LOCATION:
            kept.append((name, rewrite_location(value, base, service)))
        elif name.lower() == b"connection":
            declared = (declared or set()) | _declared(value)
    if declared and not declared <= _RESPONSE_NAMES.dropped:
        kept = [
            (name, value) for name, value in kept if name.decode("latin-1").lower() not in declared
        ]
    return kept


# Characters that Starlette's request.url changes or drops in a path (urlsplit drops
# tabs and line breaks; "?", "#" and "\\" are escaped).
_URL_CHANGES = re.compile(r"[?#\\\t\r\n]")


def _url_parts(request: Request) -> tuple[str, str]:
    """``request.url.path`` and ``request.url.scheme``, read from the scope where that gives
    the same (it does for any request a server sends): the URL object costs a parse."""
    scope = request.scope
    path: str = scope["path"]
    if scope.get("server") is None or path.startswith("//") or _URL_CHANGES.search(path):
        url = request.url
        return url.path, url.scheme
    return path, scope.get("scheme", "http")


# The path and query characters httpx's URL keeps as they are (RFC 3986 with the WHATWG's
# leniencies): a target made of these alone needs no URL object to be written as httpx writes it.
_PLAIN_PATH = re.compile(rb"[!$%&'()*+,\-./0-9:;=@A-Z\[\\\]^_a-z|~]*")
_PLAIN_QUERY = re.compile(rb"[!$%&'()*+,\-./0-9:;=?@A-Z\[\\\]^_`a-z{|}~]*")


@lru_cache(maxsize=64)
def _plain_base(base: str) -> str | None:
    """``base`` as httpx writes it, ready for a plain path to be appended; None for a base
    that httpx would rewrite together with the path (a query, credentials, dot segments)."""
    url = httpx.URL(base)
    path = url.raw_path.rstrip(b"/")
    if url.query or url.fragment or url.userinfo or b"/." in path:
        return None
    written = f"{url.scheme}://{url.netloc.decode('ascii')}{path.decode('ascii')}"
    if str(url.copy_with(raw_path=path + b"/x?y")) != f"{written}/x?y":
        return None
    return written


def _service_rest(request: Request, service: str) -> bytes:
    """The client's raw path after its first segment, which names ``service`` (from the
    decoded path): "/enterprises" of "/enrolment/enterprises" and of "/%65nrolment/enterprises"
    alike. A first segment that only decodes to more than the name ("/enrolment%2Fenterprises"
    is the one segment "enrolment/enterprises") names no service: 404."""
    raw_path: bytes = request.scope.get("raw_path") or quote(request.scope["path"]).encode()
    # Some servers (and httpx's ASGI transport) put the query in raw_path; ASGI does not.
    raw_path = raw_path.split(b"?", 1)[0]
    name = service.encode("ascii")
    rest = raw_path[len(name) + 1 :]
    if rest[:1] == b"/" and raw_path.startswith(name, 1):
        return rest  # nearly every request: the name as it is
    first, slash, rest = raw_path[1:].partition(b"/")
    if slash and unquote_to_bytes(first) == name:
        return slash + rest
    raise NotFound(
        f"No service named {unquote(first.decode('latin-1'))!r}: "
        "a service's name is the path's first segment, unencoded"
    )


def upstream_target(request: Request, base: str, service: str) -> str:
    """``str(upstream_url(...))``, written directly when the client's path and query are
    made of characters httpx leaves alone (nearly every request): parsing the base and the
    target into URL objects was a sixth of the proxy's time per request."""
    written = _plain_base(base)
    if written is not None:
        rest = _service_rest(request, service)
        query: bytes = request.scope.get("query_string", b"")
        if b"/." not in rest and _PLAIN_PATH.fullmatch(rest) and _PLAIN_QUERY.fullmatch(query):
            target = written + rest.decode("ascii")
            return f"{target}?{query.decode('ascii')}" if query else target
    return str(upstream_url(request, base, service))


def upstream_url(request: Request, base: str, service: str) -> httpx.URL:
    """The service URL for the request, with the client's path and query byte for byte."""
    rest = _service_rest(request, service)
    base_url = httpx.URL(base)
    query: bytes = request.scope.get("query_string", b"")
    target = base_url.raw_path.rstrip(b"/") + rest
    return base_url.copy_with(raw_path=target + (b"?" + query if query else b""))


def rewrite_location(value: bytes, base: str, service: str) -> bytes:
    """A redirect to the service itself, as the client must follow it: through the gateway.
    The service's own address never reaches the client."""
    location = value.decode("latin-1")
    if location.startswith(base + "/") or location == base:
        location = location[len(base) :] or "/"
    if location.startswith("/") and not location.startswith("//"):
        return f"/{service}{location}".encode("latin-1")
    return value


def _body_headers(request: Request) -> tuple[str | None, bool]:
    """The first Content-Length (as ``request.headers.get`` gives it) and whether any
    Transfer-Encoding was sent, in one pass over the scope's headers."""
    length: bytes | None = None
    chunked = False
    for name, value in request.scope["headers"]:
        if name == b"content-length":
            if length is None:
                length = value
        elif name == b"transfer-encoding":
            chunked = True
    return (None if length is None else length.decode("latin-1")), chunked


OPERATOR_ONLY = frozenset({"metrics"})
# Each service's subgraph endpoint is the gateway's own: the one public graph is /graphql,
# with its limits; a subgraph reached over REST would skip them (and answer 401 anyway).
GATEWAY_ONLY = frozenset({"graphql"})


def check_access(principal: Principal, method: str, path: str) -> None:
    segments = path.split("/")
    # Dot segments could walk a path past the checks below once something normalises it.
    if any(segment in (".", "..") for segment in segments):
        raise NotFound("No such resource")
    first = next((segment for segment in segments if segment), "")
    if first in OPERATOR_ONLY or first in GATEWAY_ONLY:
        # Metrics and probes are for the operator's network, subgraphs for the gateway's
        # graph; never for callers.
        raise NotFound("No such resource")
    if first == "events" and principal.role is not Role.ilo_global:
        raise NotFound("No such resource")
    needed = "read" if method in SAFE_METHODS else "write"
    if needed not in principal.scopes:
        raise Forbidden(
            f"This credential's scopes ({', '.join(sorted(principal.scopes)) or 'none'}) "
            f"do not allow {method}; it needs the '{needed}' scope",
        )


async def forward(request: Request, service: str, path: str) -> Response:
    """The service's answer to the client's request for ``/{service}/{path}``, for a
    service the gateway knows."""
    settings: GatewaySettings = request.app.state.settings
    method = request.method
    check_access(request.state.principal, method, path)
    base = settings.services[service].rstrip("/")  # settings.service_urls[service]
    http: httpx.AsyncClient = request.app.state.upstream
    body = await _body(request)
    gateway_path = _url_parts(request)[0]
    sending = _send(
        http,
        request,
        service=service,
        content=body,
        url=upstream_target(request, base, service),
        headers=upstream_headers(request, service=service, settings=settings),
        limits=_limits(
            settings.upstream_timeout(method, gateway_path),
            settings.upstream_connect_timeout,
        ),
    )
    if method == "GET" and not isinstance(body, _RequestBody) and settings.is_bulk(gateway_path):
        # A long poll or an export: may take long, so the caller may leave first, or the
        # gateway may begin to stop.
        upstream = await _awaited(request, sending)
    elif isinstance(body, _RequestBody):
        uploads: StreamedUploads = request.app.state.streamed_uploads
        with uploads.slot(sending):
            upstream = await sending
    else:
        upstream = await sending
    if isinstance(body, _RequestBody) and body.too_large is not None:
        # The service answered a broken upload (in-process apps do); the client's answer
        # is still the 413.
        await upstream.aclose()
        raise body.too_large
    headers = answer_headers(upstream.raw_headers, base, service)
    if _small(upstream):
        # Read whole and sent in one message: streaming costs a task per response (and a
        # send per chunk), most of the gateway's time on a small answer.
        return _Whole(await _read(upstream, service), upstream.status_code, headers)
    response = StreamingResponse(
        _relay(upstream, service),
        status_code=upstream.status_code,
        background=BackgroundTask(upstream.aclose),
    )
    response.raw_headers = headers
    return response


# Seconds a caller is asked to wait when every upload slot is taken.
UPLOADS_RETRY_AFTER = 1


class StreamedUploads:
    """How many uploads the gateway streams to the services at once, at most ``limit``.

    A streamed upload holds one of the pool's connections (``upstream_max_connections``)
    for as long as its sender takes: a sender trickling a byte now and then held it for
    good, and a few hundred such senders (any tenant with a write scope, within its rate
    limit) took the whole pool: every other caller waited for a connection and got a 504
    from a healthy service. Bodies read whole first (up to ``REPLAYABLE_BODY_BYTES``) hold
    a connection only once they are in, and are not counted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.streaming = 0

    @contextmanager
    def slot(self, sending: Coroutine[Any, Any, Any]) -> Iterator[None]:
        """Held while the upload is sent; a 503 if all are taken (``sending`` is then closed
        unstarted)."""
        if self.streaming >= self.limit:
            sending.close()
            raise UploadsBusy(
                f"The gateway is streaming {self.limit} uploads already; retry in "
                f"{UPLOADS_RETRY_AFTER} s",
                retry_after=UPLOADS_RETRY_AFTER,
            )
        self.streaming += 1
        try:
            yield
        finally:
            self.streaming -= 1


class _Whole(Response):
    """A service's answer read whole, sent as ``Response`` sends it: its status, the
    headers the client may see (the service's Content-Length among them) and its body.
    Made without ``Response``'s rendering and header set-up, which these headers replace."""

    def __init__(self, body: bytes, status_code: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.body = body
        self.status_code = status_code
        self.raw_headers = headers
        self.background = None


@lru_cache(maxsize=16)
def _limits(read: float, connect: float) -> httpx.Timeout:
    """A request's limits: the settings give a handful, made once each (read, never changed)."""
    return httpx.Timeout(read, connect=connect, pool=connect)


PROXY_PATH = "/{service}/{path:path}"


def proxy_router(services: Iterable[str]) -> APIRouter:
    """The proxy's route. In the gateway ``ProxyLane`` answers the known services' paths
    first; the route answers the rest (an unknown service's 404, methods it does not take)."""
    router = APIRouter()
    known = frozenset(services)

    @router.api_route(PROXY_PATH, methods=METHODS, include_in_schema=False)
    async def proxied(request: Request, service: str, path: str) -> Response:
        if service not in known:
            if f"/{service}" == GRAPH_PATH:
                # "/graphql/" or "/graphql/...": the graph is one path, without a slash.
                raise NotFound(f"The GraphQL endpoint is {GRAPH_PATH}, without a trailing path")
            raise NotFound(
                f"No service named {service!r}; the services are {', '.join(sorted(known))}"
            )
        return await forward(request, service, path)

    return router


@dataclass(frozen=True)
class _LaneRoute:
    """The route the lane stands for, as the edge's metrics and access log read it."""

    path: str = PROXY_PATH


_LANE_ROUTE = _LaneRoute()


class ProxyLane:
    """``/{service}/...`` for a known service answered straight after the gateway's edge
    (request id, authentication, rate limit), without FastAPI's exception middleware, router
    and request wrapper: on a small answer those cost about as much as the proxying itself.
    Problems become the same problem+json answers the gateway's handlers give.

    Whatever the method: only the service knows which ones its path answers, so a TRACE or a
    PROPFIND gets the service's 405 with the path's own Allow (the proxy route's would list
    every method the gateway forwards, OPTIONS and PUT included, wherever it was asked)."""

    def __init__(self, app: ASGIApp, *, services: Iterable[str]) -> None:
        self.app = app
        self.known = frozenset(services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        service, slash, path = scope["path"][1:].partition("/")
        if not slash or service not in self.known or "principal" not in scope.get("state", {}):
            await self.app(scope, receive, send)
            return
        scope["route"] = _LANE_ROUTE
        scope["path_params"] = {"service": service, "path": path}
        request = Request(scope, receive)
        response: Response
        try:
            response = await forward(request, service, path)
        except Problem as problem:
            response = problem_response(problem, request.url.path)
        await response(scope, receive, send)


# Bodies up to this size are read before they are sent, so a request can be sent again.
REPLAYABLE_BODY_BYTES = 1024 * 1024
# Methods that may be sent twice (RFC 9110 section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# What a pooled connection that the service had already closed fails with.
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)

Content: TypeAlias = "bytes | _RequestBody | None"


async def _body(request: Request) -> Content:
    length, chunked = _body_headers(request)
    if not ((length is not None and length != "0") or chunked):
        return None
    if length is not None and length.isdigit() and int(length) <= REPLAYABLE_BODY_BYTES:
        return await request.body()
    return _RequestBody(request)


def _may_retry(exc: Exception, request: Request, content: Content) -> bool:
    """Whether a failed attempt can be sent again without risking a second effect.

    A connection that could not be made carried nothing: any request goes again. A pooled
    connection that the service had closed (it answered a 500 and hung up, its keep-alive
    ran out as the request left) may or may not have delivered it: only a request that is
    safe to repeat goes again, one of an idempotent method or carrying an Idempotency-Key.
    """
    replayable = not isinstance(content, _RequestBody) or not content.started
    if not replayable:
        return False
    if isinstance(exc, httpx.ConnectError):
        return True
    if isinstance(exc, STALE_CONNECTION):
        return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers
    return False


async def _send(
    http: httpx.AsyncClient,
    request: Request,
    *,
    service: str,
    content: Content,
    url: str,
    headers: list[tuple[bytes, bytes]],
    limits: httpx.Timeout,
) -> StreamedAnswer:
    """The service's answer (streamed); at most one more attempt when it is safe."""
    for attempt in (1, 2):
        try:
            return await send_streamed(
                http, request.method, url, headers=headers, content=content, limits=limits
            )
        except Exception as exc:
            # However the aborted upload surfaced, the client's answer is the 413.
            if isinstance(content, _RequestBody) and content.too_large is not None:
                raise content.too_large from None
            if attempt == 1 and _may_retry(exc, request, content):
                log.info("%s: sending again after %r", service, exc)
                continue
            if isinstance(exc, httpx.TimeoutException):
                log.warning("%s timed out: %s", service, exc)
                raise GatewayTimeout(
                    f"The {service} service did not answer in time", service=service
                ) from exc
            if isinstance(exc, httpx.TransportError):
                log.warning("%s unreachable: %r", service, exc)
                raise BadGateway(f"The {service} service is unreachable", service=service) from exc
            raise
    raise AssertionError("unreachable")  # pragma: no cover


# What a stopping gateway keeps of its graceful period to answer in: past the period, uvicorn
# cuts a request off (a bare 500, and a traceback in the log).
STOP_MARGIN_SECONDS = 0.5
# Retry-After of the 503 a stopping gateway answers: its replacement (or another replica)
# is expected to serve within moments.
RESTART_RETRY_AFTER = 1


async def _awaited(request: Request, sending: Awaitable[StreamedAnswer]) -> StreamedAnswer:
    """The service's answer to a GET that may take long (a long poll, an export), unless
    first:

    - the caller hangs up: ``ClientDisconnect`` is raised;
    - the gateway begins to stop (SIGTERM, a deploy): a long poll, which waits for events
      that may never come, at once; anything else once its graceful period is nearly over.
      ``GatewayRestarting`` (503, Retry-After) is raised: both used to be cut off at the
      end of that period, as a bare 500 with a traceback in the log.

    Either way the request to the service is cancelled (its connection closed, which the
    service sees as its caller leaving: a long poll stops waiting, an export stops being
    made for nobody). Only for requests whose body (if any) has been read whole: their
    ``receive`` has nothing left to give but the disconnect."""
    state = request.app.state
    answer = asyncio.ensure_future(sending)
    left = asyncio.ensure_future(_caller_left(request))
    stopping: StopEvent | None = state.stopping
    stopped = None if stopping is None else asyncio.ensure_future(stopping.wait())
    watched = {answer, left} if stopped is None else {answer, left, stopped}
    try:
        done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        waiting = answer not in done and left not in done
        if waiting and stopping is not None and not _long_poll(request):
            # The gateway is stopping: the answer gets what is left of the graceful period.
            done, _ = await asyncio.wait(
                (answer, left),
                timeout=_drain_seconds(stopping, state.graceful_seconds),
                return_when=asyncio.FIRST_COMPLETED,
            )
    except BaseException:  # this request cancelled: none may outlive it
        for watch in watched:
            watch.cancel()
        raise
    if stopped is not None:
        stopped.cancel()
    if answer in done:
        left.cancel()
        return answer.result()  # the answer (or its failure) came first
    answer.cancel()
    await asyncio.wait((answer,))  # the cancelled request has let go of its connection
    if not answer.cancelled() and answer.exception() is None:
        await answer.result().aclose()  # answered all the same: its connection goes back
    if left in done:
        left.result()  # whatever else ended the watch, raised as it is
        raise ClientDisconnect()
    left.cancel()
    raise GatewayRestarting(
        "The gateway is restarting: ask again in a moment (a long poll with the same cursor)",
        retry_after=RESTART_RETRY_AFTER,
    )


def _long_poll(request: Request) -> bool:
    """Whether the request is a feed's long poll: its ``wait`` (seconds to wait for an event
    when none is there, on every feed) is positive."""
    wait = request.query_params.get("wait")
    try:
        return wait is not None and float(wait) > 0
    except ValueError:
        return False  # the service refuses it at once (422)


def _drain_seconds(stopping: StopEvent, graceful: float | None) -> float | None:
    """How long a stopping gateway still waits for an answer: until just before uvicorn's
    graceful period ends (``None``: uvicorn waits without limit, and so does it). The period
    runs from the stop: a request that comes to wait later (its body, or its authentication,
    was slow) gets what is left of it, not a period of its own that uvicorn would cut off."""
    if graceful is None:
        return None
    return max(graceful - STOP_MARGIN_SECONDS - stopping.seconds_since(), 0.0)


async def _caller_left(request: Request) -> None:
    """Returns once the client's connection has closed."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


class UploadAborted(Exception):
    """Ends an upload to a service when the client's body passed the gateway's limit."""


class _RequestBody:
    """The client's body as it arrives, stopped (and remembered why) at the size limit."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.too_large: PayloadTooLarge | None = None
        self.started = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        try:
            async for chunk in self.request.stream():
                yield chunk
        except PayloadTooLarge as exc:
            self.too_large = exc
            # Not the problem itself: the service's side must see a broken upload, not an
            # error of its own to answer.
            raise UploadAborted(str(exc)) from exc


# Answers up to this size (declared by Content-Length) are read whole before they are sent;
# larger ones, and those of unknown length (exports, feeds), are streamed as they come.
BUFFERED_RESPONSE_BYTES = 256 * 1024


def _small(upstream: StreamedAnswer) -> bool:
    length = upstream.header(b"content-length")
    return length is not None and length.isdigit() and int(length) <= BUFFERED_RESPONSE_BYTES


async def _read(upstream: StreamedAnswer, service: str) -> bytes:
    """The whole (small) body, raw: a compressed one as it came, matching its Content-Length.
    A service that breaks off before the end is still the gateway's to answer: 502 or 504."""
    try:
        return await upstream.read()
    except httpx.TimeoutException as exc:
        log.warning("%s timed out sending its answer: %s", service, exc)
        raise GatewayTimeout(
            f"The {service} service did not answer in time", service=service
        ) from exc
    except httpx.HTTPError as exc:
        log.warning("%s broke off its response: %r", service, exc)
        raise BadGateway(f"The {service} service is unreachable", service=service) from exc
    finally:
        await upstream.aclose()


async def _relay(upstream: StreamedAnswer, service: str) -> AsyncIterator[bytes]:
    try:
        # Raw: a compressed body passes through as it came, matching its Content-Length.
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        # Too late for a 502/504: the status is sent. Dropping the connection tells the
        # client the body is incomplete instead of leaving it waiting.
        log.warning("%s broke off its response: %s", service, exc)
        raise
    finally:
        await upstream.aclose()
