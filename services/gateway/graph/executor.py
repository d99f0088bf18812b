"""Execution: checks a request, runs its plan against the subgraphs wave by wave (one request
per subgraph per wave), merges their data and errors at the client's paths, and shapes the
response."""

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import httpx
from graphql import (
    ExecutionResult,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLResolveInfo,
    OperationType,
    execute,
)
from graphql.execution.values import get_variable_values

from services.gateway.graph.errors import RequestError, RequestErrors
from services.gateway.graph.limits import GraphLimits, check_cost
from services.gateway.graph.operation import KnownQuery, OperationCache, PreparedOperation
from services.gateway.graph.planner import Fetch, QueryPlan
from services.gateway.graph.shaper import Shaper
from services.gateway.graph.supergraph import FieldTree
from services.gateway.graph.writes import MutationKey, require_write_scope
from services.gateway.transport import UpstreamClient, WholeAnswer

logger = logging.getLogger("score.gateway.graph")

UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"
INTROSPECTION_DISABLED_CODE = "INTROSPECTION_DISABLED"
# A subgraph refusing the forwarded identity says so by status; the client hears it as such.
REFUSED_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN"}
JSONObject = dict[str, Any]
Origins = list[list[tuple[JSONObject, tuple[str | int, ...]]]]


def subgraph_headers(identity_token: str, request_id: str | None = None) -> dict[str, str]:
    """What every subgraph request carries: the identity the gateway vouches for (the
    caller's, or the gateway's own for schema requests) and the request id. The one place
    that decides how a subgraph learns who is calling."""
    headers = {
        "Authorization": f"Bearer {identity_token}",
        "Accept": "application/graphql-response+json, application/json",
    }
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return headers


class SubgraphFailure(Exception):
    """A subgraph gave no GraphQL answer: its fields become null with an error."""

    def __init__(
        self, subgraph: str, reason: str, message: str, code: str = UNAVAILABLE_CODE
    ) -> None:
        super().__init__(f"{subgraph}: {reason}")
        self.subgraph = subgraph
        self.reason = reason
        self.message = message
        self.code = code


@dataclass
class SubgraphClient:
    """Sends one request's subgraph operations with the caller's identity and request id."""

    http: httpx.AsyncClient
    urls: Mapping[str, str]
    identity_token: str
    request_id: str
    counts: Counter[tuple[str, str]]
    trace: list[JSONObject] = field(default_factory=list)
    # The client's Idempotency-Key, forwarded with mutations (graph/writes.py).
    mutation_key: MutationKey | None = None

    async def send(
        self,
        subgraph: str,
        kind: str,
        payload: JSONObject,
        *,
        representations: int = 0,
        writes: bool = False,
    ) -> JSONObject:
        answer = await self._post(
            subgraph, kind, payload, representations=representations, writes=writes
        )
        return self._decoded(subgraph, answer)

    async def forward(
        self, subgraph: str, kind: str, payload: JSONObject, encoded: bytes | None = None
    ) -> "JSONObject | Forwarded":
        """A query's answer as the subgraph sent it, when it is a plain GraphQL answer (data,
        no top-level extensions): there is nothing to change in it. Otherwise decoded.
        ``encoded``: ``payload`` as ``_encoded`` wrote it before (a known request's)."""
        answer = await self._post(subgraph, kind, payload, encoded=encoded)
        if answer.status_code == 200 and _plain_answer(answer):
            return Forwarded(answer.content)
        return self._decoded(subgraph, answer)

    async def _post(
        self,
        subgraph: str,
        kind: str,
        payload: JSONObject,
        *,
        representations: int = 0,
        writes: bool = False,
        encoded: bytes | None = None,
    ) -> WholeAnswer:
        self.counts[(subgraph, kind)] += 1
        key = self.mutation_key if writes else None
        entry: JSONObject = {"service": subgraph, "kind": kind}
        if kind == "entities":
            entry["representations"] = representations
        self.trace.append(entry)
        url = self.urls.get(subgraph)
        if url is None:
            # The graph names a subgraph the configuration no longer lists.
            raise SubgraphFailure(
                subgraph, "no URL is configured", f"The {subgraph} service is unavailable"
            )
        headers = subgraph_headers(self.identity_token, self.request_id)
        try:
            if key is not None:
                response = await self.http.post(
                    url, json=payload, headers={**headers, **key.headers()}
                )
                key.observe(subgraph, response)
                return WholeAnswer.of(response)
            if isinstance(self.http, UpstreamClient):
                headers["Content-Type"] = "application/json"
                content = _encoded(payload) if encoded is None else encoded
                return await self.http.post_whole(url, content, headers)
            return WholeAnswer.of(await self.http.post(url, json=payload, headers=headers))
        except httpx.TimeoutException as exc:
            raise SubgraphFailure(
                subgraph,
                f"timed out ({type(exc).__name__})",
                f"The {subgraph} service did not answer in time",
            ) from exc
        except httpx.HTTPError as exc:
            raise SubgraphFailure(
                subgraph, f"{type(exc).__name__}: {exc}", f"The {subgraph} service is unavailable"
            ) from exc

    @staticmethod
    def _decoded(subgraph: str, answer: WholeAnswer) -> JSONObject:
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            status = answer.status_code
            if status in REFUSED_CODES:
                # An expired or refused forwarded identity is not an outage.
                raise SubgraphFailure(
                    subgraph,
                    f"HTTP {status}: the forwarded identity was refused",
                    f"The {subgraph} service refused the request's credentials (HTTP {status})",
                    REFUSED_CODES[status],
                )
            raise SubgraphFailure(
                subgraph,
                f"HTTP {status} without a GraphQL response",
                f"The {subgraph} service is unavailable",
            )
        return body


def passthrough_payload(
    source: str, variables: JSONObject, operation_name: str | None
) -> JSONObject:
    """The request a subgraph gets for a document it answers whole: the client's own."""
    payload: JSONObject = {"query": source}
    if variables:
        payload["variables"] = variables
    if operation_name is not None:
        payload["operationName"] = operation_name
    return payload


def _passthrough_result(body: JSONObject) -> JSONObject:
    """A subgraph's decoded answer to a whole document, as the client gets it."""
    result: JSONObject = {}
    if "data" in body:
        result["data"] = body["data"]
    if body.get("errors"):
        result["errors"] = body["errors"]
    return result


def _encoded(payload: JSONObject) -> bytes:
    # As httpx encodes ``json=`` (compact, UTF-8, no NaN), so either path sends the same bytes.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True)
class Forwarded:
    """A subgraph's answer to a query passed through, as it sent it: decoding it and encoding
    it again cost the gateway more than anything else it does for such a query."""

    body: bytes


# What a passed-through answer must look like to be forwarded unread: JSON beginning with
# its data (so it is a GraphQL answer, and carries data), with no extensions anywhere (the
# subgraph's own top-level extensions are not the client's; errors carrying extensions take
# the decoded path, which forwards exactly the same).
_JSON_TYPES = ("application/json", "application/graphql-response+json")


def _plain_answer(answer: WholeAnswer) -> bool:
    media = answer.content_type.partition(";")[0].strip().lower()
    if media not in _JSON_TYPES:
        return False
    body = answer.content
    return (
        body[:32].translate(None, b" \t\r\n").startswith(b'{"data"') and b'"extensions"' not in body
    )


def _never_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    # Every value is already there: telling graphql-core so skips its awaitable checks.
    return False


def _resolve(source: Any, info: GraphQLResolveInfo[Any], **_: Any) -> Any:
    # Subgraph results are stored under the client's response keys (aliases included).
    return source.get(info.path.key) if isinstance(source, dict) else None


def _objects(
    value: Any, path: tuple[str, ...], at: tuple[str | int, ...]
) -> Iterator[tuple[JSONObject, tuple[str | int, ...]]]:
    """The objects at ``path`` (lists crossed), each with its response path."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _objects(item, path, (*at, index))
        return
    if not isinstance(value, dict):
        return
    if not path:
        yield value, at
        return
    yield from _objects(value.get(path[0]), path[1:], (*at, path[0]))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True)
    return value


def _subgraph_error(error: Any, path: list[str | int] | None) -> JSONObject:
    """A subgraph's error for the client: its message and extensions, at the client's path
    (subgraph locations point into a document the client never sent)."""
    if not isinstance(error, dict):
        return {"message": str(error)}
    result: JSONObject = {"message": str(error.get("message", "Error"))}
    if path is not None:
        result["path"] = path
    if isinstance(error.get("extensions"), dict):
        result["extensions"] = error["extensions"]
    return result


def _unavailable(failure: SubgraphFailure, path: list[str | int]) -> JSONObject:
    return {
        "message": failure.message,
        "path": path,
        "extensions": {"code": failure.code, "service": failure.subgraph},
    }


def _pick(value: Any, tree: FieldTree) -> Any:
    """The part of a required field's value its @requires selects (lists crossed)."""
    if not tree or value is None:
        return value
    if isinstance(value, list):
        return [_pick(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    return {name: _pick(value.get(name), inner) for name, inner in tree}


class _Execution:
    def __init__(
        self,
        plan: QueryPlan,
        prepared: PreparedOperation,
        client: SubgraphClient,
        variables: JSONObject,
        operation_name: str | None,
        *,
        forward_as_is: bool = False,
    ) -> None:
        self.plan = plan
        self.forward_as_is = forward_as_is
        self.prepared = prepared
        self.client = client
        self.variables = variables
        self.operation_name = operation_name
        self.data: JSONObject = {}
        self.errors: list[JSONObject] = []
        # (object, reserved key) -> why a required field never arrived on that object
        self.missing: dict[tuple[int, str], SubgraphFailure] = {}

    def _used_variables(self, fetches: tuple[Fetch, ...]) -> JSONObject:
        return {
            name: self.variables[name]
            for fetch in fetches
            for name in fetch.variables
            if name in self.variables
        }

    def _log(self, failure: SubgraphFailure) -> None:
        logger.warning(
            "subgraph %s failed: %s",
            failure.subgraph,
            failure.reason,
            extra={"request_id": self.client.request_id, "subgraph": failure.subgraph},
        )

    async def run(self, source: str) -> JSONObject | Forwarded:
        if self.plan.passthrough is not None:
            payload = passthrough_payload(source, self.variables, self.operation_name)
            return await self.passthrough(self.plan.passthrough, payload)
        for phase in self.plan.phases:
            for wave in phase.waves:
                by_subgraph: dict[str, list[Fetch]] = {}
                for fetch in wave:
                    by_subgraph.setdefault(fetch.subgraph, []).append(fetch)
                await asyncio.gather(
                    *(self._request(subgraph, tuple(f)) for subgraph, f in by_subgraph.items())
                )
        return self._shape()

    async def passthrough(
        self, subgraph: str, payload: JSONObject, encoded: bytes | None = None
    ) -> JSONObject | Forwarded:
        """The whole document sent to the one subgraph that answers it (``encoded``: the
        payload's bytes, when they were written before)."""
        mutation = self.plan.operation is OperationType.MUTATION
        try:
            if self.forward_as_is and not mutation:
                answer = await self.client.forward(subgraph, "passthrough", payload, encoded)
                if isinstance(answer, Forwarded):
                    return answer
                body = answer
            else:
                body = await self.client.send(subgraph, "passthrough", payload, writes=mutation)
        except SubgraphFailure as failure:
            return self.passthrough_failed(failure)
        return _passthrough_result(body)

    def passthrough_failed(self, failure: SubgraphFailure) -> JSONObject:
        """The answer when the one subgraph gave none: its root fields null, with errors."""
        self._log(failure)
        for fetch in self.plan.fetches():
            for key in fetch.fields if fetch.is_root else ():
                self.errors.append(_unavailable(failure, [key]))
        return self._shape()

    async def _request(self, subgraph: str, fetches: tuple[Fetch, ...]) -> None:
        if fetches[0].is_root:
            await self._root(subgraph, fetches[0])
        else:
            await self._entities(subgraph, fetches)

    async def _root(self, subgraph: str, fetch: Fetch) -> None:
        payload: JSONObject = {"query": self.plan.document((fetch,))}
        variables = self._used_variables((fetch,))
        if variables:
            payload["variables"] = variables
        mutation = self.plan.operation is OperationType.MUTATION
        try:
            body = await self.client.send(
                subgraph, "mutation" if mutation else "query", payload, writes=mutation
            )
        except SubgraphFailure as failure:
            self._log(failure)
            self.errors.extend(_unavailable(failure, [key]) for key in fetch.fields)
            return
        data = body.get("data")
        if isinstance(data, dict):
            self.data.update(data)
        for error in body.get("errors") or ():
            path = error.get("path") if isinstance(error, dict) else None
            self.errors.append(_subgraph_error(error, list(path) if path else None))

    def _representations(self, fetch: Fetch) -> tuple[list[JSONObject], Origins]:
        typename_key = self.plan.typename_key
        prefix = self.plan.export_prefix
        index: dict[Any, int] = {}
        representations: list[JSONObject] = []
        origins: Origins = []
        for obj, path in _objects(self.data, fetch.path, ()):
            if obj.get(typename_key) != fetch.type_name:
                continue
            values = [obj.get(prefix + name) for name in fetch.key_fields]
            if any(value is None for value in values):
                continue
            identity: Any = tuple(_hashable(value) for value in values)
            representation: JSONObject | None = None
            if fetch.required:
                failure = next(
                    (
                        self.missing[(id(obj), prefix + name)]
                        for name, _ in fetch.required
                        if (id(obj), prefix + name) in self.missing
                    ),
                    None,
                )
                if failure is not None:
                    # What the field requires never came: it is as unavailable as that.
                    for key in fetch.fields:
                        obj[key] = None
                        self.errors.append(_unavailable(failure, [*path, key]))
                    continue
                representation = {"__typename": fetch.type_name}
                representation.update(zip(fetch.key_fields, values, strict=True))
                for name, inner in fetch.required:
                    representation[name] = _pick(obj.get(prefix + name), inner)
                identity = json.dumps(representation, sort_keys=True, default=str)
            position = index.get(identity)
            if position is None:
                position = index[identity] = len(representations)
                if representation is None:
                    representation = {"__typename": fetch.type_name}
                    representation.update(zip(fetch.key_fields, values, strict=True))
                representations.append(representation)
                origins.append([])
            origins[position].append((obj, path))
        return representations, origins

    async def _entities(self, subgraph: str, fetches: tuple[Fetch, ...]) -> None:
        active: list[tuple[Fetch, Origins]] = []
        variables: JSONObject = {}
        for fetch in fetches:
            representations, origins = self._representations(fetch)
            if representations:
                active.append((fetch, origins))
                variables[f"{self.plan.representations_prefix}{fetch.id}"] = representations
        if not active:
            return  # nothing reached these types (null parents, empty lists)
        sent = tuple(fetch for fetch, _ in active)
        variables.update(self._used_variables(sent))
        payload = {"query": self.plan.document(sent), "variables": variables}
        try:
            body = await self.client.send(
                subgraph, "entities", payload, representations=sum(len(o) for _, o in active)
            )
        except SubgraphFailure as failure:
            self._log(failure)
            for fetch, origins in active:
                for group in origins:
                    for obj, path in group:
                        for key in fetch.fields:
                            obj[key] = None
                            self.errors.append(_unavailable(failure, [*path, key]))
                        for key in fetch.hidden:
                            self.missing[(id(obj), key)] = failure
            return
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        by_alias = {f"_{fetch.id}": (fetch, origins) for fetch, origins in active}
        for alias, (fetch, origins) in by_alias.items():
            items = data.get(alias) if data else None
            for position, group in enumerate(origins):
                item = (
                    items[position] if isinstance(items, list) and position < len(items) else None
                )
                for obj, _ in group:
                    if isinstance(item, dict):
                        obj.update(item)
                    else:
                        for key in fetch.fields:
                            obj.setdefault(key, None)
        for error in body.get("errors") or ():
            self.errors.extend(self._entity_errors(error, by_alias))

    @staticmethod
    def _entity_errors(
        error: Any,
        by_alias: Mapping[str, tuple[Fetch, Origins]],
    ) -> list[JSONObject]:
        path = error.get("path") if isinstance(error, dict) else None
        if not path or len(path) < 2 or path[0] not in by_alias or not isinstance(path[1], int):
            return [_subgraph_error(error, None)]
        fetch, origins = by_alias[path[0]]
        if path[1] >= len(origins):
            return [_subgraph_error(error, None)]
        rest = list(path[2:])
        tails = [rest] if rest else [[key] for key in fetch.fields]
        return [
            _subgraph_error(error, [*origin, *tail])
            for _, origin in origins[path[1]]
            for tail in tails
        ]

    def _shape(self) -> JSONObject:
        if self.plan.shape is not None:
            shaper = Shaper(self.plan.typename_key)
            root = self.prepared.schema.get_root_type(self.plan.operation)
            assert root is not None
            data = shaper.shape(self.plan.shape, root.name, self.data)
            shaping_errors = shaper.errors
        else:
            data, shaping_errors = self._execute_locally()
        response: JSONObject = {"data": data}
        explained = [tuple(e["path"]) for e in self.errors if "path" in e]
        errors = list(self.errors)
        for error in shaping_errors:
            path = tuple(error.path or ())
            # A null the gateway or a subgraph already reported needs no second error.
            if path and any(known[: len(path)] == path for known in explained):
                continue
            errors.append(dict(error.formatted))
        if errors:
            response["errors"] = errors
        return response

    def _execute_locally(self) -> tuple[Any, list[GraphQLError]]:
        """Introspection: graphql-core runs the operation on the public schema, taking the
        other root fields' values from the subgraphs' data."""
        typename_key = self.plan.typename_key

        def resolve_type(
            value: Any, info: GraphQLResolveInfo[Any], abstract: GraphQLAbstractType
        ) -> Any:
            return value.get(typename_key) if isinstance(value, dict) else None

        result = execute(
            self.prepared.schema,
            self.prepared.document,
            root_value=self.data,
            variable_values=self.variables,
            operation_name=self.operation_name,
            field_resolver=_resolve,
            type_resolver=resolve_type,
            is_awaitable=_never_awaitable,
        )
        assert isinstance(result, ExecutionResult)
        return result.data, list(result.errors or ())


def _coerce(prepared: PreparedOperation, variables: JSONObject) -> JSONObject:
    coerced = get_variable_values(
        prepared.schema, prepared.operation.variable_definitions or (), variables, max_errors=20
    )
    if isinstance(coerced, list):
        raise RequestErrors(
            [{**e.formatted, "extensions": {"code": "BAD_USER_INPUT"}} for e in coerced],
            "BAD_USER_INPUT",
        )
    return dict(coerced.coerced)


async def run_operation(
    cache: OperationCache,
    client: SubgraphClient,
    limits: GraphLimits,
    *,
    document: str,
    variables: JSONObject | None,
    operation_name: str | None,
    allow_introspection: bool,
    trace: bool,
    allow_mutation: bool = True,
    scopes: frozenset[str] | None = None,
    forward_as_is: bool = False,
    body: bytes | None = None,
) -> JSONObject | Forwarded:
    """The GraphQL response for one request; request errors come back without ``data``.

    ``scopes`` (the caller's; None: not checked) must hold ``write`` for a mutation.
    ``forward_as_is``: a query one subgraph answers whole may come back as its answer's
    bytes (``Forwarded``); never when ``trace`` asks for the gateway's extensions. ``body``:
    the POST body the request came in; such a query is remembered by it (``run_known``)."""
    raw_variables = variables or {}
    try:
        prepared = cache.prepare(document, operation_name, allow_mutation=allow_mutation)
        if scopes is not None and prepared.operation.operation is OperationType.MUTATION:
            require_write_scope(scopes)
        if prepared.introspection and not allow_introspection:
            raise RequestError(
                "Introspection is disabled for this caller: it needs the admin scope "
                "(or the development setting SCORE_GATEWAY_GRAPHQL__INTROSPECTION=true)",
                INTROSPECTION_DISABLED_CODE,
            )
        coerced = _coerce(prepared, raw_variables)
        check_cost(cache.cost(prepared, coerced), limits)
        plan = cache.plan(prepared, coerced)
    except RequestErrors as exc:
        return {"errors": exc.errors}
    except RequestError as exc:
        return {"errors": [exc.as_dict()]}
    forward = forward_as_is and not trace
    execution = _Execution(
        plan, prepared, client, raw_variables, operation_name, forward_as_is=forward
    )
    if (
        forward
        and body is not None
        and plan.passthrough is not None
        and plan.operation is OperationType.QUERY
        and not prepared.introspection
    ):
        # Every check above depends on the body alone (the caller's scopes and introspection
        # rights play no part in such a query): the same body again needs none of them.
        payload = passthrough_payload(document, raw_variables, operation_name)
        known = KnownQuery(
            plan.passthrough, plan, prepared, raw_variables, operation_name, payload,
            _encoded(payload) if isinstance(client.http, UpstreamClient) else None,
        )  # fmt: skip
        cache.remember(body, known)
        return await execution.passthrough(known.subgraph, payload, known.encoded)
    result = await execution.run(document)
    if trace and isinstance(result, dict):
        result["extensions"] = {"gateway": {"fetches": client.trace}}
    return result


async def run_known(known: KnownQuery, client: SubgraphClient) -> JSONObject | Forwarded:
    """The response to a POST body met before (``OperationCache.known``): its query goes
    to its subgraph as it went then, with none of the checks or the planning again (what
    ``_Execution.passthrough`` does for a query, without an execution made until needed)."""
    try:
        answer = await client.forward(known.subgraph, "passthrough", known.payload, known.encoded)
    except SubgraphFailure as failure:
        execution = _Execution(
            known.plan, known.prepared, client, known.variables, known.operation_name
        )
        return execution.passthrough_failed(failure)
    return answer if isinstance(answer, Forwarded) else _passthrough_result(answer)
