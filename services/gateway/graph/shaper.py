"""Result shaping: the merged subgraph data becomes the client's response, in the client's
field order and aliases, without the fields the gateway added, with non-null propagation.

The shape of each selection is compiled once per plan (fragments, ``@skip``/``@include``
already decided), so shaping a response is a walk over data, not a GraphQL execution.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)

Collect = Callable[[GraphQLObjectType, Sequence[SelectionSetNode]], dict[str, list[FieldNode]]]
Path = tuple[str | int, ...]


@dataclass
class ShapeField:
    key: str
    name: str
    parent: str
    type: GraphQLOutputType
    nodes: tuple[FieldNode, ...]
    # None for leaves and __typename
    selection: "Selection | None"
    # Enum values a subgraph may return that clients must not see (@inaccessible).
    hidden: frozenset[str] = frozenset()


@dataclass
class Selection:
    """The fields to return for each object type a value may have."""

    by_type: dict[str, tuple[ShapeField, ...]]
    abstract: bool


class _Null(Exception):
    """A null reached a non-null position: the nearest nullable parent becomes null."""


def compile_selection(
    schema: GraphQLSchema,
    collect: Collect,
    object_types: Sequence[GraphQLObjectType],
    nodes: Sequence[FieldNode] | None,
    root_selection: SelectionSetNode | None = None,
    hidden_values: Mapping[str, frozenset[str]] | None = None,
) -> Selection:
    by_type: dict[str, tuple[ShapeField, ...]] = {}
    selection_sets = (
        [root_selection]
        if root_selection is not None
        else [n.selection_set for n in nodes or () if n.selection_set is not None]
    )
    for object_type in object_types:
        fields: list[ShapeField] = []
        for key, field_nodes in collect(object_type, selection_sets).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                fields.append(ShapeField(key, name, object_type.name, object_type, (), None))
                continue
            definition = object_type.fields[name]
            named = get_named_type(definition.type)
            child: Selection | None = None
            if not is_leaf_type(named):
                if is_abstract_type(named):
                    possible = list(schema.get_possible_types(named))
                    child = compile_selection(
                        schema, collect, possible, field_nodes, None, hidden_values
                    )
                    child.abstract = True
                else:
                    assert isinstance(named, GraphQLObjectType)
                    child = compile_selection(
                        schema, collect, [named], field_nodes, None, hidden_values
                    )
            fields.append(
                ShapeField(
                    key,
                    name,
                    object_type.name,
                    definition.type,
                    tuple(field_nodes),
                    child,
                    (hidden_values or {}).get(named.name, frozenset()),
                )
            )
        by_type[object_type.name] = tuple(fields)
    return Selection(by_type=by_type, abstract=False)


class Shaper:
    """Shapes one response; records an error for each null in a non-null position."""

    def __init__(self, typename_key: str) -> None:
        self.typename_key = typename_key
        self.errors: list[GraphQLError] = []

    def shape(self, selection: Selection, root_type: str, data: dict[str, Any]) -> Any:
        try:
            return self._object(selection.by_type[root_type], data, ())
        except _Null:
            return None

    def _object(self, fields: tuple[ShapeField, ...], value: dict[str, Any], path: Path) -> Any:
        result: dict[str, Any] = {}
        for field in fields:
            if field.name == "__typename":
                result[field.key] = field.parent
                continue
            # A non-null field that ends up null makes this whole object null.
            result[field.key] = self._complete(
                field.type, value.get(field.key), field, (*path, field.key)
            )
        return result

    def _complete(self, type_: GraphQLOutputType, raw: Any, field: ShapeField, path: Path) -> Any:
        if isinstance(type_, GraphQLNonNull):
            try:
                completed = self._complete(type_.of_type, raw, field, path)
            except _Null:
                raise
            if completed is None:
                if raw is None:
                    self._error(
                        f"Cannot return null for non-nullable field {field.parent}.{field.name}.",
                        field,
                        path,
                    )
                raise _Null()
            return completed
        if raw is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(raw, list):
                self._error(f"Expected a list for {field.parent}.{field.name}.", field, path)
                return None
            try:
                return [
                    self._complete(type_.of_type, item, field, (*path, index))
                    for index, item in enumerate(raw)
                ]
            except _Null:
                return None
        selection = field.selection
        if selection is None:
            if field.hidden and raw in field.hidden:
                self._error(
                    f"{field.parent}.{field.name} got a value clients may not see "
                    "(an @inaccessible enum value)",
                    field,
                    path,
                )
                return None
            return raw  # leaves come serialized from the subgraphs
        if not isinstance(raw, dict):
            self._error(f"Expected an object for {field.parent}.{field.name}.", field, path)
            return None
        type_name = raw.get(self.typename_key) if selection.abstract else None
        fields = (
            selection.by_type.get(type_name) if selection.abstract and type_name else None
        ) or (None if selection.abstract else next(iter(selection.by_type.values())))
        if fields is None:
            # Also a type clients may not see (@inaccessible), which a subgraph returned.
            self._error(f"Could not resolve the type of {field.parent}.{field.name}.", field, path)
            return None
        try:
            return self._object(fields, raw, path)
        except _Null:
            return None

    def _error(self, message: str, field: ShapeField, path: Path) -> None:
        self.errors.append(GraphQLError(message, nodes=list(field.nodes) or None, path=list(path)))
