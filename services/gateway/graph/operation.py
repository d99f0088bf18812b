"""Client documents, checked once and cached: parsed (token limit), shape limits, validated
against the public schema, with their plans per operation and ``@skip``/``@include``
values."""

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    parse,
    validate,
    visit,
)

from services.gateway.graph.composer import Supergraph
from services.gateway.graph.errors import MutationOverGet, RequestError, RequestErrors
from services.gateway.graph.limits import (
    INTROSPECTION_FIELDS,
    GraphLimits,
    check_shape,
    estimate_cost,
)
from services.gateway.graph.planner import (
    Planner,
    QueryPlan,
    condition_variables,
    response_names,
    single_subgraph,
)
from shared.request_guard import text_problem

# Plans of one operation for different @skip/@include values: bounded, since each
# condition variable can double them.
PLANS_PER_OPERATION = 16
# Costs of one operation remembered for different page sizes.
COSTS_PER_OPERATION = 64
# POST bodies remembered whole (``KnownQuery``) up to this size: a client's usual queries,
# not a bulk of variables held in memory.
KNOWN_BODY_BYTES = 16_384

K = TypeVar("K")
V = TypeVar("V")


class _LRU(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value


class _UnstorableText(Visitor):
    """String literals holding what no service stores: the NUL character, written as an
    escape (a lone surrogate is already a syntax error). The services refuse it in variables
    and JSON bodies; a literal reached their database as it was (an unexpected error)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[GraphQLError] = []

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        found = text_problem(node.value)
        if found is not None:
            rule, message = found
            self.errors.append(GraphQLError(message, node, extensions={"rule": rule}))


def _unstorable_text(source: str, document: DocumentNode) -> list[GraphQLError]:
    if "\\u" not in source:  # only an escape writes the NUL character into a document
        return []
    visitor = _UnstorableText()
    visit(document, visitor)
    return visitor.errors


def _formatted(errors: list[GraphQLError], code: str) -> list[dict[str, object]]:
    result: list[dict[str, object]] = []
    for error in errors:
        formatted: dict[str, object] = dict(error.formatted)
        formatted["extensions"] = {**(error.extensions or {}), "code": code}
        result.append(formatted)
    return result


@dataclass
class PreparedOperation:
    """One operation of a valid document, with what planning and execution reuse."""

    schema: GraphQLSchema
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    conditions: tuple[str, ...]
    introspection: bool
    # The subgraph that runs the whole document unchanged, if one can.
    passthrough: str | None
    reserved_names: frozenset[str]
    plans: dict[tuple[bool, ...], QueryPlan] = field(default_factory=dict)
    # Estimated costs by the values of the variables they depend on (page sizes).
    cost_variables: tuple[str, ...] | None = None
    costs: dict[tuple[Any, ...], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KnownQuery:
    """A POST body met before whose query one subgraph answers whole: what its checks and
    plan came to, and the request that subgraph gets (``encoded``: its bytes, if written)."""

    subgraph: str
    plan: QueryPlan
    prepared: PreparedOperation
    variables: dict[str, Any]
    operation_name: str | None
    payload: dict[str, Any]
    encoded: bytes | None


@dataclass
class _Document:
    document: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    operations: dict[str | None, OperationDefinitionNode]
    validation_errors: list[dict[str, object]] | None = None
    validated: bool = False
    prepared: dict[str | None, PreparedOperation] = field(default_factory=dict)


def _uses_introspection(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> bool:
    seen: set[str] = set()
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    stack.append(fragments[name].selection_set)
    return False


class OperationCache:
    """Documents and plans of one composed graph (a new graph starts a new cache)."""

    def __init__(self, supergraph: Supergraph, limits: GraphLimits) -> None:
        self.supergraph = supergraph
        self.limits = limits
        self._documents: _LRU[str, _Document] = _LRU(limits.plan_cache_size)
        self._known: _LRU[bytes, KnownQuery] = _LRU(limits.plan_cache_size)
        self.plans_built = 0
        # Requests whose operation went through ``prepare`` (the checks, cached or not).
        self.operations_checked = 0

    def known(self, body: bytes) -> KnownQuery | None:
        """What a POST body met before came to, if it was a query one subgraph answers."""
        return self._known.get(body)

    def remember(self, body: bytes, known: KnownQuery) -> None:
        if len(body) <= KNOWN_BODY_BYTES:
            self._known.put(body, known)

    def _parse(self, source: str) -> _Document:
        found = self._documents.get(source)
        if found is not None:
            return found
        try:
            document = parse(
                source,
                no_location=False,
                max_lexical_tokens=self.limits.max_tokens,
                max_comments=self.limits.max_tokens,
            )
        except GraphQLError as exc:
            if "Parsing aborted" in exc.message:
                limit = self.limits.max_tokens
                raise RequestError(
                    f"The document has more than {limit} tokens (or comments); "
                    f"at most {limit} are allowed",
                    "TOKEN_LIMIT_EXCEEDED",
                    extensions={"limit": limit},
                ) from exc
            raise RequestErrors(
                _formatted([exc], "GRAPHQL_PARSE_FAILED"), "GRAPHQL_PARSE_FAILED"
            ) from exc
        unstorable = _unstorable_text(source, document)
        if unstorable:
            raise RequestErrors(_formatted(unstorable, "BAD_USER_INPUT"), "BAD_USER_INPUT")
        fragments: dict[str, FragmentDefinitionNode] = {}
        operations: dict[str | None, OperationDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                operations.setdefault(name, definition)
        return self._documents.put(source, _Document(document, fragments, operations))

    @staticmethod
    def _select(parsed: _Document, operation_name: str | None) -> OperationDefinitionNode:
        if operation_name is None:
            if len(parsed.operations) == 1:
                return next(iter(parsed.operations.values()))
            if not parsed.operations:
                raise RequestError("The document contains no operation", "BAD_REQUEST")
            raise RequestError(
                "The document contains several operations; name one in operationName",
                "OPERATION_RESOLUTION_FAILURE",
            )
        found = parsed.operations.get(operation_name)
        if found is None:
            raise RequestError(
                f"The document has no operation named '{operation_name}'",
                "OPERATION_RESOLUTION_FAILURE",
            )
        return found

    def prepare(
        self, source: str, operation_name: str | None, *, allow_mutation: bool = True
    ) -> PreparedOperation:
        """Parse, select the operation, check its shape, validate the document."""
        self.operations_checked += 1
        parsed = self._parse(source)
        prepared = parsed.prepared.get(operation_name)
        operation = prepared.operation if prepared else self._select(parsed, operation_name)
        if operation.operation is OperationType.MUTATION and not allow_mutation:
            raise MutationOverGet()
        if prepared is not None:
            return prepared
        check_shape(operation, parsed.fragments, self.limits)
        if not parsed.validated:
            errors = validate(self.supergraph.schema, parsed.document, max_errors=20)
            parsed.validation_errors = (
                _formatted(errors, "GRAPHQL_VALIDATION_FAILED") if errors else None
            )
            parsed.validated = True
        if parsed.validation_errors:
            raise RequestErrors(parsed.validation_errors, "GRAPHQL_VALIDATION_FAILED")
        operations = [
            d for d in parsed.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        passthrough = single_subgraph(self.supergraph, operations, parsed.fragments)
        prepared = PreparedOperation(
            schema=self.supergraph.schema,
            document=parsed.document,
            operation=operation,
            fragments=parsed.fragments,
            conditions=condition_variables(operation, parsed.fragments),
            introspection=_uses_introspection(operation.selection_set, parsed.fragments),
            passthrough=passthrough,
            reserved_names=frozenset(response_names(operation, parsed.fragments)),
        )
        parsed.prepared[operation_name] = prepared
        return prepared

    def cost(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> int:
        """The operation's estimated cost, computed once per page size."""
        if prepared.cost_variables is not None:
            key = tuple(repr(variables.get(name)) for name in prepared.cost_variables)
            found = prepared.costs.get(key)
            if found is not None:
                return found
        cost, depends_on = estimate_cost(
            self.supergraph,
            prepared.operation,
            prepared.fragments,
            variables,
            self.limits.default_list_size,
        )
        prepared.cost_variables = depends_on
        if len(prepared.costs) < COSTS_PER_OPERATION:
            key = tuple(repr(variables.get(name)) for name in depends_on)
            prepared.costs[key] = cost
        return cost

    def plan(self, prepared: PreparedOperation, variables: Mapping[str, Any]) -> QueryPlan:
        key = tuple(bool(variables.get(name)) for name in prepared.conditions)
        found = prepared.plans.get(key)
        if found is not None:
            return found
        plan = Planner(
            self.supergraph,
            prepared.operation,
            prepared.fragments,
            variables,
            reserved_names=prepared.reserved_names,
        ).plan()
        plan.passthrough = prepared.passthrough
        self.plans_built += 1
        if len(prepared.plans) >= PLANS_PER_OPERATION:
            del prepared.plans[next(iter(prepared.plans))]
        prepared.plans[key] = plan
        return plan
