"""The composed graph at run time: fetches the subgraphs' SDLs, composes them, keeps the
graph current, and runs client operations (checks, plan, fetches, shaping) against it.

The gateway never goes without a graph because a subgraph is down: a subgraph that does
not answer keeps the SDL it was last composed with (or, on a cold start, the one in the
committed artefact, ``subgraphs/<name>.graphql``). ``refresh`` polls every subgraph's SDL and
recomposes when one changed; the new graph replaces the old in one assignment, so a
request runs entirely on one graph or the other.
"""

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import httpx

from services.gateway.graph.composer import Supergraph, compose
from services.gateway.graph.errors import CompositionError, GraphNotReady, SubgraphUnreachable
from services.gateway.graph.executor import (
    Forwarded,
    SubgraphClient,
    run_known,
    run_operation,
    subgraph_headers,
)
from services.gateway.graph.limits import GraphLimits
from services.gateway.graph.operation import KnownQuery, OperationCache
from services.gateway.graph.writes import MutationKey

logger = logging.getLogger("score.gateway.graph")

SDL_QUERY = "query SubgraphSchema { _service { sdl } }"
# The subgraphs' SDLs as last committed, one <name>.graphql each (`score graph compose`
# writes them, CI checks them).
ARTEFACT = Path(__file__).resolve().parent / "subgraphs"


def read_artefact(path: Path | None) -> dict[str, str]:
    """The subgraph SDLs of a committed artefact; none when there is no such folder."""
    if path is None or not path.is_dir():
        return {}
    return {file.stem: file.read_text(encoding="utf-8") for file in sorted(path.glob("*.graphql"))}


def artefact_files(sdls: Mapping[str, str]) -> dict[str, str]:
    """File name -> content of the artefact for these SDLs."""
    return {f"{name}.graphql": sdls[name] for name in sorted(sdls)}


def sdl_hash(sdl: str) -> str:
    return hashlib.sha256(sdl.encode("utf-8")).hexdigest()


@dataclass
class SubgraphState:
    """What the gateway knows of one subgraph, for operators (``/readyz``)."""

    url: str
    # live: answered the last poll; last composed / artefact: the SDL in use came from there
    source: str = "none"
    sdl_sha256: str | None = None
    reachable: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "reachable": self.reachable,
            "schema": self.source,
            "sdl_sha256": self.sdl_sha256,
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass(frozen=True)
class _Active:
    """One composed graph with its operation cache: swapped as a whole."""

    supergraph: Supergraph
    operations: OperationCache
    sdls: dict[str, str] = field(default_factory=dict)


class GraphRuntime:
    """One per gateway process: ``refresh`` (or ``compose``) keeps the graph, ``execute``
    runs a request on it."""

    def __init__(
        self,
        subgraph_urls: dict[str, str],
        http: httpx.AsyncClient,
        limits: GraphLimits,
        *,
        service_token: Callable[[], str],
        fallback: Mapping[str, str] | None = None,
        schema_timeout: float = 10.0,
    ) -> None:
        self.subgraph_urls = dict(subgraph_urls)
        self.http = http
        self.limits = limits
        self._service_token = service_token
        # A subgraph that hangs on its schema request must not hold the others' poll long.
        self.schema_timeout = schema_timeout
        # name -> SDL to use while a subgraph does not answer: the last composed one,
        # which starts as the committed artefact's; and where each came from.
        self._fallback: dict[str, str] = dict(fallback or {})
        self._fallback_source = dict.fromkeys(self._fallback, "artefact")
        self._last_failure: str | None = None
        self._active: _Active | None = None
        self.states = {name: SubgraphState(url=url) for name, url in self.subgraph_urls.items()}
        # Why the latest composition was refused (the previous graph stays in use).
        self.composition_error: str | None = None
        # Subgraph requests made, by (subgraph, kind): tests and benchmarks read it.
        self.fetch_counts: Counter[tuple[str, str]] = Counter()
        # Set once ``keep_current``'s first poll is over, answered or failed: whoever shares
        # what that poll reaches (the in-process apps of the tests) waits for it.
        self.first_poll_over = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._active is not None

    @property
    def operations(self) -> OperationCache:
        """The documents and plans of the graph in use."""
        if self._active is None:
            raise GraphNotReady()
        return self._active.operations

    @property
    def supergraph(self) -> Supergraph:
        if self._active is None:
            raise GraphNotReady()
        return self._active.supergraph

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
                headers=subgraph_headers(self._service_token()),
                timeout=self.schema_timeout,
            )
        except httpx.HTTPError as exc:
            raise SubgraphUnreachable(name, url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise SubgraphUnreachable(
                name, url, f"HTTP {response.status_code}: it refused the gateway's credentials"
            )
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
        """Fetch every SDL and compose; fails when any subgraph does not answer (the CLI and
        tests). The previous graph (if any) stays in use when this fails."""
        sdls = await self.fetch_sdls()
        for name, sdl in sdls.items():
            self._mark_live(name, sdl)
        self.use(compose(sdls), sdls)

    async def refresh(self) -> bool:
        """Poll every subgraph's SDL and recompose when one changed (or there is no graph
        yet), standing in the last known SDL of those that do not answer. True when a new
        graph is in use; a composition the subgraphs' new SDLs fail keeps the old one."""
        names = list(self.subgraph_urls)
        results = await asyncio.gather(
            *(self._fetch_sdl(name) for name in names), return_exceptions=True
        )
        sdls: dict[str, str] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, str):
                self._mark_live(name, result)
                sdls[name] = result
                continue
            if not isinstance(result, SubgraphUnreachable):
                raise result
            state = self.states[name]
            if state.reachable or state.reason != result.reason:
                logger.warning("subgraph %s: %s", name, result)
            state.reachable, state.reason = False, result.reason
            if name in self._fallback:
                sdls[name] = self._fallback[name]
                state.sdl_sha256 = sdl_hash(self._fallback[name])
                state.source = self._fallback_source[name]
        active = self._active
        if active is not None and sdls == active.sdls:
            return False
        if not sdls:
            raise GraphNotReady()
        try:
            supergraph = compose(sdls)
        except CompositionError as exc:
            if self.composition_error != str(exc):
                logger.error("composition refused, the previous graph stays in use: %s", exc)
            self.composition_error = str(exc)
            if active is not None or sdls == self._fallback:
                return False
            # Nothing served yet: the committed artefact as a whole is the last resort.
            supergraph, sdls = compose(self._fallback), dict(self._fallback)
        self.use(supergraph, sdls)
        logger.info(
            "GraphQL graph composed from %s",
            ", ".join(f"{name} ({self.states[name].source})" for name in sorted(sdls)),
        )
        return True

    async def keep_current(self, interval: float) -> None:
        """``refresh`` now and every ``interval`` seconds (sooner while there is no graph),
        until cancelled."""
        while True:
            try:
                await self.refresh()
                self._last_failure = None
            except Exception as exc:  # the loop must outlive any one bad poll
                failure = f"{type(exc).__name__}: {exc}"
                if failure != self._last_failure:
                    logger.warning("GraphQL graph refresh failed: %s", failure)
                self._last_failure = failure
            self.first_poll_over.set()
            await asyncio.sleep(interval if self.ready else min(interval, 1.0))

    def _mark_live(self, name: str, sdl: str) -> None:
        state = self.states.setdefault(name, SubgraphState(url=self.subgraph_urls.get(name, "")))
        if not state.reachable:
            logger.info("subgraph %s answers", name)
        state.reachable, state.reason = True, None
        state.source, state.sdl_sha256 = "live", sdl_hash(sdl)

    def use(self, supergraph: Supergraph, sdls: Mapping[str, str] | None = None) -> None:
        """Serve a composed graph from now on (in one assignment: requests in flight finish
        on the graph they started with)."""
        sdls = dict(sdls or {})
        self._active = _Active(supergraph, OperationCache(supergraph, self.limits), sdls)
        self._fallback.update(sdls)
        for name in sdls:
            state = self.states.get(name)
            if state is None or state.source == "live":
                self._fallback_source[name] = "last composed"
            elif name not in self._fallback_source:
                self._fallback_source[name] = state.source
        self.composition_error = None

    def schema_sdl(self) -> str:
        return self.supergraph.sdl

    def status(self) -> dict[str, Any]:
        """The graph's state for ``/readyz``: loaded or not, and each subgraph's."""
        body: dict[str, Any] = {"status": "ready" if self.ready else "unavailable"}
        if not self.ready:
            body["reason"] = self.composition_error or "not composed yet"
        elif self.composition_error:
            body["composition_error"] = self.composition_error
        body["subgraphs"] = {name: state.as_dict() for name, state in self.states.items()}
        return body

    @overload
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
        forward_as_is: Literal[False] = False,
        body: bytes | None = None,
    ) -> dict[str, Any]: ...

    @overload
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
        forward_as_is: bool,
        body: bytes | None = None,
    ) -> dict[str, Any] | Forwarded: ...

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
        forward_as_is: bool = False,
        body: bytes | None = None,
    ) -> dict[str, Any] | Forwarded:
        """The GraphQL response (``data``/``errors``/``extensions``) for one client request.

        Request errors (syntax, validation, limits, variables) come back with no ``data``
        key; ``trace`` adds ``extensions.gateway.fetches``, the subgraph requests made;
        ``allow_mutation=False`` (GET) makes a mutation raise ``MutationOverGet``; a mutation
        without ``write`` in ``scopes``, or refused its ``mutation_key``, raises
        ``WriteRefused`` (graph/writes.py). ``forward_as_is``: a query one subgraph answers
        whole may come back as that answer's bytes (``Forwarded``), unread; ``body``, the POST
        body it came in, then finds it again (``known_query``).
        """
        active = self._active
        if active is None:
            raise GraphNotReady()
        client = self._client(identity_token, request_id, mutation_key)
        return await run_operation(
            active.operations,
            client,
            self.limits,
            document=document,
            variables=variables,
            operation_name=operation_name,
            allow_introspection=allow_introspection,
            trace=trace,
            allow_mutation=allow_mutation,
            scopes=scopes,
            forward_as_is=forward_as_is,
            body=body,
        )

    def known_query(self, body: bytes) -> KnownQuery | None:
        """The query a POST body carried before, already checked and planned on the graph in
        use, if one subgraph answers it whole (``execute`` with that ``body``)."""
        active = self._active
        return None if active is None else active.operations.known(body)

    async def forward_known(
        self, known: KnownQuery, *, identity_token: str, request_id: str
    ) -> dict[str, Any] | Forwarded:
        """``execute``'s answer to the same body again, for another (or the same) caller."""
        return await run_known(known, self._client(identity_token, request_id))

    def _client(
        self, identity_token: str, request_id: str, mutation_key: MutationKey | None = None
    ) -> SubgraphClient:
        """One request's subgraph calls, as its caller and under its request id."""
        return SubgraphClient(
            http=self.http,
            urls=self.subgraph_urls,
            identity_token=identity_token,
            request_id=request_id,
            counts=self.fetch_counts,
            mutation_key=mutation_key,
        )

    def describe(self) -> Mapping[str, Any]:
        """Ownership and keys, for operators (``score graph`` and logs)."""
        return self.supergraph.describe()
