"""The proxy's own path to the services over real HTTP: straight onto aiohttp, with no httpx
request or response made. A service cannot tell it from httpx's path (the same request
line, headers in the same order, the same body), and a caller gets the same answers:
streamed uploads and answers, the body limit, redirects through the gateway, hop-by-hop
headers stopped."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from services.gateway.app import create_app
from services.gateway.proxy import upstream_target, upstream_url
from services.gateway.transport import AiohttpTransport, UpstreamClient
from tests.conftest import SessionSource
from tests.gateway.support import gateway_settings, key_headers, make_key
from tests.gateway.test_upstream_transport import serving

LARGE = b"x" * (300 * 1024)  # above the size the proxy reads whole
UPLOAD = b"y" * (1024 * 1024 + 10)  # above the size the proxy reads before sending


@dataclass
class Heard:
    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class Service:
    """A service that answers by path and remembers every request as it arrived."""

    base: str = ""
    heard: list[Heard] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        query = scope["query_string"]
        target = scope["raw_path"] + (b"?" + query if query else b"")
        self.heard.append(Heard(scope["method"], target, list(scope["headers"]), body))
        path = scope["path"]
        if path == "/large":
            await self._answer(send, 200, [(b"content-type", b"text/plain")], LARGE)
        elif path == "/unsized":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for _ in range(3):
                await send({"type": "http.response.body", "body": LARGE, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/moved":
            location = f"{self.base}/elsewhere?a=1".encode()
            await self._answer(send, 307, [(b"location", location)], b"")
        else:
            headers = [
                (b"content-type", b"application/json"),
                (b"set-cookie", b"session=one; Path=/"),
                (b"x-end-to-end", b"kept"),
                (b"keep-alive", b"timeout=5"),
            ]
            answer = json.dumps({"received": len(body)}).encode()
            await self._answer(send, 201 if scope["method"] == "POST" else 200, headers, answer)

    @staticmethod
    async def _answer(send: Send, status: int, headers: list[Any], body: bytes) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    heard = Service()
    async with serving(heard) as url:
        heard.base = url
        yield heard


@dataclass
class Gateways:
    direct: httpx.AsyncClient
    through_httpx: httpx.AsyncClient
    transports: dict[str, list[httpx.Request]]
    key: str


@asynccontextmanager
async def gateway_client(
    app: FastAPI, calls: list[httpx.Request]
) -> AsyncIterator[httpx.AsyncClient]:
    upstream = app.state.upstream
    assert isinstance(upstream, UpstreamClient)
    transport = upstream._transport
    assert isinstance(transport, AiohttpTransport)
    handle = transport.handle_async_request

    async def counted(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return await handle(request)

    transport.handle_async_request = counted  # type: ignore[method-assign]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
            base_url="http://gateway.test",
            timeout=30,
        ) as client:
            yield client
    finally:
        await upstream.aclose()


@pytest.fixture
async def gateways(gateway_session: AsyncSession, service: Service) -> AsyncIterator[Gateways]:
    """Two gateways in front of ``service`` with the gateway's own client to it: one as
    deployed, one sending every proxied request through httpx's request and response."""
    settings = gateway_settings(
        services={"svc": service.base}, subgraphs={"svc": f"{service.base}/graphql"}
    )
    direct = create_app(settings, database=SessionSource(gateway_session))
    through_httpx = create_app(settings, database=SessionSource(gateway_session))
    through_httpx.state.upstream.direct_calls = False
    key = await make_key(gateway_session)
    calls: dict[str, list[httpx.Request]] = {"direct": [], "httpx": []}
    async with (
        gateway_client(direct, calls["direct"]) as direct_client,
        gateway_client(through_httpx, calls["httpx"]) as httpx_client,
    ):
        yield Gateways(direct_client, httpx_client, calls, key)


def _comparable(heard: Heard) -> Heard:
    """What a service heard, less what differs between two gateways by design: the
    identity token each signs (its time) and the port each connects from."""
    headers = [
        (name, b"Bearer <token>" if name == b"authorization" else value)
        for name, value in heard.headers
    ]
    assert dict(heard.headers)[b"authorization"].startswith(b"Bearer ey")
    return Heard(heard.method, heard.target, headers, heard.body)


def _answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers.multi_items() if name != "date"]
    return response.status_code, headers, response.content


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


REQUESTS: dict[str, Callable[[str], dict[str, Any]]] = {
    "a read with a query": lambda key: {
        "method": "GET",
        "url": "/svc/items/7?country=PK&limit=5&sub=ready%20made%2Fwoven&x=a,b",
        "headers": key_headers(key, Accept="application/json", **{"X-Trace-Note": "a b"}),
    },
    "header values in UTF-8": lambda key: {
        "method": "GET",
        "url": "/svc/items",
        "headers": {**key_headers(key), "x-note": "café ☕".encode()},
    },
    "header values in Latin-1": lambda key: {
        "method": "GET",
        "url": "/svc/items",
        "headers": {**key_headers(key), "x-note": "café".encode("latin-1")},
    },
    "hop-by-hop and identity headers": lambda key: {
        "method": "GET",
        "url": "/svc/items",
        "headers": key_headers(
            key,
            **{
                "Connection": "keep-alive, X-Hop-Secret",
                "X-Hop-Secret": "for the next hop only",
                "TE": "trailers",
                "X-Forwarded-For": "10.0.0.1",
                "X-Score-Role": "ilo_global",
                "Cookie": "a=b",
                "X-Request-ID": "caller-chosen-1",
            },
        ),
    },
    "a small JSON body": lambda key: {
        "method": "POST",
        "url": "/svc/items",
        "json": {"name": "Funder", "notes": "ü" * 10},
        "headers": key_headers(key),
    },
    "a write without a body": lambda key: {
        "method": "POST",
        "url": "/svc/items/7/close",
        "headers": key_headers(key),
    },
    "a write without a body or its length": lambda key: {
        "method": "PATCH",
        "url": "/svc/items/7",
        "headers": key_headers(key),
        "without_length": True,
    },
    "a delete": lambda key: {
        "method": "DELETE",
        "url": "/svc/items/7",
        "headers": key_headers(key),
    },
    "a chunked upload": lambda key: {
        "method": "POST",
        "url": "/svc/items",
        "content": _chunks(b'{"name": "Streamed"}' * 50, 7),
        "headers": key_headers(key, **{"Content-Type": "application/json"}),
    },
    "an upload too large to hold": lambda key: {
        "method": "PUT",
        "url": "/svc/files/1",
        "content": UPLOAD,
        "headers": key_headers(key, **{"Content-Type": "application/octet-stream"}),
    },
    "a large answer": lambda key: {
        "method": "GET",
        "url": "/svc/large",
        "headers": key_headers(key),
    },
    "an answer of unknown length": lambda key: {
        "method": "GET",
        "url": "/svc/unsized",
        "headers": key_headers(key),
    },
    "a redirect to the service itself": lambda key: {
        "method": "GET",
        "url": "/svc/moved",
        "headers": key_headers(key),
    },
}


@pytest.mark.parametrize("case", list(REQUESTS))
async def test_a_service_and_a_caller_cannot_tell_the_direct_path_from_httpxs(
    gateways: Gateways, service: Service, case: str
) -> None:
    answers = []
    heard = []
    for client in (gateways.direct, gateways.through_httpx):
        arguments = REQUESTS[case](gateways.key)
        arguments["headers"] = {"X-Request-ID": "same-for-both", **arguments["headers"]}
        without_length = arguments.pop("without_length", False)
        request = client.build_request(**arguments)
        if without_length:
            del request.headers["content-length"]
        response = await client.send(request)
        answers.append(_answer(response))
        heard.append(_comparable(service.heard[-1]))

    assert heard[0] == heard[1]
    assert answers[0] == answers[1]
    assert answers[0][0] in (200, 201, 307)
    # The deployed gateway made no httpx request for it; the other did.
    assert gateways.transports["direct"] == []
    assert len(gateways.transports["httpx"]) == 1


async def test_the_direct_path_streams_uploads_and_answers_whole(
    gateways: Gateways, service: Service
) -> None:
    upload = await gateways.direct.put(
        "/svc/files/1", content=UPLOAD, headers=key_headers(gateways.key)
    )
    chunked = await gateways.direct.post(
        "/svc/items", content=_chunks(UPLOAD, 65536), headers=key_headers(gateways.key)
    )
    large = await gateways.direct.get("/svc/large", headers=key_headers(gateways.key))
    unsized = await gateways.direct.get("/svc/unsized", headers=key_headers(gateways.key))
    moved = await gateways.direct.get("/svc/moved", headers=key_headers(gateways.key))
    plain = await gateways.direct.get("/svc/items", headers=key_headers(gateways.key))

    assert upload.json() == chunked.json() == {"received": len(UPLOAD)}
    assert [heard.body for heard in service.heard[:2]] == [UPLOAD, UPLOAD]
    assert large.content == LARGE
    assert unsized.content == LARGE * 3
    assert moved.status_code == 307
    assert moved.headers["location"] == "/svc/elsewhere?a=1"
    assert plain.headers["x-end-to-end"] == "kept"
    assert "keep-alive" not in plain.headers
    assert plain.headers["set-cookie"] == "session=one; Path=/"


async def test_an_upload_over_the_limit_on_the_direct_path_is_413(
    gateway_session: AsyncSession, service: Service
) -> None:
    settings = gateway_settings(services={"svc": service.base}, max_body_bytes=2_000)
    app = create_app(settings, database=SessionSource(gateway_session))
    key = await make_key(gateway_session)
    calls: list[httpx.Request] = []
    async with gateway_client(app, calls) as client:
        response = await client.post(
            "/svc/items", content=_chunks(b"z" * 5_000, 500), headers=key_headers(key)
        )
    assert response.status_code == 413
    assert response.json()["max_body_bytes"] == 2_000
    assert calls == []
    assert all(len(heard.body) < 5_000 for heard in service.heard)


@pytest.mark.parametrize("through", ["direct", "through_httpx"])
async def test_a_service_named_with_percent_escapes_is_served_or_named_as_none(
    gateways: Gateways, service: Service, through: str
) -> None:
    client: httpx.AsyncClient = getattr(gateways, through)
    # "%73vc" is "svc" (RFC 3986, section 6.2.2.2): the same service, the same path.
    escaped = await client.get("/%73vc/items/7?a=1", headers=key_headers(gateways.key))
    heard = len(service.heard)
    # "svc%2Fitems" is one segment, "svc/items": no service has that name. Both used to be
    # a 500 with a traceback (the service's path was cut from the raw path at the decoded
    # name's length).
    joined = await client.get("/svc%2Fitems", headers=key_headers(gateways.key))

    assert escaped.status_code == 200
    assert service.heard[-1].target == b"/items/7?a=1"
    assert joined.status_code == 404
    assert joined.headers["content-type"] == "application/problem+json"
    assert "'svc/items'" in joined.json()["detail"]
    assert len(service.heard) == heard


async def test_slow_uploads_cannot_take_every_connection_to_the_services(
    gateway_session: AsyncSession, service: Service
) -> None:
    """Streamed uploads hold a pooled connection while their senders send: past the limit
    one more is a 503 with Retry-After, and the rest of the pool stays for everyone else.
    Two slow senders held two of three connections; a third upload used to take the last."""
    settings = gateway_settings(
        services={"svc": service.base},
        subgraphs={"svc": f"{service.base}/graphql"},
        upstream_max_connections=3,
        upstream_max_streamed_uploads=2,
        # The key is checked once: the requests below run at once, and the test's one
        # database session takes one statement at a time.
        api_key_cache_ttl=60,
    )
    app = create_app(settings, database=SessionSource(gateway_session))
    key = await make_key(gateway_session)
    go_on = asyncio.Event()
    both_streaming = asyncio.Event()
    streaming = 0

    async def slow_body() -> AsyncIterator[bytes]:
        nonlocal streaming
        yield b"z" * 65536
        # Asked for more: the first chunk is on its way to the service.
        streaming += 1
        if streaming == 2:
            both_streaming.set()
        await go_on.wait()  # the sender stalls, its upload streaming
        yield b"z" * 65536

    async with gateway_client(app, []) as client:
        assert (await client.get("/svc/items", headers=key_headers(key))).status_code == 200
        slow = [
            asyncio.create_task(
                client.put(f"/svc/files/{n}", content=slow_body(), headers=key_headers(key))
            )
            for n in (1, 2)
        ]
        await both_streaming.wait()
        assert app.state.streamed_uploads.streaming == 2
        refused = await client.put(
            "/svc/files/3", content=_chunks(UPLOAD, 65536), headers=key_headers(key)
        )
        read = await client.get("/svc/items", headers=key_headers(key))
        go_on.set()
        finished = await asyncio.gather(*slow)

    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("/uploads-busy")
    assert read.status_code == 200
    assert [answer.json() for answer in finished] == [{"received": 131072}] * 2
    assert app.state.streamed_uploads.streaming == 0


def _request(raw_path: bytes, query: bytes) -> Request:
    path = raw_path.decode("latin-1")
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "headers": [],
            "server": ("gateway.test", 80),
            "scheme": "http",
        }
    )


# Every printable ASCII character once, in a path and in a query, and some odd targets.
CHARACTERS = [bytes([code]) for code in range(0x20, 0x7F)]
TARGETS = [b"/svc/a" + char + b"b" for char in CHARACTERS] + [
    b"/svc/items",
    b"/svc/items/7/",
    b"/svc/a%2Fb/%20c",
    b"/svc/%zz/100%",
    b"/svc/caf\xc3\xa9",
    b"/svc/caf\xe9",
    b"/svc/.hidden/a",
    b"/svc/./a",
    b"/svc/a/../b",
    b"/svc//double",
]
QUERIES = [b"q=" + char for char in CHARACTERS] + [
    b"",
    b"a=1&b=2",
    b"q=%zz%41",
    b"q=\xc3\xa9",
]
BASES = [
    "http://127.0.0.1:8001",
    "http://Enrolment.Internal:80",
    "http://enrolment:8001/api",
    "https://[::1]:8443/v1",
]


def _outcome(write: Callable[[Request, str, str], object], request: Request, base: str) -> object:
    try:
        return str(write(request, base, "svc"))
    except Exception as exc:  # httpx refuses some targets; the direct writing must too
        return type(exc)


@pytest.mark.parametrize("base", BASES)
def test_the_service_url_is_written_as_httpx_writes_it(base: str) -> None:
    pairs = [(target, b"a=1") for target in TARGETS] + [(b"/svc/a", query) for query in QUERIES]
    for raw_path, query in pairs:
        request = _request(raw_path, query)
        expected = _outcome(upstream_url, request, base)
        assert _outcome(upstream_target, request, base) == expected, (raw_path, query)
