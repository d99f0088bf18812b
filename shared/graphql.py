"""Plumbing every service's GraphQL subgraph shares: the request context with its session
lock, problem-to-error-code mapping, error masking, the pinned federation schema, the router."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any, NoReturn, TypeVar, cast
from uuid import UUID

import orjson
import strawberry
from cachetools import LRUCache
from cross_web import HTTPException
from fastapi import BackgroundTasks, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    parse,
    specified_rules,
)
from graphql import OperationType as DocumentOperationType
from graphql.execution.middleware import MiddlewareManager
from pydantic_core import from_json, to_json
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import UNSET
from strawberry.dataloader import DataLoader
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaskErrors
from strawberry.fastapi import BaseContext, GraphQLRouter
from strawberry.federation import Schema
from strawberry.federation.schema_directives import ListSize
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from shared.db import DEFERRED_COMMIT, reads_only_when
from shared.decimals import plain_text
from shared.graphql_execution import PlainFieldsExecutionContext
from shared.idempotency import Claim
from shared.identity import Principal
from shared.problems import (
    TYPE_BASE,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    Unauthenticated,
    field_error,
)

INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"

# The GraphQL Decimal scalar written as REST and events write decimals (Strawberry's own uses
# str(), exponents and all). Here rather than in shared.decimals, which every event schema
# imports and which then had to import Strawberry too.
GraphQLDecimal = strawberry.scalar(
    name="Decimal",
    description="Decimal (fixed-point), as a string in positional notation",
    serialize=plain_text,
    parse_value=lambda value: Decimal(str(value)),
)


def list_size(
    *, assumed: int | None = None, slicing: list[str] | None = None, sized: list[str] | None = None
) -> ListSize:
    """``@listSize``: how many items a list field returns, read by the gateway's cost limit
    (``assumed`` items; or the value of a ``slicing`` argument; ``sized``: the child fields
    that hold the items)."""
    # Arguments left out are UNSET, not null: Strawberry would print a null, which the
    # reference composer refuses.
    return ListSize(
        assumed_size=UNSET if assumed is None else assumed,
        slicing_arguments=UNSET if slicing is None else slicing,
        sized_fields=UNSET if sized is None else sized,
        require_one_slicing_argument=UNSET,
    )


# A cursor-paginated connection: `first` items in its `items`.
PAGE = list_size(slicing=["first"], sized=["items"])

SessionAccess = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Opens the request's session for one unit of work (see ``SubgraphContext.database``)."""


class SessionTurns:
    """The request's session, taken in turns: graphql-core resolves sibling fields
    concurrently, but an AsyncSession runs one statement at a time."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def database(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held for one unit of work; never await a loader inside."""
        async with self._lock:
            yield self._session


class SubgraphContext(BaseContext):
    """The verified caller and the request's session; subclasses add their loaders."""

    def __init__(self, *, principal: Principal, session: AsyncSession) -> None:
        super().__init__()
        self.principal = principal
        # Resolvers and loaders open the session through this. Not a method of the context:
        # loaders keep it, and a loader keeping the context would make the request's objects
        # (its session, its request, the page of rows) a reference cycle, left for the
        # garbage collector instead of going with the answer.
        self.database: SessionAccess = SessionTurns(session).database
        # Mutation fields that wrote (shared.mutations.mutate counts them).
        self.writes = 0

    def release(self) -> None:
        """Drops what the request's loaders cached (a page of rows and their futures).
        graphql-core's executor keeps the context in reference cycles, so what the context
        holds would wait for the garbage collector rather than go with the answer."""
        loaders = getattr(self, "loaders", None)
        for loader in vars(loaders).values() if loaders is not None else ():
            if isinstance(loader, DataLoader):
                loader.clear_all()
            elif isinstance(loader, dict):  # rows kept in place of a loader's cache
                loader.clear()


@lru_cache(maxsize=512)
def _only_queries(document: str) -> bool:
    """Whether every operation the document holds is a query: whichever one the request
    names, it only reads. Cached per text: partners send the same few documents."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return False  # answered with the parse error; nothing runs
    return all(
        definition.operation is DocumentOperationType.QUERY
        for definition in parsed.definitions
        if isinstance(definition, OperationDefinitionNode)
    )


# Strawberry's own reading of a content type (with the email package's parser: more CPU than
# a page's JSON), per header value: clients send the same few.
@lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    return parse_content_type(content_type)[0] == "application/json"


_PARSED_BODY = "score.graphql.body"


async def _json_body(request: Request) -> Any:
    """The request's JSON body, parsed once for the session's judge (``queries_only``) and the
    direct path (``SubgraphRouter._run_cached_query``); ValueError if it is not JSON."""
    parsed = request.scope.get(_PARSED_BODY)
    if parsed is None:
        try:
            parsed = from_json(await request.body())
        except ValueError as error:
            parsed = error
        request.scope[_PARSED_BODY] = parsed
    if isinstance(parsed, ValueError):
        raise parsed
    return parsed


async def queries_only(request: Request) -> bool:
    """Whether the request's document only queries (``shared.db.reads_only_when``)."""
    if request.method == "GET":
        return True  # Strawberry runs only queries sent with GET
    if request.headers.get("content-type", "").partition(";")[0].strip() != "application/json":
        return False  # multipart uploads are mutations
    try:
        body = await _json_body(request)
    except ValueError:
        return False  # Strawberry answers 400
    document = body.get("query") if isinstance(body, dict) else None
    return isinstance(document, str) and _only_queries(document)


# Apollo's names where one exists, so gateways and clients recognise them.
_CODES: dict[type[Problem], str] = {
    InvalidInput: "BAD_USER_INPUT",
    Unauthenticated: "UNAUTHENTICATED",
    Forbidden: "FORBIDDEN",
    NotFound: "NOT_FOUND",
    Conflict: "CONFLICT",
}


def error_code(problem: Problem) -> str:
    for cls in type(problem).__mro__:
        if cls in _CODES:
            return _CODES[cls]
    return problem.type_slug.upper().replace("-", "_")


def problem_extensions(problem: Problem) -> dict[str, Any]:
    """The same facts the REST problem details carry, under a GraphQL error code."""
    extensions: dict[str, Any] = {
        "code": error_code(problem),
        "status": problem.status,
        "type": TYPE_BASE + problem.type_slug,
    }
    if problem.errors:
        extensions["errors"] = problem.errors
    extensions.update(problem.extensions)
    return extensions


def is_expected(error: GraphQLError) -> bool:
    """Domain problems and GraphQL's own parse/validation errors are shown as they are."""
    original = error.original_error
    return original is None or isinstance(original, Problem | GraphQLError)


def parse_id(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput(
            f"'{value}' is not a valid id",
            errors=[field_error(field, "uuid", "must be a UUID", value)],
        ) from exc


def parse_choice(value: str, field: str, choices: tuple[str, ...]) -> str:
    """A string argument from a closed vocabulary kept as data in the tables."""
    if value not in choices:
        raise InvalidInput(
            f"'{value}' is not one of {', '.join(choices)}",
            errors=[field_error(field, "choice", f"must be one of {', '.join(choices)}", value)],
        )
    return value


def _add_problem_codes(errors: Sequence[GraphQLError] | None) -> None:
    for error in errors or ():
        if isinstance(error.original_error, Problem):
            error.extensions = {
                **(error.extensions or {}),
                **problem_extensions(error.original_error),
            }


def _record_nothing_written(execution: ExecutionContext, context: SubgraphContext) -> None:
    """A keyed mutation that wrote nothing (every field refused) is not recorded for replay
    (shared/idempotency.py): its retry runs again, as a refused REST write's does, so a
    transient refusal (``Conflict.retryAfter``) can succeed later."""
    if execution.graphql_document is None:
        return  # nothing ran
    try:
        mutation = execution.operation_type is OperationType.MUTATION
    except RuntimeError:  # no such operation in the document: nothing ran
        return
    if not mutation or context.writes or context.request is None:
        return
    claim = context.request.scope.get("state", {}).get(DEFERRED_COMMIT)
    if isinstance(claim, Claim):
        claim.record_nothing()


# Partners' systems and dashboards send the same few documents over and over: each is parsed
# and validated once (about a quarter of a subgraph's CPU per request otherwise,
# benchmarks.profile_layers). Bounded, so odd documents cannot grow them.
_parsed = lru_cache(maxsize=512)(parse)
# By the document's identity, the parsed one kept with its errors: a document is a tree of
# frozen dataclasses whose hash walks all of it on every lookup (what Strawberry's
# ValidationCache pays on every request).
_validated: LRUCache[Hashable, tuple[DocumentNode, list[GraphQLError]]] = LRUCache(maxsize=512)
# By the schema and the document's text, the documents Strawberry has parsed and validated
# without error: what the direct path (``SubgraphRouter.run``) may execute.
_ready: LRUCache[tuple[object, str], DocumentNode] = LRUCache(maxsize=512)
_STANDARD_RULES = tuple(specified_rules)


class SubgraphOperation(MaskErrors):
    """What every subgraph operation needs: its document parsed and validated once for all
    requests; once it has run, its loaders released, a keyed mutation that wrote nothing
    left unrecorded, messages of unexpected exceptions hidden (they may hold SQL, paths or
    secrets) and domain problems given their codes. One extension, not one for each:
    Strawberry runs every extension's hooks on every request."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        execution.graphql_document = _parsed(execution.query, **execution.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        assert document is not None  # parsed, or the operation ended with its syntax error
        schema = execution.schema._schema
        key = (id(document), schema, execution.validation_rules)
        cached = _validated.get(key)
        if cached is None or cached[0] is not document:
            errors = validate_document(schema, document, execution.validation_rules)
            cached = _validated[key] = (document, errors)
        execution.pre_execution_errors = cached[1]
        if (
            not cached[1]
            and execution.query is not None
            and not execution.parse_options
            and execution.validation_rules == _STANDARD_RULES
        ):
            _ready[execution.schema, execution.query] = document
        yield

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": INTERNAL_ERROR_CODE}
        return masked

    def on_operation(self) -> Iterator[None]:
        masking = super().on_operation()
        next(masking)
        yield
        execution = self.execution_context
        context = execution.context
        if isinstance(context, SubgraphContext):
            context.release()
            _record_nothing_written(execution, context)
        next(masking, None)  # MaskErrors' own work once the operation has run
        result = execution.result
        _add_problem_codes(result.errors if result is not None else None)


class SubgraphSchema(Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with a traceback; a 404 or a bad cursor is not news.
        super().process_errors([e for e in errors if not is_expected(e)], execution_context)


def subgraph_schema(
    query: type, *, mutation: type | None = None, types: Sequence[type] = ()
) -> SubgraphSchema:
    """``types``: entities no root field returns, which only ``_entities`` reaches;
    ``mutation``: the root fields that write (shared/mutations.py)."""
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        types=types,
        # The gateway composes the Federation v2 subset (@key, _entities, _service, ...);
        # pinned so a Strawberry upgrade cannot move the @link the gateway checks. 2.9 is
        # the first with @cost and @listSize, which the gateway's cost limit reads.
        federation_version="2.9",
        extensions=[SubgraphOperation],
        # Decimals in positional notation, never "9.0E+5" (shared/decimals.py).
        config=StrawberryConfig(scalar_map={Decimal: GraphQLDecimal}),
        # Pages of rows read field by field cost more than the rest of a request.
        execution_context_class=PlainFieldsExecutionContext,
    )


ContextT = TypeVar("ContextT", bound=SubgraphContext)


_PLAIN_JSON_ONLY = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_plain(value: object) -> NoReturn:
    raise TypeError(f"{type(value).__name__} is written by pydantic's encoder")


class SubgraphRouter(GraphQLRouter[ContextT, None]):
    def decode_json(self, data: str | bytes) -> object:
        # pydantic's parser (Rust) reads a request's body about twice as fast as json.loads.
        try:
            body = from_json(data)
        except ValueError as error:  # answered 400, as Strawberry answers json.loads' error
            raise json.JSONDecodeError(str(error), "", 0) from error
        if not isinstance(body, dict | list):
            # Strawberry reads the body as an object (or a batch) and would answer a string
            # or a number with a 500; its router answers its HTTPException as plain text.
            raise HTTPException(400, "The request body must be a JSON object")
        return body

    def encode_json(self, data: object) -> bytes:
        # The values are already GraphQL's output (strings, numbers, lists): orjson writes a
        # page of them about eight times faster than pydantic's encoder, byte for byte as it
        # does. Anything either writes its own way (timestamps, dataclasses, subclasses of
        # str, int, dict, list) or orjson cannot write (a Decimal, a set, bytes, an int beyond
        # 64 bits: an error's extensions) goes to pydantic's encoder, as before.
        try:
            return orjson.dumps(data, default=_not_plain, option=_PLAIN_JSON_ONLY)
        except TypeError:
            return to_json(data)

    def answer_posts(self, context_getter: Callable[..., Awaitable[ContextT]]) -> None:
        """Replaces Strawberry's POST route by one that answers a query whose document
        Strawberry has already parsed and validated without Strawberry's HTTP view and
        extension runner (``_run_cached_query``; about a fifth of a subgraph's CPU per
        request), and that takes the context straight from ``context_getter``: Strawberry's
        route reaches it through two more dependencies (one setting the request, response
        and background tasks on it, one giving a null root value), which FastAPI solves on
        every request. Everything else goes Strawberry's way."""
        path = self.prefix + "/graphql"
        self.routes[:] = [
            route
            for route in self.routes
            if not (
                isinstance(route, APIRoute)
                and route.path == path
                and "POST" in (route.methods or ())
            )
        ]

        async def handle_http_post(  # Strawberry's name: the same OpenAPI operation id
            request: Request,
            response: Response,
            background_tasks: BackgroundTasks,
            context: ContextT = Depends(context_getter),
        ) -> Response:
            # What Strawberry's context dependency does with a BaseContext.
            context.request = request
            context.background_tasks = background_tasks
            context.response = response
            # Strawberry's router gives no root value unless given a getter (this one is not).
            answer = await self._run_cached_query(request, context, None, response)
            if answer is not None:
                return answer
            self.temporal_response = response  # as Strawberry's own route
            try:
                answered: Response = await self.run(
                    request=request, context=context, root_value=None
                )
            except HTTPException as error:
                return PlainTextResponse(error.reason, status_code=error.status_code)
            return answered

        self.add_api_route("/graphql", handle_http_post, methods=["POST"])

    async def _run_cached_query(
        self, request: Request, context: ContextT, root_value: Any, sub_response: Response
    ) -> Response | None:
        """None: the request is not a cached query sent as JSON (Strawberry answers it)."""
        schema = self.schema
        if (
            request.method != "POST"
            or not _is_json(request.headers.get("content-type", ""))
            or self._stream_transport_map  # streamed answers: Strawberry's
            or not isinstance(schema, SubgraphSchema)
            or schema.directives  # Strawberry adds an extension for them
            or schema.config.enable_experimental_incremental_execution
        ):
            return None
        try:
            body = await _json_body(request)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None  # a batch, or Strawberry's 400
        query = body.get("query")
        variables = body.get("variables")
        extensions = body.get("extensions")
        operation_name = body.get("operationName")
        if (
            not isinstance(query, str)
            or not isinstance(variables, dict | None)
            or not isinstance(extensions, dict | None)
            or not isinstance(operation_name, str | None)
        ):
            return None
        document = _ready.get((schema, query))
        if document is None:
            return None  # first sight, or an invalid document: Strawberry's errors
        operation = _operation(document, operation_name)
        if operation is None or operation.operation is not DocumentOperationType.QUERY:
            return None  # a mutation, or Strawberry's 400 for a missing operation
        try:
            executed = await await_maybe(
                execute(
                    schema._schema,
                    document,
                    root_value=root_value,
                    # What Strawberry builds from extensions that resolve: none here.
                    middleware=MiddlewareManager(),
                    variable_values=variables,
                    # Strawberry names the operation it runs, the first one if none given.
                    operation_name=operation.name.value if operation.name else None,
                    context_value=context,
                    is_awaitable=cast(Any, optimized_is_awaitable),
                    **execution_context_class_kwargs(schema.execution_context_class),
                    operation_extensions=extensions,
                )
            )
        except Exception as error:  # Strawberry answers it as an error
            # As Strawberry: its extensions' hooks end with the exception, unmasked.
            errors = [error if isinstance(error, GraphQLError) else _coerced(error)]
            # Strawberry's logger does not read the execution context.
            schema._process_errors(errors, None)
            result = ExecutionResult(data=None, errors=errors, extensions={})
        else:
            if executed.errors:
                # Logged before they are masked, as Strawberry does.
                schema._process_errors(executed.errors, None)
            if isinstance(context, SubgraphContext):
                context.release()  # a query: nothing to record (_record_nothing_written)
            finish = SubgraphOperation()
            finish._process_result(executed)
            _add_problem_codes(executed.errors)
            # SubgraphOperation's results: none.
            result = ExecutionResult(data=executed.data, errors=executed.errors, extensions={})
        answer = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, answer)
        return self.create_response(answer, sub_response)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one it names, or the document's only one."""
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    named = [
        operation for operation in operations if operation.name and operation.name.value == name
    ]
    return named[0] if len(named) == 1 else None


def _coerced(error: Exception) -> GraphQLError:
    return GraphQLError(str(error), original_error=error)


def subgraph_router(
    schema: SubgraphSchema,
    context_getter: Callable[..., Awaitable[ContextT]],
    *,
    reads_only_queries: bool = False,
) -> GraphQLRouter[ContextT, None]:
    """``context_getter`` is a FastAPI dependency: an invalid or missing identity token fails
    there with a 401 problem, before Strawberry runs anything (it would answer 200).

    ``reads_only_queries``: a request whose document only queries gets a session that runs
    each statement on its own, like a REST route marked ``shared.db.reads_only``: at READ
    COMMITTED each statement takes its own snapshot either way, and the BEGIN and COMMIT
    round trips of a small read are saved, as is the session's transaction (a list read
    goes to the pool's connection directly, ``shared.sql.CompiledQueries``). Mutations,
    and keyed requests (shared/idempotency.py), keep the request's transaction."""
    router = SubgraphRouter(
        schema,
        path="/graphql",
        context_getter=context_getter,
        # Every request needs an identity token a browser IDE cannot send; the gateway
        # serves the IDE for the composed graph.
        graphql_ide=None,
        tags=["graphql"],
    )
    router.answer_posts(context_getter)
    if reads_only_queries:
        mark = reads_only_when(queries_only)
        for route in router.routes:
            if isinstance(route, APIRoute):  # Strawberry's GET and POST handlers
                mark(route.endpoint)
    return router
