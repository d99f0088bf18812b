"""A gateway that begins to stop (SIGTERM at a deploy) while long requests wait for their
service: a long poll is answered 503 with Retry-After at once (it waits for events that may
never come), an export still gets what is left of the graceful period, and whatever is
still waiting then is answered 503 before uvicorn would cut it off (a bare 500). The
service's requests are cancelled either way: its long poll ends, its export stops.

In-process: the test sets the gateway's ``stopping`` event as the stop signal does in a
served gateway (tests/gateway/test_upstream_edges.py sends the real signal)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Receive, Scope, Send

from services.gateway.app import create_app
from services.gateway.proxy import STOP_MARGIN_SECONDS
from shared.stopping import StopEvent
from tests.conftest import SessionSource
from tests.gateway.support import gateway_settings, key_headers, make_key
from tests.gateway.test_proxy_direct import gateway_client
from tests.gateway.test_upstream_transport import serving

# Far beyond any wait in these tests: a request still waiting then has failed the test.
HANG_GUARD_SECONDS = 60


@dataclass
class HeldService:
    """A reporting service whose answers wait until the test releases them, noting each
    request as it arrives and each caller that hangs up before its answer."""

    arrived: dict[str, asyncio.Event] = field(default_factory=dict)
    released: dict[str, asyncio.Event] = field(default_factory=dict)
    hung_up: dict[str, asyncio.Event] = field(default_factory=dict)

    def expect(self, path: str) -> None:
        for events in (self.arrived, self.released, self.hung_up):
            events[path] = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path not in self.arrived:  # the gateway's own requests (its graph's SDL)
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await receive()  # the request, without a body
        self.arrived[path].set()
        disconnected = asyncio.ensure_future(receive())
        released = asyncio.ensure_future(self.released[path].wait())
        await asyncio.wait((disconnected, released), return_when=asyncio.FIRST_COMPLETED)
        if disconnected.done():
            released.cancel()
            self.hung_up[path].set()
            return
        disconnected.cancel()
        body = b"enterprise_id,value\n"
        headers = [(b"content-type", b"text/csv"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Stopping:
    app: FastAPI
    client: httpx.AsyncClient
    service: HeldService
    headers: dict[str, str]

    def stop(self, graceful_seconds: float | None) -> None:
        """What SIGTERM does to a served gateway (shared/stopping.py)."""
        self.app.state.graceful_seconds = graceful_seconds
        self.app.state.stopping.set()

    async def get(self, path: str, *, held: bool = True) -> "asyncio.Task[httpx.Response]":
        """``path`` asked for; ``held``: once the service holds the request."""
        service_path = path.partition("?")[0].removeprefix("/reporting")
        self.service.expect(service_path)
        asked = asyncio.ensure_future(self.client.get(path, headers=self.headers))
        if held:
            arrived = self.service.arrived[service_path].wait()
            await asyncio.wait_for(arrived, HANG_GUARD_SECONDS)
        return asked


@pytest.fixture
async def stopping(gateway_session: AsyncSession) -> AsyncIterator[Stopping]:
    service = HeldService()
    async with serving(service) as url:
        app = create_app(
            gateway_settings(services={"reporting": url}, subgraphs={"reporting": f"{url}/g"}),
            database=SessionSource(gateway_session),
        )
        app.state.stopping = StopEvent()  # as the gateway's lifespan makes it
        key = await make_key(gateway_session)
        async with gateway_client(app, []) as client:
            yield Stopping(app, client, service, key_headers(key))


def assert_restarting(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    problem = response.json()
    assert problem["type"].endswith("/gateway-restarting"), problem
    assert "ask again" in problem["detail"]


async def test_a_long_poll_is_answered_at_once_and_an_export_keeps_the_graceful_period(
    stopping: Stopping,
) -> None:
    export = await stopping.get("/reporting/exports/values.csv")
    long_poll = await stopping.get("/reporting/feed?after=ZmVlZDow&wait=25")
    stopping.stop(graceful_seconds=HANG_GUARD_SECONDS)
    assert_restarting(await asyncio.wait_for(long_poll, HANG_GUARD_SECONDS))
    # The service's long poll was let go of: it stops waiting for nobody.
    await asyncio.wait_for(stopping.service.hung_up["/feed"].wait(), HANG_GUARD_SECONDS)
    # The export still waits: its service answers within the graceful period, and the
    # answer reaches its caller.
    assert not export.done()
    stopping.service.released["/exports/values.csv"].set()
    answer = await asyncio.wait_for(export, HANG_GUARD_SECONDS)
    assert answer.status_code == 200, answer.text
    assert answer.text == "enterprise_id,value\n"


async def test_what_still_waits_as_the_graceful_period_ends_is_answered_503_in_time(
    stopping: Stopping,
) -> None:
    """Answered before uvicorn cuts it off (a bare 500 and a traceback), its service's
    request cancelled. A feed asked with ``wait=0`` is no long poll: it waits as an export."""
    export = await stopping.get("/reporting/exports/values.csv")
    feed_page = await stopping.get("/reporting/feed?wait=0")
    # Served with a graceful period of about a fifth of a second left to answer in.
    stopping.stop(graceful_seconds=STOP_MARGIN_SECONDS + 0.2)
    for asked, path in ((export, "/exports/values.csv"), (feed_page, "/feed")):
        assert_restarting(await asyncio.wait_for(asked, HANG_GUARD_SECONDS))
        await asyncio.wait_for(stopping.service.hung_up[path].wait(), HANG_GUARD_SECONDS)


async def test_a_gateway_served_without_a_graceful_limit_waits_for_the_answer(
    stopping: Stopping,
) -> None:
    """uvicorn's default: requests in flight may take as long as they need, so the gateway
    does not cut them short either (only long polls, which may wait for nothing)."""
    export = await stopping.get("/reporting/exports/values.csv")
    stopping.stop(graceful_seconds=None)
    long_poll = await stopping.get("/reporting/feed?wait=25", held=False)
    # Asked after the stop began: answered at once all the same.
    assert_restarting(await asyncio.wait_for(long_poll, HANG_GUARD_SECONDS))
    assert not export.done()
    stopping.service.released["/exports/values.csv"].set()
    answer = await asyncio.wait_for(export, HANG_GUARD_SECONDS)
    assert answer.status_code == 200, answer.text
