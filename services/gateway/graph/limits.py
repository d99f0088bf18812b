"""Limits every GraphQL operation must pass before the gateway calls any subgraph."""

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from pydantic import BaseModel, Field

from services.gateway.graph.errors import RequestError

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# Arguments that say how many items a list field returns (cursor pagination's page size).
PAGE_SIZE_ARGUMENTS = ("first", "last", "limit", "pageSize")


class GraphLimits(BaseModel):
    """Configured as ``SCORE_GATEWAY_GRAPHQL__<NAME>`` (for example ``..._MAX_DEPTH=12``)."""

    max_body_bytes: int = Field(default=100_000, gt=0)
    max_tokens: int = Field(default=5_000, gt=0)
    max_depth: int = Field(default=12, gt=0)
    max_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=20, gt=0)
    # Estimated cost: each field costs 1, multiplied by the page size of enclosing lists.
    max_cost: int = Field(default=50_000, gt=0)
    # Introspection for everyone (development); otherwise only callers with the admin scope.
    introspection: bool = False
    # Items assumed for a list field without a page-size argument (first, last, limit).
    default_list_size: int = Field(default=10, gt=0)
    # Parsed documents and plans kept, most recently used first.
    plan_cache_size: int = Field(default=500, gt=0)


def _exceeded(message: str, actual: int, limit: int, code: str) -> RequestError:
    return RequestError(
        message.format(actual=actual, limit=limit),
        code,
        extensions={"limit": limit, "actual": actual},
    )


class _Walker:
    """Walks one operation with each fragment measured once (fragments used many times
    cannot blow up the walk), guarding against cycles the validation rejects later."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self._depth: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._active: set[str] = set()

    def _fragment(
        self, name: str, memo: dict[str, int], measure: Callable[[SelectionSetNode], int]
    ) -> int:
        if name in memo:
            return memo[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return 0
        self._active.add(name)
        try:
            memo[name] = measure(fragment.selection_set)
        finally:
            self._active.discard(name)
        return memo[name]

    def depth(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                # Introspection nesting has its own validation rule (MaxIntrospectionDepth).
                inner = (
                    self.depth(selection.selection_set)
                    if selection.selection_set and selection.name.value not in INTROSPECTION_FIELDS
                    else 0
                )
                deepest = max(deepest, 1 + inner)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(
                    deepest, self._fragment(selection.name.value, self._depth, self.depth)
                )
        return deepest

    def aliases(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1 if selection.alias else 0
                if selection.selection_set:
                    count += self.aliases(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.aliases(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value, self._aliases, self.aliases)
        return count

    def root_keys(self, selection_set: SelectionSetNode, keys: set[str]) -> set[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value != "__typename":
                    keys.add((selection.alias or selection.name).value)
            elif isinstance(selection, InlineFragmentNode):
                self.root_keys(selection.selection_set, keys)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in self._active:
                    self._active.add(name)
                    self.root_keys(fragment.selection_set, keys)
                    self._active.discard(name)
        return keys


def check_shape(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: GraphLimits,
) -> None:
    """Depth, aliases and root fields: run before validation, whose cost they bound."""
    walker = _Walker(fragments)
    depth = walker.depth(operation.selection_set)
    if depth > limits.max_depth:
        raise _exceeded(
            "The operation nests fields {actual} levels deep; at most {limit} are allowed",
            depth,
            limits.max_depth,
            "DEPTH_LIMIT_EXCEEDED",
        )
    aliases = walker.aliases(operation.selection_set)
    if aliases > limits.max_aliases:
        raise _exceeded(
            "The operation uses {actual} aliases; at most {limit} are allowed",
            aliases,
            limits.max_aliases,
            "ALIAS_LIMIT_EXCEEDED",
        )
    roots = len(walker.root_keys(operation.selection_set, set()))
    if roots > limits.max_root_fields:
        raise _exceeded(
            "The operation selects {actual} root fields; at most {limit} are allowed",
            roots,
            limits.max_root_fields,
            "ROOT_FIELD_LIMIT_EXCEEDED",
        )


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        default_list_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_list_size = default_list_size
        self._memo: dict[tuple[str, bool], int] = {}

    def page_size(self, node: FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_SIZE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = self.variables.get(value.name.value)
                if isinstance(found, int):
                    return found
        return None

    def of(self, selection_set: SelectionSetNode, parent: GraphQLNamedType, paged: bool) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, paged)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.of(selection.selection_set, condition or parent, paged)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, paged)
        return total

    def fragment(self, name: str, paged: bool) -> int:
        key = (name, paged)
        if key not in self._memo:
            definition = self.fragments[name]
            condition = self.schema.get_type(definition.type_condition.name.value)
            assert condition is not None  # the document is validated
            self._memo[key] = self.of(definition.selection_set, condition, paged)
        return self._memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, paged: bool) -> int:
        if node.selection_set is None:
            return 1
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        if definition is None:  # introspection: counted field by field
            return 1 + self.of(node.selection_set, parent, True)
        size = self.page_size(node)
        if size is not None:
            multiplier = size
        elif is_list_type(get_nullable_type(definition.type)) and not paged:
            multiplier = self.default_list_size
        else:
            multiplier = 1
        named = get_named_type(definition.type)
        return 1 + multiplier * self.of(node.selection_set, named, size is not None)


def check_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    limits: GraphLimits,
) -> int:
    """The operation's estimated cost (validated document, coerced variables)."""
    root = schema.get_root_type(operation.operation)
    assert root is not None  # the document is validated
    cost = _Cost(schema, fragments, variables, limits.default_list_size).of(
        operation.selection_set, root, False
    )
    if cost > limits.max_cost:
        raise _exceeded(
            "The operation's estimated cost is {actual}; at most {limit} is allowed "
            "(each field costs 1, times the page size of the lists around it)",
            cost,
            limits.max_cost,
            "COST_LIMIT_EXCEEDED",
        )
    return cost
