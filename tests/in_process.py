"""A service app served in-process over one test session (``tests.conftest.SessionDatabase``)
with a client that reuses each caller's token as the gateway does: for suites that send
thousands of requests to the same apps (the tenancy matrix)."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import Database
from shared.identity import Principal
from tests.conftest import serving_over
from tests.enrolment.support import ILO, Api, token_for, token_settings


@asynccontextmanager
async def session_api(
    app: FastAPI, database: Database, session: AsyncSession, base_url: str
) -> AsyncIterator["TokenReusingApi"]:
    """An Api client over ``app`` (real authentication, no network) whose requests use the
    test's ``session``; the app's database is put back when the block ends."""
    assert app.state.database is database, "the app serves the database given"
    with serving_over(app, session):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield TokenReusingApi(client)


class TokenReusingApi(Api):
    """An ``Api`` that sends each caller the same real signed token for half its life, as
    the gateway forwards it (services/gateway), instead of minting one per request: the
    services verify a token once and recognise it after (shared.identity.verify_token), so
    a fresh token per request paid a signature and its check on every one of them."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__(client)
        self._tokens: dict[tuple[Principal, bool], tuple[str, float]] = {}

    def _token(self, principal: Principal, *, graph: bool) -> str:
        now = time.monotonic()
        token, minted = self._tokens.get((principal, graph), ("", -1e9))
        if now - minted > token_settings().identity_token_ttl / 2:
            token, minted = token_for(principal, graph=graph), now
            self._tokens[(principal, graph)] = (token, minted)
        return token

    async def request(
        self, method: str, url: str, *, as_: Principal = ILO, **kwargs: Any
    ) -> httpx.Response:
        # A subgraph is called the way the gateway calls it, with a graph-audience token.
        graph = url.split("?", 1)[0] == "/graphql"
        token = self._token(as_, graph=graph)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)
