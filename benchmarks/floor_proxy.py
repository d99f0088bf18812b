"""The floor under `benchmarks.gateway`: the least a Python HTTP hop can cost on this machine.

A pass-through written with nothing but ASGI and aiohttp (the gateway's own upstream client),
served by uvicorn as the gateway is: it forwards a request's method, path, query, body,
Authorization and Content-Type to ``UPSTREAM`` and answers the upstream's status, type and
body. No authentication, rate limit, identity token, graph, logging or metrics. Not part of
the product; it shows how much of the gateway's latency is the hop itself.

    UPSTREAM=http://127.0.0.1:8001 uv run uvicorn benchmarks.floor_proxy:app --port 8091
"""

import os
from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send

_FORWARDED = (b"authorization", b"content-type")


class FloorProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/readyz":
            await self._answer(send, 200, b"text/plain", b"ready")
            return
        assert self.session is not None
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _FORWARDED
        }
        query = scope["query_string"].decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        async with self.session.request(
            scope["method"], url, data=body or None, headers=headers
        ) as upstream:
            content = await upstream.read()
            kind = upstream.headers.get("content-type", "application/json").encode("latin-1")
            await self._answer(send, upstream.status, kind, content)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _answer(send: Send, status: int, kind: bytes, content: bytes) -> None:
        headers: list[Any] = [
            (b"content-type", kind),
            (b"content-length", str(len(content)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


app = FloorProxy(os.environ.get("UPSTREAM", "http://127.0.0.1:8001"))
