"""Limits every GraphQL operation must pass before the gateway calls any subgraph."""

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)

from services.gateway.graph.errors import RequestError
from services.gateway.graph.supergraph import ListSize, Supergraph

# Defined with the gateway's settings, which `score up` reads (for the ports) without
# importing graphql-core; also known by this module's name.
from services.gateway.settings import GraphLimits as GraphLimits

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


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
    """Each field weighs 1 (or its ``@cost``, or its type's), plus the ``@cost`` of the
    arguments given; a list field multiplies what it selects by its size: the largest
    slicing argument of its ``@listSize`` (``first``), else its assumed size, else the
    configured default. ``sizedFields`` moves that multiplier to the child fields that
    hold the items (a connection's ``items``)."""

    def __init__(
        self,
        supergraph: Supergraph,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        default_list_size: int,
    ) -> None:
        self.schema = supergraph.schema
        self.model = supergraph.cost
        self.fragments = fragments
        self.variables = variables
        self.default_list_size = default_list_size
        self._memo: dict[tuple[str, frozenset[tuple[str, int]]], int] = {}
        # Variables whose values the estimate read.
        self.read: set[str] = set()

    def _argument(self, node: FieldNode, definition: GraphQLField, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = argument.value
                if isinstance(value, IntValueNode):
                    return int(value.value)
                if isinstance(value, VariableNode):
                    self.read.add(value.name.value)
                    return self.variables.get(value.name.value)
                return None
        found = definition.args.get(name)
        return found.default_value if found is not None else None

    def _size(self, node: FieldNode, definition: GraphQLField, declared: ListSize) -> int:
        sizes = [
            value
            for name in declared.slicing_arguments
            if isinstance(value := self._argument(node, definition, name), int)
        ]
        if sizes:
            return max(sizes)
        return declared.assumed_size or self.default_list_size

    def _weight(self, parent: str, node: FieldNode, definition: GraphQLField) -> int:
        name = node.name.value
        weight = self.model.field_weights.get(parent, {}).get(name)
        if weight is None:
            weight = self.model.type_weights.get(get_named_type(definition.type).name, 1)
        given = {argument.name.value for argument in node.arguments or ()}
        for argument, extra in self.model.argument_weights.get(parent, {}).get(name, {}).items():
            if argument in given:
                weight += extra
        return max(weight, 0)  # a negative @cost lightens a field, never below nothing

    def of(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, sized: Mapping[str, int]
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, sized)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.of(selection.selection_set, condition or parent, sized)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, sized)
        return total

    def fragment(self, name: str, sized: Mapping[str, int]) -> int:
        key = (name, frozenset(sized.items()))
        if key not in self._memo:
            definition = self.fragments[name]
            condition = self.schema.get_type(definition.type_condition.name.value)
            assert condition is not None  # the document is validated
            self._memo[key] = self.of(definition.selection_set, condition, sized)
        return self._memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, sized: Mapping[str, int]) -> int:
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and introspection: counted field by field
            inner = self.of(node.selection_set, parent, {}) if node.selection_set else 0
            return 1 + inner
        weight = self._weight(parent.name, node, definition)
        if node.selection_set is None:
            return weight
        declared = self.model.list_size(parent.name, node.name.value)
        child_sized: dict[str, int] = {}
        if node.name.value in sized:
            multiplier = sized[node.name.value]
        elif declared is not None and declared.sized_fields:
            multiplier = 1
            size = self._size(node, definition, declared)
            child_sized = dict.fromkeys(declared.sized_fields, size)
        elif declared is not None:
            multiplier = self._size(node, definition, declared)
        elif is_list_type(get_nullable_type(definition.type)):
            multiplier = self.default_list_size
        else:
            multiplier = 1
        named = get_named_type(definition.type)
        return weight + multiplier * self.of(node.selection_set, named, child_sized)


def estimate_cost(
    supergraph: Supergraph,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    default_list_size: int,
) -> tuple[int, tuple[str, ...]]:
    """The operation's estimated cost (validated document, coerced variables), and the
    variables it depends on (page sizes): the same values give the same cost."""
    root = supergraph.schema.get_root_type(operation.operation)
    assert root is not None  # the document is validated
    walk = _Cost(supergraph, fragments, variables, default_list_size)
    return walk.of(operation.selection_set, root, {}), tuple(sorted(walk.read))


def check_cost(cost: int, limits: GraphLimits) -> None:
    if cost > limits.max_cost:
        raise _exceeded(
            "The operation's estimated cost is {actual}; at most {limit} is allowed "
            "(each field costs 1 or its declared @cost, times the sizes of the lists "
            "around it: their page size or declared @listSize)",
            cost,
            limits.max_cost,
            "COST_LIMIT_EXCEEDED",
        )
