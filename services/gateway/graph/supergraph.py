"""The composed graph: the public schema plus what the planner, the executor and the cost
limit need to know about the subgraphs behind it."""

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema

# A selection of fields from a ``fields: "..."`` argument (@key, @requires, @provides):
# each field's name with the fields selected inside it (empty for a leaf).
FieldTree = tuple[tuple[str, "FieldTree"], ...]


def tree_names(tree: FieldTree) -> tuple[str, ...]:
    return tuple(name for name, _ in tree)


def subtree(tree: FieldTree, name: str) -> FieldTree:
    return next((inner for found, inner in tree if found == name), ())


def merge_trees(*trees: FieldTree) -> FieldTree:
    merged: dict[str, list[FieldTree]] = {}
    for tree in trees:
        for name, inner in tree:
            merged.setdefault(name, []).append(inner)
    return tuple((name, merge_trees(*inner)) for name, inner in merged.items())


def print_tree(tree: FieldTree) -> str:
    return " ".join(f"{name} {{ {print_tree(inner)} }}" if inner else name for name, inner in tree)


@dataclass(frozen=True)
class EntityKey:
    """One ``@key`` of an entity in one subgraph: its scalar fields, and whether the
    subgraph resolves representations by it (``resolvable: false`` only references)."""

    fields: tuple[str, ...]
    resolvable: bool = True


@dataclass(frozen=True)
class ListSize:
    """A field's ``@listSize``: how many items it returns, for the cost limit."""

    assumed_size: int | None = None
    # Arguments whose value is the page size (``first``); the largest given one counts.
    slicing_arguments: tuple[str, ...] = ()
    # Child fields that hold the items (a connection's ``items``), when the field itself
    # is not the list.
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


@dataclass
class CostModel:
    """The ``@cost`` and ``@listSize`` declarations of the subgraphs, merged."""

    # type -> field -> weight; a field's own @cost wins over its type's.
    field_weights: dict[str, dict[str, int]] = field(default_factory=dict)
    type_weights: dict[str, int] = field(default_factory=dict)
    # type -> field -> argument -> weight, counted when the argument is given.
    argument_weights: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    list_sizes: dict[str, dict[str, ListSize]] = field(default_factory=dict)

    def list_size(self, type_name: str, field_name: str) -> ListSize | None:
        return self.list_sizes.get(type_name, {}).get(field_name)


@dataclass
class Supergraph:
    """The composed graph: the public schema and what the planner needs to split an
    operation between subgraphs."""

    schema: GraphQLSchema
    sdl: str
    subgraphs: tuple[str, ...]
    # type -> field -> subgraphs that resolve it (inaccessible fields included: the
    # planner may still select them as keys). A field a subgraph only declares
    # @external is not resolved there.
    owners: dict[str, dict[str, tuple[str, ...]]]
    # entity type -> subgraph -> its keys there
    keys: dict[str, dict[str, tuple[EntityKey, ...]]]
    # subgraph -> the types it defines (fragments naming another type cannot be forwarded)
    subgraph_types: dict[str, frozenset[str]]
    # subgraph -> abstract type -> object types that subgraph may return for it
    possible_types: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)
    # type -> field -> subgraph -> the fields of the object it needs (@requires): that
    # subgraph resolves the field only through _entities, given those fields.
    requires: dict[str, dict[str, dict[str, FieldTree]]] = field(default_factory=dict)
    # type -> field -> subgraph -> fields of the returned object that subgraph resolves
    # along this field although it declares them @external (@provides).
    provides: dict[str, dict[str, dict[str, FieldTree]]] = field(default_factory=dict)
    # enum -> values a subgraph may return that the public schema does not have
    # (@inaccessible): a client must never see them.
    hidden_values: dict[str, frozenset[str]] = field(default_factory=dict)
    # Named types whose values may carry what clients must not see (enums with hidden
    # values, abstract types a subgraph may resolve to an @inaccessible object type): a
    # subgraph's answer naming them is checked, never forwarded as it is.
    leaky_types: frozenset[str] = frozenset()
    cost: CostModel = field(default_factory=CostModel)

    def field_owners(self, type_name: str, field_name: str) -> tuple[str, ...]:
        return self.owners.get(type_name, {}).get(field_name, ())

    def required_fields(self, type_name: str, field_name: str, subgraph: str) -> FieldTree | None:
        return self.requires.get(type_name, {}).get(field_name, {}).get(subgraph)

    def provided_fields(self, type_name: str, field_name: str, subgraph: str) -> FieldTree:
        return self.provides.get(type_name, {}).get(field_name, {}).get(subgraph, ())

    def resolves_directly(self, type_name: str, field_name: str, subgraph: str) -> bool:
        """``subgraph`` resolves the field on objects it returns itself (no @requires)."""
        return subgraph in self.field_owners(type_name, field_name) and (
            self.required_fields(type_name, field_name, subgraph) is None
        )

    def entity_key(self, type_name: str, source: str, target: str) -> EntityKey | None:
        """A key ``target`` resolves ``type_name`` by, whose fields ``source`` can select."""
        for key in self.keys.get(type_name, {}).get(target, ()):
            if key.resolvable and all(
                source in self.field_owners(type_name, name) for name in key.fields
            ):
                return key
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "subgraphs": list(self.subgraphs),
            "fields": {
                f"{type_name}.{field_name}": list(owners)
                for type_name, fields in sorted(self.owners.items())
                for field_name, owners in fields.items()
            },
            "entities": {
                type_name: {
                    subgraph: [
                        {"fields": list(key.fields), "resolvable": key.resolvable} for key in keys
                    ]
                    for subgraph, keys in by_subgraph.items()
                }
                for type_name, by_subgraph in sorted(self.keys.items())
            },
            "requires": {
                f"{type_name}.{field_name}": {
                    subgraph: print_tree(tree) for subgraph, tree in by_subgraph.items()
                }
                for type_name, fields in sorted(self.requires.items())
                for field_name, by_subgraph in fields.items()
            },
        }
