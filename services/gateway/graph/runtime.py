"""The composed graph at run time: fetches the subgraphs' SDLs, composes them, and runs
client operations (checks, plan, fetches, shaping) against the result."""

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.errors import GraphNotReady, SubgraphUnreachable
from services.gateway.graph.executor import SubgraphClient, run_operation
from services.gateway.graph.limits import GraphLimits
from services.gateway.graph.operation import OperationCache
from services.gateway.graph.writes import MutationKey

logger = logging.getLogger("score.gateway.graph")

SDL_QUERY = "query SubgraphSchema { _service { sdl } }"


class GraphRuntime:
    """One per gateway process; ``compose`` at start-up, then ``execute`` per request."""

    def __init__(
        self,
        subgraph_urls: dict[str, str],
        http: httpx.AsyncClient,
        limits: GraphLimits,
        *,
        service_token: Callable[[], str],
    ) -> None:
        self.subgraph_urls = dict(subgraph_urls)
        self.http = http
        self.limits = limits
        self._service_token = service_token
        self._supergraph: Supergraph | None = None
        self._operations: OperationCache | None = None
        # Subgraph requests made, by (subgraph, kind): tests and benchmarks read it.
        self.fetch_counts: Counter[tuple[str, str]] = Counter()

    @property
    def ready(self) -> bool:
        return self._supergraph is not None

    @property
    def supergraph(self) -> Supergraph:
        if self._supergraph is None:
            raise GraphNotReady()
        return self._supergraph

    async def fetch_sdls(self) -> dict[str, str]:
        """Every subgraph's SDL, fetched concurrently; ``SubgraphUnreachable`` names the first
        one that did not answer."""
        names = list(self.subgraph_urls)
        results = await asyncio.gather(*(self._fetch_sdl(name) for name in names))
        return dict(zip(names, results, strict=True))

    async def _fetch_sdl(self, name: str) -> str:
        url = self.subgraph_urls[name]
        try:
            response = await self.http.post(
                url,
                json={"query": SDL_QUERY},
                headers={
                    "Authorization": f"Bearer {self._service_token()}",
                    "Accept": "application/graphql-response+json, application/json",
                },
            )
        except httpx.HTTPError as exc:
            raise SubgraphUnreachable(name, url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise SubgraphUnreachable(name, url, f"HTTP {response.status_code}")
        try:
            body = response.json()
            sdl = body["data"]["_service"]["sdl"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SubgraphUnreachable(
                name, url, "the answer is not a GraphQL response with _service { sdl }"
            ) from exc
        if not isinstance(sdl, str):
            raise SubgraphUnreachable(name, url, "_service { sdl } is not a string")
        return sdl

    async def compose(self) -> None:
        """Fetch and compose; the previous graph (if any) stays in use when this fails."""
        supergraph = compose(await self.fetch_sdls())
        self.use(supergraph)

    def use(self, supergraph: Supergraph) -> None:
        """Serve an already composed graph (the CLI and tests compose from SDL text)."""
        self._supergraph = supergraph
        self._operations = OperationCache(supergraph, self.limits)

    def schema_sdl(self) -> str:
        return self.supergraph.sdl

    async def execute(
        self,
        *,
        document: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        identity_token: str,
        request_id: str,
        allow_introspection: bool,
        trace: bool = False,
        allow_mutation: bool = True,
        scopes: frozenset[str] | None = None,
        mutation_key: MutationKey | None = None,
    ) -> dict[str, Any]:
        """The GraphQL response (``data``/``errors``/``extensions``) for one client request.

        Request errors (syntax, validation, limits, variables) come back with no ``data``
        key; ``trace`` adds ``extensions.gateway.fetches``, the subgraph requests made;
        ``allow_mutation=False`` (GET) makes a mutation raise ``MutationOverGet``; a mutation
        without ``write`` in ``scopes``, or refused its ``mutation_key``, raises
        ``WriteRefused`` (graph/writes.py).
        """
        if self._operations is None:
            raise GraphNotReady()
        client = SubgraphClient(
            http=self.http,
            urls=self.subgraph_urls,
            identity_token=identity_token,
            request_id=request_id,
            counts=self.fetch_counts,
            mutation_key=mutation_key,
        )
        return await run_operation(
            self._operations,
            client,
            self.limits,
            document=document,
            variables=variables,
            operation_name=operation_name,
            allow_introspection=allow_introspection,
            trace=trace,
            allow_mutation=allow_mutation,
            scopes=scopes,
        )

    def describe(self) -> Mapping[str, Any]:
        """Ownership and keys, for operators (``score graph`` and logs)."""
        return self.supergraph.describe()
