"""Composition: the subgraphs' federation SDLs become one public schema plus the facts the
planner needs (which subgraphs resolve each field, each entity's keys, what a field
requires or provides).

The supported subset of Apollo Federation v2: ``@key`` on scalar fields (also
``resolvable: false``), ``@shareable`` (root fields included), ``@inaccessible``,
``@external`` with ``@requires`` and ``@provides`` (selections of fields, nested allowed),
``@cost`` and ``@listSize`` (read by the cost limit), ``@link``/``@composeDirective``
bookkeeping, ``_service`` and ``_entities``. Anything else is refused with a
``CompositionError`` that names the subgraph, the type and the field.

The merging rules are Federation 2's, and a test holds them to a reference composer:
output field types merge to the least restrictive of their definitions (nullable where any
is, the common supertype), input types to the intersection of their fields and the most
restrictive types, enums by where they are used (output: every value; input: the values
all subgraphs know; both: the same values everywhere), minus ``@inaccessible`` ones.
"""

from collections.abc import Iterable, Mapping
from typing import cast

from graphql import (
    ConstDirectiveNode,
    ConstValueNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    print_ast,
    print_schema,
    validate_schema,
)

from services.gateway.graph.errors import CompositionError
from services.gateway.graph.subgraph import (
    BUILT_IN_DIRECTIVES,
    ROOT_NAMES,
    FieldInfo,
    SubgraphSchema,
    TypeInfo,
    named_type,
)
from services.gateway.graph.supergraph import (
    CostModel,
    EntityKey,
    FieldTree,
    ListSize,
    Supergraph,
)

__all__ = ["CompositionError", "EntityKey", "ListSize", "Supergraph", "compose"]

Holder = tuple[SubgraphSchema, FieldInfo]
_KIND_NAMES = {
    "object": "an object type",
    "interface": "an interface",
    "union": "a union",
    "enum": "an enum",
    "input": "an input type",
    "scalar": "a scalar",
}


def compose(sdls: Mapping[str, str]) -> Supergraph:
    """Compose the subgraphs' SDLs (subgraph name -> SDL). Subgraphs whose schema defines
    nothing (only the federation plumbing) take no part; the rest are merged in name
    order, so the result does not depend on the order they were fetched in."""
    if not sdls:
        raise CompositionError("there are no subgraphs to compose")
    subgraphs = [SubgraphSchema(name, sdls[name]) for name in sorted(sdls)]
    subgraphs = [s for s in subgraphs if not s.is_empty]
    if not subgraphs:
        raise CompositionError("no subgraph defines any type")
    return _Composer(subgraphs).compose()


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unique_directives(nodes: Iterable[ConstDirectiveNode]) -> tuple[ConstDirectiveNode, ...]:
    seen: dict[str, ConstDirectiveNode] = {}
    for node in nodes:
        seen.setdefault(print_ast(node), node)
    return tuple(seen.values())


def _public_directives(
    nodes: Iterable[ConstDirectiveNode], composed: set[str]
) -> tuple[ConstDirectiveNode, ...]:
    return _unique_directives(
        node
        for node in nodes
        if node.name.value in BUILT_IN_DIRECTIVES or node.name.value in composed
    )


def _first_description(nodes: Iterable[object]) -> StringValueNode | None:
    """The first subgraph's description, in subgraph order (the reference's rule)."""
    for node in nodes:
        description = getattr(node, "description", None)
        if isinstance(description, StringValueNode) and description.value:
            return description
    return None


def _required(node: InputValueDefinitionNode) -> bool:
    return isinstance(node.type, NonNullTypeNode) and node.default_value is None


def _strip(node: TypeNode) -> TypeNode:
    return node.type if isinstance(node, NonNullTypeNode) else node


def _merge_input_types(nodes: list[TypeNode]) -> TypeNode | None:
    """Input positions: the most restrictive nullability (a value every subgraph accepts),
    the same list structure and named type everywhere."""
    inner = [_strip(node) for node in nodes]
    merged: NamedTypeNode | ListTypeNode
    if all(isinstance(node, ListTypeNode) for node in inner):
        item = _merge_input_types([cast(ListTypeNode, node).type for node in inner])
        if item is None:
            return None
        merged = ListTypeNode(type=item)
    elif all(isinstance(node, NamedTypeNode) for node in inner):
        if len({cast(NamedTypeNode, node).name.value for node in inner}) > 1:
            return None
        merged = cast(NamedTypeNode, inner[0])
    else:
        return None
    if any(isinstance(node, NonNullTypeNode) for node in nodes):
        return NonNullTypeNode(type=merged)
    return merged


class _Composer:
    def __init__(self, subgraphs: list[SubgraphSchema]) -> None:
        self.subgraphs = subgraphs
        self.owners: dict[str, dict[str, tuple[str, ...]]] = {}
        self.keys: dict[str, dict[str, tuple[EntityKey, ...]]] = {}
        self.requires: dict[str, dict[str, dict[str, FieldTree]]] = {}
        self.provides: dict[str, dict[str, dict[str, FieldTree]]] = {}
        self.composed: set[str] = set().union(*(s.composed for s in subgraphs))
        self.cost = CostModel()
        # enum -> its public values (merged first: default values are checked against them)
        self.enum_values: dict[str, list[str]] = {}
        self.hidden_values: dict[str, frozenset[str]] = {}
        # abstract type -> every type any subgraph says may be returned for it
        self.possible: dict[str, set[str]] = {}
        for subgraph in subgraphs:
            for info in subgraph.types.values():
                if info.kind == "union":
                    self.possible.setdefault(info.name, set()).update(info.members)
                for interface in info.interfaces:
                    self.possible.setdefault(interface, set()).add(info.name)
        self.inputs: set[str] = set()
        self.outputs: set[str] = set()
        for subgraph in subgraphs:
            inputs, outputs = subgraph.usage()
            self.inputs |= inputs
            self.outputs |= outputs

    def _definitions(self, type_name: str) -> list[tuple[SubgraphSchema, TypeInfo]]:
        return [(s, s.types[type_name]) for s in self.subgraphs if type_name in s.types]

    def compose(self) -> Supergraph:
        names: list[str] = []
        for subgraph in self.subgraphs:
            names.extend(n for n in subgraph.types if n not in names)
        for name in names:
            self._check_kinds(name)
        inaccessible_types = {
            name for name in names if any(info.inaccessible for _, info in self._definitions(name))
        }
        definitions: dict[str, TypeDefinitionNode] = {}
        kinds = {name: self._definitions(name)[0][1].kind for name in names}
        # Enums first: default values elsewhere must not use their hidden values.
        for name in sorted(names, key=lambda n: kinds[n] != "enum"):
            merged = self._merge_type(name, inaccessible_types)
            if merged is not None:
                definitions[name] = merged
        self._check_reachable()
        self._check_implementations(definitions)
        public_names = [n for n in ROOT_NAMES.values() if n in definitions] + sorted(
            n for n in definitions if n not in ROOT_NAMES.values()
        )
        if "Query" not in definitions:
            raise CompositionError("no subgraph defines any Query field")
        composed_directives = self._composed_directive_definitions()
        document = DocumentNode(
            definitions=(
                *composed_directives,
                *(definitions[n] for n in public_names),
            )
        )
        try:
            schema = build_ast_schema(document)
        except (GraphQLError, TypeError) as exc:
            raise CompositionError(f"the composed schema is not valid: {exc}") from exc
        problems = validate_schema(schema)
        if problems:
            raise CompositionError(
                "the composed schema is not valid: " + "; ".join(p.message for p in problems)
            )
        hidden_types = frozenset(
            name for name in inaccessible_types if kinds[name] in ("object", "interface")
        )
        leaky = set(self.hidden_values)
        leaky.update(
            abstract
            for abstract, possible in self.possible.items()
            if possible & hidden_types and abstract in definitions
        )
        return Supergraph(
            schema=schema,
            # graphql-core's printer leaves out applied directives other than @deprecated;
            # with composed directives in use the document is printed as composed.
            sdl=(print_ast(document) if composed_directives else print_schema(schema)) + "\n",
            subgraphs=tuple(s.name for s in self.subgraphs),
            owners=self.owners,
            keys=self.keys,
            subgraph_types={s.name: frozenset(s.types) - s.renamed_roots for s in self.subgraphs},
            possible_types={s.name: self._possible_types(s) for s in self.subgraphs},
            requires=self.requires,
            provides=self.provides,
            hidden_values=self.hidden_values,
            leaky_types=frozenset(leaky),
            cost=self.cost,
        )

    @staticmethod
    def _possible_types(subgraph: SubgraphSchema) -> dict[str, frozenset[str]]:
        result: dict[str, set[str]] = {}
        for info in subgraph.types.values():
            if info.kind == "union":
                result.setdefault(info.name, set()).update(info.members)
            if info.kind == "interface":
                result.setdefault(info.name, set())
        for info in subgraph.types.values():
            if info.kind == "object":
                for interface in info.interfaces:
                    result.setdefault(interface, set()).add(info.name)
        return {name: frozenset(types) for name, types in result.items()}

    def _composed_directive_definitions(self) -> list[DirectiveDefinitionNode]:
        found: dict[str, tuple[SubgraphSchema, DirectiveDefinitionNode]] = {}
        for subgraph in self.subgraphs:
            for name in sorted(subgraph.composed):
                definition = subgraph.directive_definitions.get(name)
                if definition is None:
                    raise CompositionError(
                        f"@composeDirective names @{name}, which the SDL does not define",
                        subgraph=subgraph.name,
                    )
                if name in found and print_ast(found[name][1]) != print_ast(definition):
                    raise CompositionError(
                        f"@{name} is defined differently by subgraph '{found[name][0].name}'",
                        subgraph=subgraph.name,
                    )
                found.setdefault(name, (subgraph, definition))
        return [definition for _, definition in found.values()]

    def _check_kinds(self, name: str) -> None:
        defined = self._definitions(name)
        first_subgraph, first = defined[0]
        for subgraph, info in defined[1:]:
            if info.kind != first.kind:
                raise CompositionError(
                    f"is {_KIND_NAMES[info.kind]} here but {_KIND_NAMES[first.kind]} in "
                    f"subgraph '{first_subgraph.name}'",
                    subgraph=subgraph.name,
                    type_name=name,
                )

    # -- types

    def _merge_type(self, name: str, inaccessible: set[str]) -> TypeDefinitionNode | None:
        defined = self._definitions(name)
        kind = defined[0][1].kind
        description = _first_description(info for _, info in defined)
        directives = _unique_directives(d for _, info in defined for d in info.directives)
        weights = [info.weight for _, info in defined if info.weight is not None]
        if weights:
            self.cost.type_weights[name] = max(weights)
        if kind in ("object", "interface"):
            fields = self._merge_fields(name, kind, defined, inaccessible)
            if name in inaccessible:
                return None
            if not fields and name not in ROOT_NAMES.values():
                raise CompositionError("has no field left in the public schema", type_name=name)
            if not fields:
                return None
            interfaces = _unique(i for _, info in defined for i in info.interfaces)
            interface_nodes = tuple(
                NamedTypeNode(name=NameNode(value=i)) for i in interfaces if i not in inaccessible
            )
            node_class: type[ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode] = (
                ObjectTypeDefinitionNode if kind == "object" else InterfaceTypeDefinitionNode
            )
            return node_class(
                name=NameNode(value=name),
                description=description,
                interfaces=interface_nodes,
                directives=directives,
                fields=tuple(fields),
            )
        if kind == "enum":
            # Merged even when inaccessible: its values are hidden all the same.
            merged_enum = self._merge_enum(name, defined, description, directives)
            return None if name in inaccessible else merged_enum
        if name in inaccessible:
            return None
        if kind == "union":
            members = _unique(m for _, i in defined for m in i.members)
            return UnionTypeDefinitionNode(
                name=NameNode(value=name),
                description=description,
                directives=directives,
                types=tuple(
                    NamedTypeNode(name=NameNode(value=m)) for m in members if m not in inaccessible
                ),
            )
        if kind == "input":
            return self._merge_input(name, defined, description, directives, inaccessible)
        return ScalarTypeDefinitionNode(
            name=NameNode(value=name), description=description, directives=directives
        )

    # -- output fields

    def _is_subtype(self, sub: str, sup: str) -> bool:
        if sub == sup:
            return True
        seen: set[str] = set()
        stack = [sup]
        while stack:
            current = stack.pop()
            for member in self.possible.get(current, ()):
                if member == sub:
                    return True
                if member not in seen:
                    seen.add(member)
                    stack.append(member)
        return False

    def _merge_output_types(self, nodes: list[TypeNode]) -> TypeNode | None:
        """Output positions: the least restrictive nullability (a subgraph may return null
        where another never does) and the common supertype."""
        inner = [_strip(node) for node in nodes]
        merged: NamedTypeNode | ListTypeNode
        if all(isinstance(node, ListTypeNode) for node in inner):
            item = self._merge_output_types([cast(ListTypeNode, node).type for node in inner])
            if item is None:
                return None
            merged = ListTypeNode(type=item)
        elif all(isinstance(node, NamedTypeNode) for node in inner):
            names = _unique(cast(NamedTypeNode, node).name.value for node in inner)
            supertype = next(
                (n for n in names if all(self._is_subtype(other, n) for other in names)), None
            )
            if supertype is None:
                return None
            merged = NamedTypeNode(name=NameNode(value=supertype))
        else:
            return None
        if all(isinstance(node, NonNullTypeNode) for node in nodes):
            return NonNullTypeNode(type=merged)
        return merged

    def _merged_field_type(
        self, type_name: str, field_name: str, holders: list[Holder]
    ) -> TypeNode:
        first_subgraph, first = holders[0]
        merged = first.node.type
        for subgraph, found in holders[1:]:
            candidate = self._merge_output_types([merged, found.node.type])
            if candidate is None:
                raise CompositionError(
                    f"conflicting types: {print_ast(found.node.type)} here, "
                    f"{print_ast(first.node.type)} in subgraph '{first_subgraph.name}'",
                    subgraph=subgraph.name,
                    type_name=type_name,
                    field=field_name,
                )
            merged = candidate
        return merged

    def _merge_fields(
        self,
        type_name: str,
        kind: str,
        defined: list[tuple[SubgraphSchema, TypeInfo]],
        inaccessible_types: set[str],
    ) -> list[FieldDefinitionNode]:
        order = _unique(f for _, info in defined for f in info.fields)
        merged: list[FieldDefinitionNode] = []
        owners: dict[str, tuple[str, ...]] = {}
        for field_name in order:
            holders = [
                (s, info.fields[field_name]) for s, info in defined if field_name in info.fields
            ]
            resolving = [(s, f) for s, f in holders if not f.external]
            if not resolving:
                names = ", ".join(f"'{s.name}'" for s, _ in holders)
                raise CompositionError(
                    f"is @external in every subgraph that declares it ({names}): "
                    "no subgraph resolves it",
                    subgraph=holders[0][0].name,
                    type_name=type_name,
                    field=field_name,
                )
            if kind == "object" and len(resolving) > 1:
                self._check_sharing(type_name, field_name, resolving)
            field_type = self._merged_field_type(type_name, field_name, resolving)
            for subgraph, found in holders:
                if found.external and print_ast(found.node.type) != print_ast(field_type):
                    raise CompositionError(
                        f"is @external here as {print_ast(found.node.type)} but resolved as "
                        f"{print_ast(field_type)} by the other subgraphs",
                        subgraph=subgraph.name,
                        type_name=type_name,
                        field=field_name,
                    )
            owners[field_name] = tuple(s.name for s, _ in resolving)
            self._record(type_name, field_name, holders)
            if any(found.inaccessible for _, found in holders):
                continue
            referenced = named_type(field_type)
            if referenced in inaccessible_types:
                raise CompositionError(
                    f"returns {referenced}, which is @inaccessible; mark the field @inaccessible",
                    subgraph=resolving[0][0].name,
                    type_name=type_name,
                    field=field_name,
                )
            node = cast(FieldDefinitionNode, resolving[0][1].node)
            merged.append(
                FieldDefinitionNode(
                    name=node.name,
                    description=_first_description(f.node for _, f in holders),
                    arguments=self._merge_arguments(
                        type_name, field_name, resolving, inaccessible_types
                    ),
                    type=field_type,
                    directives=_public_directives(
                        (d for _, f in holders for d in f.node.directives or ()), self.composed
                    ),
                )
            )
        self.owners[type_name] = owners
        keys = {s.name: tuple(info.keys) for s, info in defined if info.keys}
        if keys:
            self.keys[type_name] = keys
        return merged

    @staticmethod
    def _check_sharing(type_name: str, field_name: str, resolving: list[Holder]) -> None:
        for subgraph, found in resolving:
            if not found.shareable and field_name not in subgraph.key_fields(type_name):
                others = ", ".join(f"'{s.name}'" for s, _ in resolving if s is not subgraph)
                raise CompositionError(
                    f"is also resolved by subgraph {others} but is not @shareable here",
                    subgraph=subgraph.name,
                    type_name=type_name,
                    field=field_name,
                )

    def _record(self, type_name: str, field_name: str, holders: list[Holder]) -> None:
        """What the planner and the cost limit need: @requires, @provides, @cost, @listSize."""
        for subgraph, found in holders:
            if found.external:
                continue
            if found.requires is not None:
                by_field = self.requires.setdefault(type_name, {}).setdefault(field_name, {})
                by_field[subgraph.name] = found.requires
            if found.provides is not None:
                by_field = self.provides.setdefault(type_name, {}).setdefault(field_name, {})
                by_field[subgraph.name] = found.provides
            if found.weight is not None:
                weights = self.cost.field_weights.setdefault(type_name, {})
                weights[field_name] = max(weights.get(field_name, 0), found.weight)
            for argument, weight in found.argument_weights.items():
                by_argument = self.cost.argument_weights.setdefault(type_name, {}).setdefault(
                    field_name, {}
                )
                by_argument[argument] = max(by_argument.get(argument, 0), weight)
            if found.list_size is not None:
                self._check_sized_fields(subgraph, type_name, field_name, found)
                self.cost.list_sizes.setdefault(type_name, {}).setdefault(
                    field_name, found.list_size
                )

    @staticmethod
    def _check_sized_fields(
        subgraph: SubgraphSchema, type_name: str, field_name: str, found: FieldInfo
    ) -> None:
        assert found.list_size is not None
        target = subgraph.types.get(named_type(found.node.type))
        for sized in found.list_size.sized_fields:
            child = target.fields.get(sized) if target is not None else None
            if child is None or not isinstance(_strip(child.node.type), ListTypeNode):
                raise CompositionError(
                    f"@listSize: sized field '{sized}' is not a list field of "
                    f"{named_type(found.node.type)}",
                    subgraph=subgraph.name,
                    type_name=type_name,
                    field=field_name,
                )

    # -- input values (arguments and input fields)

    def _merge_input_values(
        self,
        type_name: str,
        field_name: str | None,
        values: list[tuple[SubgraphSchema, InputValueDefinitionNode, bool]],
        expected: int,
        inaccessible_types: set[str],
        what: str,
    ) -> InputValueDefinitionNode | None:
        """One argument or input field over the subgraphs that define it (``expected`` of
        them should); None when it is not part of the public schema."""
        subgraph, first, _ = values[0]
        name = first.name.value
        coordinate = f"{field_name}({name}:)" if field_name else name
        if len(values) < expected:
            required = [s for s, node, _ in values if _required(node)]
            if required:
                raise CompositionError(
                    f"{what} {name} is required here but not defined by every subgraph that "
                    "defines the rest",
                    subgraph=required[0].name,
                    type_name=type_name,
                    field=coordinate,
                )
            return None  # only the values every subgraph accepts are public
        merged_type = _merge_input_types([node.type for _, node, _ in values])
        if merged_type is None:
            printed = " and ".join(f"{print_ast(n.type)} in '{s.name}'" for s, n, _ in values)
            raise CompositionError(
                f"conflicting types for {what} {name}: {printed}",
                subgraph=values[-1][0].name,
                type_name=type_name,
                field=coordinate,
            )
        defaults = [(s, node.default_value) for s, node, _ in values if node.default_value]
        if len({print_ast(value) for _, value in defaults}) > 1:
            printed = " and ".join(f"{print_ast(v)} in '{s.name}'" for s, v in defaults)
            raise CompositionError(
                f"conflicting default values for {what} {name}: {printed}",
                subgraph=defaults[-1][0].name,
                type_name=type_name,
                field=coordinate,
            )
        default = defaults[0][1] if defaults else None
        hidden = any(inaccessible for _, _, inaccessible in values)
        if hidden or named_type(merged_type) in inaccessible_types:
            if isinstance(merged_type, NonNullTypeNode) and default is None:
                raise CompositionError(
                    f"required {what} {name} cannot be @inaccessible",
                    subgraph=subgraph.name,
                    type_name=type_name,
                    field=coordinate,
                )
            return None
        self._check_default(default, merged_type, type_name, coordinate, subgraph.name)
        return InputValueDefinitionNode(
            name=first.name,
            description=_first_description(node for _, node, _ in values),
            type=merged_type,
            default_value=default,
            directives=_public_directives(
                (d for _, node, _ in values for d in node.directives or ()), self.composed
            ),
        )

    def _check_default(
        self,
        value: ConstValueNode | None,
        type_node: TypeNode,
        type_name: str,
        coordinate: str,
        subgraph: str,
    ) -> None:
        """A default value may not name an enum value clients cannot see."""
        if value is None:
            return
        hidden = self.hidden_values.get(named_type(type_node), frozenset())
        stack: list[ConstValueNode] = [value]
        while stack:
            current = stack.pop()
            if isinstance(current, EnumValueNode) and current.value in hidden:
                raise CompositionError(
                    f"the default value uses {named_type(type_node)}.{current.value}, "
                    "which is @inaccessible",
                    subgraph=subgraph,
                    type_name=type_name,
                    field=coordinate,
                )
            if isinstance(current, ListValueNode):
                stack.extend(cast(list[ConstValueNode], current.values))
            if isinstance(current, ObjectValueNode):
                stack.extend(f.value for f in current.fields)

    def _merge_arguments(
        self,
        type_name: str,
        field_name: str,
        resolving: list[Holder],
        inaccessible_types: set[str],
    ) -> tuple[InputValueDefinitionNode, ...]:
        order = _unique(a.name.value for _, f in resolving for a in f.arguments)
        result: list[InputValueDefinitionNode] = []
        for name in order:
            values = [
                (s, a, name in f.inaccessible_arguments)
                for s, f in resolving
                for a in f.arguments
                if a.name.value == name
            ]
            merged = self._merge_input_values(
                type_name, field_name, values, len(resolving), inaccessible_types, "argument"
            )
            if merged is not None:
                result.append(merged)
        return tuple(result)

    def _merge_input(
        self,
        name: str,
        defined: list[tuple[SubgraphSchema, TypeInfo]],
        description: StringValueNode | None,
        directives: tuple[ConstDirectiveNode, ...],
        inaccessible_types: set[str],
    ) -> InputObjectTypeDefinitionNode:
        order = _unique(f for _, info in defined for f in info.fields)
        fields: list[InputValueDefinitionNode] = []
        common = False
        for field_name in order:
            values = [
                (
                    s,
                    cast(InputValueDefinitionNode, info.fields[field_name].node),
                    info.fields[field_name].inaccessible,
                )
                for s, info in defined
                if field_name in info.fields
            ]
            common |= len(values) == len(defined)
            merged = self._merge_input_values(
                name, None, values, len(defined), inaccessible_types, "input field"
            )
            if merged is not None:
                fields.append(merged)
        if not common:
            raise CompositionError(
                "no field of the input type is defined by every subgraph that defines it "
                f"({', '.join(repr(s.name) for s, _ in defined)}), so none can be public",
                subgraph=defined[-1][0].name,
                type_name=name,
            )
        if not fields:
            raise CompositionError("has no field left in the public schema", type_name=name)
        return InputObjectTypeDefinitionNode(
            name=NameNode(value=name),
            description=description,
            directives=directives,
            fields=tuple(fields),
        )

    # -- enums

    def _merge_enum(
        self,
        name: str,
        defined: list[tuple[SubgraphSchema, TypeInfo]],
        description: StringValueNode | None,
        directives: tuple[ConstDirectiveNode, ...],
    ) -> EnumTypeDefinitionNode:
        values: dict[str, list[tuple[SubgraphSchema, EnumValueDefinitionNode]]] = {}
        for subgraph, info in defined:
            for value_name, value in info.values.items():
                values.setdefault(value_name, []).append((subgraph, value))
        hidden = {value for _, info in defined for value in info.inaccessible_values}
        as_input, as_output = name in self.inputs, name in self.outputs
        public: list[str] = []
        for value_name, found in values.items():
            everywhere = len(found) == len(defined)
            if as_input and as_output and not everywhere and value_name not in hidden:
                # A value one subgraph does not know would fail there as an argument, and
                # clients could be sent it as output all the same.
                missing = sorted(
                    s.name for s, _ in defined if value_name not in s.types[name].values
                )
                raise CompositionError(
                    f"enum used both as input and as output has value {value_name} here "
                    f"but not in subgraph {', '.join(repr(m) for m in missing)}",
                    subgraph=found[0][0].name,
                    type_name=name,
                )
            if as_input and not as_output and not everywhere:
                continue  # inputs keep only the values every subgraph accepts
            if value_name not in hidden:
                public.append(value_name)
        if not public:
            raise CompositionError(
                "has no value left in the public schema ("
                + ("the subgraphs share none" if as_input and not as_output and not hidden else
                   "every value is @inaccessible")
                + ")",
                subgraph=defined[-1][0].name,
                type_name=name,
            )  # fmt: skip
        self.enum_values[name] = public
        extra = frozenset(values) - frozenset(public)
        if extra:
            self.hidden_values[name] = extra
        return EnumTypeDefinitionNode(
            name=NameNode(value=name),
            description=description,
            directives=directives,
            values=tuple(
                EnumValueDefinitionNode(
                    name=values[value_name][0][1].name,
                    description=_first_description(v for _, v in values[value_name]),
                    directives=_public_directives(
                        (d for _, v in values[value_name] for d in v.directives or ()),
                        self.composed,
                    ),
                )
                for value_name in public
            ),
        )

    def _check_implementations(self, definitions: Mapping[str, TypeDefinitionNode]) -> None:
        """Each public field of an interface is on every type implementing it (one subgraph
        may add a field to an interface that another's implementation lacks)."""
        for name, node in definitions.items():
            if not isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
                continue
            own = {f.name.value for f in node.fields or ()}
            for interface in node.interfaces or ():
                declared = definitions.get(interface.name.value)
                if not isinstance(declared, InterfaceTypeDefinitionNode):
                    continue
                for missing in [f.name.value for f in declared.fields or ()]:
                    if missing in own:
                        continue
                    where = next(
                        s.name
                        for s, info in self._definitions(interface.name.value)
                        if missing in info.fields
                    )
                    raise CompositionError(
                        f"implements {interface.name.value}, whose field {missing} (declared "
                        f"in subgraph '{where}') no subgraph defines on {name}",
                        subgraph=self._definitions(name)[0][0].name,
                        type_name=name,
                        field=missing,
                    )

    # -- reachability

    def _check_reachable(self) -> None:
        """Every field of an object type must be resolvable wherever the type is returned:
        by the subgraph returning it, or through ``_entities`` of a subgraph that resolves
        the field and has a resolvable key the returning subgraph can select."""
        for type_name, fields in self.owners.items():
            if type_name in ROOT_NAMES.values():
                continue
            defined_in = [
                s.name for s, info in self._definitions(type_name) if info.kind == "object"
            ]
            for field_name, owners in fields.items():
                for source in defined_in:
                    if source in owners and source not in self.requires.get(type_name, {}).get(
                        field_name, {}
                    ):
                        continue
                    if any(self._has_key(type_name, source, target) for target in owners):
                        continue
                    keys = self.keys.get(type_name, {})
                    why = (
                        f"it is not an entity (no @key) in subgraph '{owners[0]}'"
                        if owners[0] not in keys
                        else f"no resolvable @key there uses fields subgraph '{source}' resolves"
                    )
                    raise CompositionError(
                        f"cannot be resolved for {type_name} objects that subgraph '{source}' "
                        f"returns: {why}",
                        subgraph=owners[0],
                        type_name=type_name,
                        field=field_name,
                    )

    def _has_key(self, type_name: str, source: str, target: str) -> bool:
        for key in self.keys.get(type_name, {}).get(target, ()):
            if key.resolvable and all(
                source in self.owners[type_name].get(name, ()) for name in key.fields
            ):
                return True
        return False
