"""The gateway's transport to the services: httpx's client interface (per-request timeouts,
streamed bodies, the error types the proxy and the graph turn into 502 and 504, ASGI
transports in tests) over aiohttp's connection pool and C-accelerated HTTP parser.

httpx's own pool (httpcore, h11, anyio) was the largest part of the gateway's CPU time per
request (benchmarks.profile_layers); this transport costs about a third of it. httpx stays
the gateway's client everywhere else: only the transport under it changes, and
``UpstreamClient`` leaves out the parts of httpx's request path the gateway never uses.
The proxy's and the graph's own calls skip httpx's request and response objects altogether
(``send_streamed``, ``post_whole``) and send what httpx would have sent.
"""

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

import aiohttp
import httpx
from yarl import URL

from services.gateway import wire


@contextmanager
def _as_httpx_errors(request: httpx.Request | Callable[[], httpx.Request]) -> Iterator[None]:
    """aiohttp's failures as the httpx errors the gateway tells apart: a connection that
    could not be made (nothing was sent: safe to send again, else 502), one lost mid-exchange
    (sent again only when that is safe, else 502) and a service too slow to answer (504).
    ``request`` may be a function making it: a request that succeeds never needs one."""
    try:
        yield
    except (aiohttp.ClientError, TimeoutError) as exc:
        made = request if isinstance(request, httpx.Request) else request()
        raise _httpx_error(exc, made) from exc


def _httpx_error(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc), request=request)
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return httpx.ReadTimeout(str(exc) or "timed out", request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(exc), request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        # Hung up before answering, or answered something that is not HTTP.
        return httpx.RemoteProtocolError(str(exc), request=request)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(str(exc), request=request)
    return httpx.TransportError(str(exc), request=request)


@lru_cache(maxsize=64)
def _client_timeout(
    pool: float | None, connect: float | None, read: float | None
) -> aiohttp.ClientTimeout:
    """httpx's timeouts as aiohttp's: waiting for a pooled connection, making one, reading
    (None: no limit)."""
    return aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect, sock_read=read)


@dataclass(frozen=True, slots=True)
class WholeAnswer:
    """A service's answer read to its end: what the graph needs of it."""

    status_code: int
    content_type: str
    content: bytes

    @classmethod
    def of(cls, response: httpx.Response) -> "WholeAnswer":
        return cls(response.status_code, response.headers.get("content-type", ""), response.content)

    def json(self) -> Any:
        return wire.loads(self.content)


# What the proxy sends a service: nothing, the whole (small) body, or the body as it arrives.
Content: TypeAlias = bytes | AsyncIterable[bytes] | None
RawHeaders: TypeAlias = Sequence[tuple[bytes, bytes]]


class StreamedAnswer(ABC):
    """A service's answer whose status and headers have arrived, its body still to come,
    whichever client fetched it. Reading the body fails with httpx's errors, as any
    request's failures do."""

    status_code: int
    # As the service sent them: names in their own case, repeated ones repeated.
    raw_headers: RawHeaders

    def header(self, name: bytes) -> str | None:
        """``name``'s values (lowercase) joined with ", ", as httpx's headers give them."""
        values = [value.decode("latin-1") for key, value in self.raw_headers if key.lower() == name]
        return ", ".join(values) if values else None

    @abstractmethod
    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as it arrives, as sent (a compressed one compressed)."""

    async def read(self) -> bytes:
        """The whole body, as sent; the connection is free again once it is read."""
        return b"".join([chunk async for chunk in self.aiter_raw()])

    @abstractmethod
    async def aclose(self) -> None:
        """Give the connection back (or close it, if the body was not read to its end)."""


class _HttpxAnswer(StreamedAnswer):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.raw_headers = response.headers.raw

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def aclose(self) -> None:
        await self.response.aclose()


class _AiohttpAnswer(StreamedAnswer):
    def __init__(
        self, response: aiohttp.ClientResponse, request: Callable[[], httpx.Request]
    ) -> None:
        self.response = response
        self.request = request
        self.status_code = response.status
        self.raw_headers = response.raw_headers

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self.request):
            async for chunk in self.response.content.iter_any():
                yield chunk

    async def read(self) -> bytes:
        with _as_httpx_errors(self.request):
            return await self.response.read()

    async def aclose(self) -> None:
        # As _ResponseBody.aclose: read to its end, the connection goes back to the pool.
        self.response.release()


class _ResponseBody(httpx.AsyncByteStream):
    """The service's body as it arrives (exports and feeds are not held in memory)."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self.response = response
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self.request):
            async for chunk in self.response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # A body read to its end gives the connection back to the pool; one abandoned
        # part-way leaves aiohttp's pool closing it (its protocol says it should close).
        self.response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One keep-alive pool for every service; the aiohttp session is made on first use,
    inside the event loop that serves the gateway."""

    def __init__(self, *, max_connections: int, keepalive_expiry: float) -> None:
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                limit_per_host=0,
                keepalive_timeout=self.keepalive_expiry or None,
                force_close=self.keepalive_expiry == 0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Cookies a service sets belong to the client that got them, never to the
                # next caller on a shared connection pool.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Bodies pass through as the service encoded them (the proxy sends them
                # with the service's Content-Encoding and Content-Length).
                auto_decompress=False,
                trust_env=False,
                # A service hears the caller's own headers (and the gateway's), not the
                # library's defaults: an Accept-Encoding the caller never sent would have
                # a service compress an answer the caller cannot read.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = request.headers.multi_items()
        data: bytes | httpx.AsyncByteStream | None
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            # A streamed upload: aiohttp chunks it itself when no length is given.
            data = request.stream  # type: ignore[assignment]
            headers = [(name, value) for name, value in headers if name != "transfer-encoding"]
        with _as_httpx_errors(request):
            response = await self._client().request(
                request.method,
                # Encoded: the path and query go as the client sent them, byte for byte.
                URL(str(request.url), encoded=True),
                headers=headers,
                data=data,
                allow_redirects=False,
                compress=False,
                timeout=_client_timeout(
                    timeout.get("pool"), timeout.get("connect"), timeout.get("read")
                ),
            )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_ResponseBody(response, request),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1"),
            },
        )

    async def send_streamed(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        data: Content,
        limits: httpx.Timeout,
        request: Callable[[], httpx.Request],
    ) -> StreamedAnswer:
        """An answer with no httpx request or response made (UpstreamClient.send_streamed)."""
        with _as_httpx_errors(request):
            response = await self._client().request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=data,
                allow_redirects=False,
                compress=False,
                timeout=_client_timeout(limits.pool, limits.connect, limits.read),
            )
        return _AiohttpAnswer(response, request)

    async def post_whole(
        self, url: str, content: bytes, headers: Mapping[str, str], limits: httpx.Timeout
    ) -> WholeAnswer:
        """A POST whose answer is wanted whole, with no httpx request or response made
        (UpstreamClient.post_whole). Failures are the same httpx errors as any request's."""
        with _as_httpx_errors(lambda: httpx.Request("POST", url, headers=headers)):
            async with self._client().post(
                URL(url, encoded=True),
                data=content,
                headers=headers,
                allow_redirects=False,
                compress=False,
                timeout=_client_timeout(limits.pool, limits.connect, limits.read),
            ) as response:
                body = await response.read()
        return WholeAnswer(response.status, response.headers.get("Content-Type", ""), body)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def send_streamed(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: RawHeaders,
    content: Content,
    limits: httpx.Timeout,
) -> StreamedAnswer:
    """``http``'s answer to one request, its body not read yet: the proxy's calls."""
    if isinstance(http, UpstreamClient):
        return await http.send_streamed(
            method, url, headers=headers, content=content, limits=limits
        )
    return await _stream_with_httpx(
        http, method, url, headers=headers, content=content, limits=limits
    )


async def _stream_with_httpx(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: RawHeaders,
    content: Content,
    limits: httpx.Timeout,
) -> StreamedAnswer:
    request = http.build_request(method, url, headers=headers, content=content, timeout=limits)
    return _HttpxAnswer(await http.send(request, stream=True))


# httpx's Content-Length for a POST, PUT or PATCH that carries no body.
_EMPTY_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@lru_cache(maxsize=256)
def _netloc(origin: str) -> str:
    """The Host header httpx sends to ``origin`` ("scheme://authority")."""
    return httpx.URL(origin).netloc.decode("ascii")


def _httpx_request_headers(
    url: str, headers: RawHeaders, content: Content, method: str
) -> list[tuple[str, str]]:
    """The headers httpx would hand its transport for this request (httpx.Request): Host and
    an empty body's Content-Length first, then ``headers`` (names in lowercase) and the
    body's Content-Length or chunking, every value decoded as httpx decodes it (UTF-8 when
    all are, else Latin-1)."""
    raw = [(name.lower(), value) for name, value in headers]
    names = {name for name, _ in raw}
    if isinstance(content, bytes) or content is None:
        if content and b"content-length" not in names:
            raw.append((b"content-length", str(len(content)).encode("ascii")))
            names.add(b"content-length")
    elif b"content-length" not in names and b"transfer-encoding" not in names:
        raw.append((b"transfer-encoding", b"chunked"))
        names.add(b"transfer-encoding")
    automatic = []
    if b"host" not in names:
        scheme_end = url.find("//") + 2
        path_start = url.find("/", scheme_end)
        origin = url if path_start < 0 else url[:path_start]
        automatic.append((b"host", _netloc(origin).encode("ascii")))
    if (
        method in _EMPTY_BODY_METHODS
        and b"content-length" not in names
        and b"transfer-encoding" not in names
    ):
        automatic.append((b"content-length", b"0"))
    raw = automatic + raw
    try:
        return [(name.decode(), value.decode()) for name, value in raw]
    except UnicodeDecodeError:
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]


class UpstreamClient(httpx.AsyncClient):
    """httpx's client, minus what the gateway's calls to its services never use: the
    client's default headers, cookies, auth, redirects and the log line per request.

    Measured on the sequential path (one caller, 6 kB answers), httpx's client around the
    transport cost more CPU than the exchange itself: merging and parsing the URL again,
    reading every answer's Set-Cookie into a jar, the auth and redirect generators. Here a
    request goes from its arguments to the transport (the same instance, so tracing's
    instrumentation of it still continues the caller's trace) and back. Anything asking
    for those parts (params, cookies, auth, following redirects) takes httpx's own path.
    """

    def __init__(self, *, transport: httpx.AsyncBaseTransport, **options: Any) -> None:
        super().__init__(transport=transport, **options)
        self._upstream = transport
        # Tracing instruments httpx's transport: a traced client keeps every call on it, so
        # the services' spans continue the caller's trace (app.py clears this then).
        self.direct_calls = True

    async def send_streamed(
        self,
        method: str,
        url: str,
        *,
        headers: RawHeaders,
        content: Content,
        limits: httpx.Timeout,
    ) -> StreamedAnswer:
        """The answer to one request, its body not read yet: the proxy's calls.

        ``url`` is absolute and already as httpx writes it (the proxy's ``upstream_target``).
        On the aiohttp transport no httpx request or response is made: the service receives
        the same request line, headers and body an httpx request would have given it, and
        failures are the same httpx errors."""
        if not (self.direct_calls and isinstance(self._upstream, AiohttpTransport)):
            return await _stream_with_httpx(
                self, method, url, headers=headers, content=content, limits=limits
            )
        sent = _httpx_request_headers(url, headers, content, method)
        if content is not None and not isinstance(content, bytes):
            # A streamed upload: aiohttp chunks it itself when no length is given.
            sent = [(name, value) for name, value in sent if name != "transfer-encoding"]

        def failed_request() -> httpx.Request:
            return httpx.Request(method, url, headers=sent)

        return await self._upstream.send_streamed(
            method, url, sent, content or None, limits, failed_request
        )

    async def post_whole(self, url: str, content: bytes, headers: Mapping[str, str]) -> WholeAnswer:
        """POST ``content`` and read the answer to its end: the graph's subgraph calls.

        On the aiohttp transport this makes no httpx request or response at all (about a
        tenth of the gateway's time on a passed-through query); otherwise, or when traced,
        it is an ordinary ``post``."""
        if self.direct_calls and isinstance(self._upstream, AiohttpTransport):
            return await self._upstream.post_whole(url, content, headers, self.timeout)
        return WholeAnswer.of(await self.post(url, content=content, headers=headers))

    def build_request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: Any = None,
    ) -> httpx.Request:
        if data is not None or files is not None or params is not None or cookies is not None:
            return super().build_request(
                method, url, content=content, data=data, files=files, json=json, params=params,
                headers=headers, cookies=cookies, timeout=timeout, extensions=extensions,
            )  # fmt: skip
        limits = self.timeout if timeout is httpx.USE_CLIENT_DEFAULT else httpx.Timeout(timeout)
        return httpx.Request(
            method,
            url,
            content=content,
            json=json,
            headers=headers,
            extensions={"timeout": limits.as_dict(), **(extensions or {})},
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        stream: bool = False,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> httpx.Response:
        if auth is not httpx.USE_CLIENT_DEFAULT or follow_redirects is True:
            return await super().send(
                request, stream=stream, auth=auth, follow_redirects=follow_redirects
            )
        response = await self._upstream.handle_async_request(request)
        response.request = request
        if not stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response
