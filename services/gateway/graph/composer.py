"""Composition: the subgraphs' federation SDLs become one public schema plus the facts the
planner needs (which subgraphs resolve each field, each entity's keys).

The supported subset of Apollo Federation v2: ``@key`` on scalar fields (also
``resolvable: false``), ``@shareable``, ``@inaccessible``, ``@link``/``@composeDirective``
bookkeeping, ``_service`` and ``_entities``. Anything else is refused with a
``CompositionError`` that names the subgraph, the type and the field.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    build_ast_schema,
    parse,
    print_ast,
    print_schema,
    validate_schema,
)

from services.gateway.graph.errors import CompositionError

FEDERATION_URL = "https://specs.apollo.dev/federation/"
LINK_URL = "https://specs.apollo.dev/link/"
SUPPORTED_FEDERATION = frozenset({"key", "shareable", "inaccessible", "composeDirective"})
# Directives every GraphQL schema may use; kept in the public schema as they are.
BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})
FEDERATION_TYPES = frozenset({"_Any", "_Entity", "_Service", "FieldSet", "_FieldSet"})
FEDERATION_ROOT_FIELDS = frozenset({"_service", "_entities"})
ROOT_NAMES = {OperationType.QUERY: "Query", OperationType.MUTATION: "Mutation"}
WHY_REFUSED = {
    "requires": "@requires (fields computed from another subgraph's fields)",
    "provides": "@provides (fields provided along a path)",
    "external": "@external (fields resolved elsewhere)",
    "override": "@override (migrating a field between subgraphs)",
    "interfaceObject": "@interfaceObject (entity interfaces)",
    "authenticated": "@authenticated (authorization belongs to each service)",
    "requiresScopes": "@requiresScopes (authorization belongs to each service)",
    "policy": "@policy (authorization belongs to each service)",
    "extends": "@extends (federation 1 syntax)",
    "tag": "@tag (contracts)",
    "context": "@context",
    "fromContext": "@fromContext",
    "cost": "@cost (the gateway has its own cost limit)",
    "listSize": "@listSize (the gateway has its own cost limit)",
}


@dataclass(frozen=True)
class EntityKey:
    """One ``@key`` of an entity in one subgraph: its scalar fields, and whether the
    subgraph resolves representations by it (``resolvable: false`` only references)."""

    fields: tuple[str, ...]
    resolvable: bool = True


@dataclass
class Supergraph:
    """The composed graph: the public schema and what the planner needs to split an
    operation between subgraphs."""

    schema: GraphQLSchema
    sdl: str
    subgraphs: tuple[str, ...]
    # type -> field -> subgraphs that resolve it (inaccessible fields included: the
    # planner may still select them as keys).
    owners: dict[str, dict[str, tuple[str, ...]]]
    # entity type -> subgraph -> its keys there
    keys: dict[str, dict[str, tuple[EntityKey, ...]]]
    # subgraph -> the types it defines (fragments naming another type cannot be forwarded)
    subgraph_types: dict[str, frozenset[str]]
    # subgraph -> abstract type -> object types that subgraph may return for it
    possible_types: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)

    def field_owners(self, type_name: str, field_name: str) -> tuple[str, ...]:
        return self.owners.get(type_name, {}).get(field_name, ())

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
        }


# --- reading one subgraph -----------------------------------------------------------


@dataclass
class _FieldInfo:
    node: FieldDefinitionNode | InputValueDefinitionNode
    shareable: bool
    inaccessible: bool


@dataclass
class _TypeInfo:
    kind: str  # object | interface | union | enum | input | scalar
    name: str
    description: StringValueNode | None = None
    fields: dict[str, _FieldInfo] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValueDefinitionNode] = field(default_factory=dict)
    inaccessible_values: set[str] = field(default_factory=set)
    keys: list[EntityKey] = field(default_factory=list)
    inaccessible: bool = False
    directives: list[ConstDirectiveNode] = field(default_factory=list)


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


def _string_argument(directive: ConstDirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


class _Subgraph:
    """One subgraph's SDL, with its federation directives resolved to their spec names."""

    def __init__(self, name: str, sdl: str) -> None:
        self.name = name
        try:
            self.document: DocumentNode = parse(sdl, no_location=True)
        except GraphQLError as exc:
            raise CompositionError(f"its SDL does not parse: {exc.message}", subgraph=name) from exc
        # local directive name -> federation spec name (for imported and prefixed names)
        self.federation: dict[str, str] = {}
        self.composed: set[str] = set()
        self.linked_imports: set[str] = set()
        # Types imported from the federation and link specs (FieldSet, Import, ...).
        self.spec_types: set[str] = set()
        self.directive_definitions: dict[str, DirectiveDefinitionNode] = {}
        self.roots: dict[OperationType, str] = {}
        # Public root type names this subgraph calls otherwise (documents naming them
        # cannot be forwarded to it unchanged).
        self.renamed_roots: set[str] = set()
        self.types: dict[str, _TypeInfo] = {}
        self._read_links()
        self._read_types()

    # -- @link and @composeDirective on the schema definition

    def _read_links(self) -> None:
        schema_nodes = [
            node
            for node in self.document.definitions
            if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        federation_link = False
        for node in schema_nodes:
            for operation in node.operation_types or ():
                self.roots[operation.operation] = operation.type.name.value
            for directive in node.directives or ():
                name = directive.name.value
                if name == "link":
                    federation_link |= self._read_link(directive)
        if not federation_link:
            raise CompositionError(
                "its SDL has no @link to the Apollo Federation v2 spec "
                f"({FEDERATION_URL}v2.x); federation 1 subgraphs are not supported",
                subgraph=self.name,
            )
        for node in schema_nodes:
            for directive in node.directives or ():
                name = directive.name.value
                if name == "link":
                    continue
                spec = self.federation.get(name)
                if spec == "composeDirective":
                    value = _string_argument(directive, "name")
                    if not isinstance(value, StringValueNode):
                        raise CompositionError("@composeDirective needs a name", subgraph=self.name)
                    self.composed.add(value.value.removeprefix("@"))
                else:
                    raise CompositionError(
                        f"schema directive @{name} is not supported", subgraph=self.name
                    )
        for name in self.linked_imports - self.composed:
            raise CompositionError(
                f"@{name} is imported from a linked spec but not composed (@composeDirective)",
                subgraph=self.name,
            )

    def _read_link(self, directive: ConstDirectiveNode) -> bool:
        url = _string_argument(directive, "url")
        if not isinstance(url, StringValueNode):
            raise CompositionError("@link needs a url", subgraph=self.name)
        alias = _string_argument(directive, "as")
        imports = _string_argument(directive, "import")
        imported: list[tuple[str, str]] = []
        if isinstance(imports, ListValueNode):
            for item in imports.values:
                if isinstance(item, StringValueNode):
                    imported.append((item.value, item.value))
                elif isinstance(item, ObjectValueNode):
                    fields = {f.name.value: f.value for f in item.fields}
                    named, renamed = fields.get("name"), fields.get("as")
                    if isinstance(named, StringValueNode):
                        local = renamed.value if isinstance(renamed, StringValueNode) else None
                        imported.append((named.value, local or named.value))
        if url.value.startswith((LINK_URL, FEDERATION_URL)):
            self.spec_types.update(
                local for original, local in imported if not original.startswith("@")
            )
        if url.value.startswith(LINK_URL):
            return False
        if not url.value.startswith(FEDERATION_URL):
            # Another spec: only its directives that are composed are acceptable.
            for original, local in imported:
                if original.startswith("@"):
                    self.linked_imports.add(local.removeprefix("@"))
            return False
        version = url.value.removeprefix(FEDERATION_URL)
        if not version.startswith("v2."):
            raise CompositionError(
                f"federation spec {version} is not supported; use v2.x", subgraph=self.name
            )
        prefix = alias.value if isinstance(alias, StringValueNode) else "federation"
        for spec_name in (*SUPPORTED_FEDERATION, *WHY_REFUSED):
            self.federation[f"{prefix}__{spec_name}"] = spec_name
        for original, local in imported:
            if original.startswith("@"):
                self.federation[local.removeprefix("@")] = original.removeprefix("@")
        return True

    # -- types

    def _read_types(self) -> None:
        for node in self.document.definitions:
            if isinstance(node, DirectiveDefinitionNode):
                self.directive_definitions[node.name.value] = node
        for node in self.document.definitions:
            kind = _KINDS.get(type(node))
            if kind is None:
                continue
            type_node = cast(TypeDefinitionNode, node)
            name = type_node.name.value
            if self._is_federation_type(name):
                continue
            info = self.types.get(name)
            if info is None:
                info = self.types[name] = _TypeInfo(kind=kind, name=name)
            elif info.kind != kind:
                raise CompositionError(
                    f"is both {info.kind} and {kind}", subgraph=self.name, type_name=name
                )
            self._read_type(info, type_node)
        for operation in (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION):
            self.roots.setdefault(operation, operation.value.capitalize())
        subscription = self.types.get(self.roots[OperationType.SUBSCRIPTION])
        if subscription is not None and subscription.fields:
            raise CompositionError(
                "subscriptions are not supported by the gateway",
                subgraph=self.name,
                type_name=subscription.name,
                field=next(iter(subscription.fields)),
            )
        for operation, public in ROOT_NAMES.items():
            local = self.roots[operation]
            if local == public or local not in self.types:
                continue
            # Strawberry names root types after their classes; the public graph has one
            # Query and one Mutation whatever each subgraph calls them.
            if public in self.types:
                raise CompositionError(
                    f"{public} is not the {operation.value} root type here ({local} is)",
                    subgraph=self.name,
                    type_name=public,
                )
            info = self.types.pop(local)
            info.name = public
            self.types[public] = info
            self.renamed_roots.add(public)
        for info in self.types.values():
            self._check_keys(info)

    def _is_federation_type(self, name: str) -> bool:
        return (
            name in FEDERATION_TYPES
            or name in self.spec_types
            or name.startswith(("link__", "federation__"))
        )

    def _directives(
        self, nodes: Iterable[ConstDirectiveNode], type_name: str, field_name: str | None
    ) -> tuple[set[str], list[ConstDirectiveNode], list[ConstDirectiveNode]]:
        """(federation directives used, @key nodes, directives kept in the public schema)."""
        used: set[str] = set()
        keys: list[ConstDirectiveNode] = []
        kept: list[ConstDirectiveNode] = []
        for directive in nodes:
            name = directive.name.value
            spec = self.federation.get(name)
            if spec is not None:
                if spec not in SUPPORTED_FEDERATION:
                    raise CompositionError(
                        f"{WHY_REFUSED.get(spec, '@' + spec)} is not supported by the gateway",
                        subgraph=self.name,
                        type_name=type_name,
                        field=field_name,
                    )
                used.add(spec)
                if spec == "key":
                    keys.append(directive)
            elif name in BUILT_IN_DIRECTIVES or name in self.composed:
                kept.append(directive)
            elif name in WHY_REFUSED:
                raise CompositionError(
                    f"{WHY_REFUSED[name]} is not supported by the gateway",
                    subgraph=self.name,
                    type_name=type_name,
                    field=field_name,
                )
            elif name not in self.directive_definitions:
                raise CompositionError(
                    f"directive @{name} is neither defined nor a supported federation directive",
                    subgraph=self.name,
                    type_name=type_name,
                    field=field_name,
                )
            # A custom directive the subgraph defines but does not compose is its own
            # business (it is not part of the public schema).
        return used, keys, kept

    def _read_type(self, info: _TypeInfo, node: TypeDefinitionNode) -> None:
        name = info.name
        description = getattr(node, "description", None)
        if description is not None and info.description is None:
            info.description = description
        used, keys, kept = self._directives(node.directives or (), name, None)
        info.directives.extend(kept)
        info.inaccessible |= "inaccessible" in used
        type_shareable = "shareable" in used
        if "shareable" in used and info.kind != "object":
            raise CompositionError(
                "@shareable applies to object types and fields only",
                subgraph=self.name,
                type_name=name,
            )
        if keys and info.kind != "object":
            raise CompositionError(
                "@key on an interface (entity interfaces) is not supported",
                subgraph=self.name,
                type_name=name,
            )
        for key in keys:
            info.keys.append(self._parse_key(name, key))
        if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            info.interfaces.extend(i.name.value for i in node.interfaces or ())
        if isinstance(node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
            info.interfaces.extend(i.name.value for i in node.interfaces or ())
        if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            info.members.extend(member.name.value for member in node.types or ())
        if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            for value in node.values or ():
                value_used, _, _ = self._directives(value.directives or (), name, value.name.value)
                info.values[value.name.value] = value
                if "inaccessible" in value_used:
                    info.inaccessible_values.add(value.name.value)
        if isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode
            | InputObjectTypeDefinitionNode
            | InputObjectTypeExtensionNode,
        ):
            is_query = name == self.roots.get(OperationType.QUERY, "Query")
            for field_node in node.fields or ():
                field_name = field_node.name.value
                if is_query and field_name in FEDERATION_ROOT_FIELDS:
                    continue
                if field_name in info.fields:
                    raise CompositionError(
                        "is defined twice", subgraph=self.name, type_name=name, field=field_name
                    )
                field_used, _, _ = self._directives(field_node.directives or (), name, field_name)
                if "shareable" in field_used and info.kind != "object":
                    raise CompositionError(
                        "@shareable applies to object types and fields only",
                        subgraph=self.name,
                        type_name=name,
                        field=field_name,
                    )
                for argument in getattr(field_node, "arguments", None) or ():
                    self._directives(
                        argument.directives or (), name, f"{field_name}({argument.name.value}:)"
                    )
                info.fields[field_name] = _FieldInfo(
                    node=field_node,
                    shareable=type_shareable or "shareable" in field_used,
                    inaccessible="inaccessible" in field_used,
                )

    def _parse_key(self, type_name: str, directive: ConstDirectiveNode) -> EntityKey:
        fields_value = _string_argument(directive, "fields")
        if not isinstance(fields_value, StringValueNode):
            raise CompositionError(
                "@key needs a fields string", subgraph=self.name, type_name=type_name
            )
        resolvable_value = _string_argument(directive, "resolvable")
        resolvable = not (
            isinstance(resolvable_value, BooleanValueNode) and not resolvable_value.value
        )
        try:
            selection = parse(f"{{ {fields_value.value} }}", no_location=True)
        except GraphQLError as exc:
            raise CompositionError(
                f'@key(fields: "{fields_value.value}") does not parse: {exc.message}',
                subgraph=self.name,
                type_name=type_name,
            ) from exc
        operation = cast(OperationDefinitionNode, selection.definitions[0])
        names: list[str] = []
        for item in operation.selection_set.selections:
            if (
                not isinstance(item, FieldNode)
                or item.selection_set is not None
                or item.alias is not None
                or item.arguments
            ):
                raise CompositionError(
                    f'@key(fields: "{fields_value.value}"): keys must list scalar fields '
                    "of the type (no nested selections, fragments, aliases or arguments)",
                    subgraph=self.name,
                    type_name=type_name,
                )
            names.append(item.name.value)
        if not names:
            raise CompositionError("@key lists no fields", subgraph=self.name, type_name=type_name)
        return EntityKey(fields=tuple(names), resolvable=resolvable)

    def _check_keys(self, info: _TypeInfo) -> None:
        for key in info.keys:
            for name in key.fields:
                found = info.fields.get(name)
                if found is None:
                    raise CompositionError(
                        "is named in @key but not defined by the type",
                        subgraph=self.name,
                        type_name=info.name,
                        field=name,
                    )
                named = _named_type(found.node.type)
                target = self.types.get(named)
                if target is not None and target.kind not in ("scalar", "enum"):
                    raise CompositionError(
                        f"@key fields must be scalars; {name} is a {target.kind}",
                        subgraph=self.name,
                        type_name=info.name,
                        field=name,
                    )

    @property
    def is_empty(self) -> bool:
        """Nothing but the federation plumbing (a service whose subgraph is still empty)."""
        return all(
            info.name in ROOT_NAMES.values() and not info.fields for info in self.types.values()
        )

    def key_fields(self, type_name: str) -> set[str]:
        info = self.types.get(type_name)
        return {name for key in info.keys for name in key.fields} if info else set()

    def input_types(self) -> set[str]:
        """Types this subgraph uses in input positions (arguments, input fields)."""
        used: set[str] = set()
        for info in self.types.values():
            for found in info.fields.values():
                if isinstance(found.node, InputValueDefinitionNode):
                    used.add(_named_type(found.node.type))
                for argument in getattr(found.node, "arguments", None) or ():
                    used.add(_named_type(argument.type))
        return used


def _named_type(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    return cast(NamedTypeNode, node).name.value


def _signature(node: FieldDefinitionNode | InputValueDefinitionNode) -> str:
    """Type and arguments as printed, without descriptions or directives."""
    if isinstance(node, InputValueDefinitionNode):
        default = f" = {print_ast(node.default_value)}" if node.default_value else ""
        return f"{print_ast(node.type)}{default}"
    arguments = ", ".join(
        f"{argument.name.value}: {_signature(argument)}" for argument in node.arguments or ()
    )
    return f"({arguments}) {print_ast(node.type)}"


# --- merging ------------------------------------------------------------------------


def compose(sdls: Mapping[str, str]) -> Supergraph:
    """Compose the subgraphs' SDLs (subgraph name -> SDL). Subgraphs whose schema defines
    nothing (only the federation plumbing) take no part; the rest are merged in name
    order, so the result does not depend on the order they were fetched in."""
    if not sdls:
        raise CompositionError("there are no subgraphs to compose")
    subgraphs = [_Subgraph(name, sdls[name]) for name in sorted(sdls)]
    subgraphs = [s for s in subgraphs if not s.is_empty]
    if not subgraphs:
        raise CompositionError("no subgraph defines any type")
    return _Composer(subgraphs).compose()


class _Composer:
    def __init__(self, subgraphs: list[_Subgraph]) -> None:
        self.subgraphs = subgraphs
        self.owners: dict[str, dict[str, tuple[str, ...]]] = {}
        self.keys: dict[str, dict[str, tuple[EntityKey, ...]]] = {}
        self.composed: set[str] = set().union(*(s.composed for s in subgraphs))

    def _definitions(self, type_name: str) -> list[tuple[_Subgraph, _TypeInfo]]:
        return [(s, s.types[type_name]) for s in self.subgraphs if type_name in s.types]

    def compose(self) -> Supergraph:
        names: list[str] = []
        for subgraph in self.subgraphs:
            names.extend(n for n in subgraph.types if n not in names)
        inaccessible_types = {
            name for name in names if any(info.inaccessible for _, info in self._definitions(name))
        }
        definitions: dict[str, TypeDefinitionNode] = {}
        for name in names:
            merged = self._merge_type(name, inaccessible_types)
            if merged is not None:
                definitions[name] = merged
        self._check_reachable()
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
        )

    @staticmethod
    def _possible_types(subgraph: _Subgraph) -> dict[str, frozenset[str]]:
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
        found: dict[str, tuple[_Subgraph, DirectiveDefinitionNode]] = {}
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

    def _merge_type(self, name: str, inaccessible: set[str]) -> TypeDefinitionNode | None:
        defined = self._definitions(name)
        first_subgraph, first = defined[0]
        for subgraph, info in defined[1:]:
            if info.kind != first.kind:
                raise CompositionError(
                    f"is a {info.kind} here but a {first.kind} in subgraph '{first_subgraph.name}'",
                    subgraph=subgraph.name,
                    type_name=name,
                )
        description = next((i.description for _, i in defined if i.description), None)
        directives = _unique_directives(d for _, info in defined for d in info.directives)
        if first.kind in ("object", "interface"):
            fields = self._merge_fields(name, defined, inaccessible)
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
                ObjectTypeDefinitionNode if first.kind == "object" else InterfaceTypeDefinitionNode
            )
            return node_class(
                name=NameNode(value=name),
                description=description,
                interfaces=interface_nodes,
                directives=directives,
                fields=tuple(fields),
            )
        if name in inaccessible:
            return None
        if first.kind == "union":
            members = [m for m in _unique(m for _, i in defined for m in i.members)]
            return UnionTypeDefinitionNode(
                name=NameNode(value=name),
                description=description,
                directives=directives,
                types=tuple(
                    NamedTypeNode(name=NameNode(value=m)) for m in members if m not in inaccessible
                ),
            )
        if first.kind == "enum":
            return self._merge_enum(name, defined, description, directives)
        if first.kind == "input":
            return self._merge_input(
                name, defined, description, directives, inaccessible, self.composed
            )
        return ScalarTypeDefinitionNode(
            name=NameNode(value=name), description=description, directives=directives
        )

    def _merge_fields(
        self,
        type_name: str,
        defined: list[tuple[_Subgraph, _TypeInfo]],
        inaccessible_types: set[str],
    ) -> list[FieldDefinitionNode]:
        is_root = type_name in ROOT_NAMES.values()
        order = _unique(f for _, info in defined for f in info.fields)
        merged: list[FieldDefinitionNode] = []
        owners: dict[str, tuple[str, ...]] = {}
        for field_name in order:
            holders = [
                (s, info.fields[field_name]) for s, info in defined if field_name in info.fields
            ]
            first_subgraph, first = holders[0]
            for subgraph, found in holders[1:]:
                if _signature(found.node) != _signature(first.node):
                    raise CompositionError(
                        f"conflicting types: {_signature(found.node).strip()} here, "
                        f"{_signature(first.node).strip()} in subgraph '{first_subgraph.name}'",
                        subgraph=subgraph.name,
                        type_name=type_name,
                        field=field_name,
                    )
            if len(holders) > 1:
                if is_root:
                    raise CompositionError(
                        f"duplicate root field: also defined by subgraph '{first_subgraph.name}'",
                        subgraph=holders[1][0].name,
                        type_name=type_name,
                        field=field_name,
                    )
                for subgraph, found in holders:
                    if not found.shareable and field_name not in subgraph.key_fields(type_name):
                        others = ", ".join(f"'{s.name}'" for s, _ in holders if s is not subgraph)
                        raise CompositionError(
                            f"is also resolved by subgraph {others} but is not @shareable here",
                            subgraph=subgraph.name,
                            type_name=type_name,
                            field=field_name,
                        )
            owners[field_name] = tuple(s.name for s, _ in holders)
            if any(found.inaccessible for _, found in holders):
                continue
            node = cast(FieldDefinitionNode, first.node)
            description = next((f.node.description for _, f in holders if f.node.description), None)
            referenced = _named_type(node.type)
            if referenced in inaccessible_types:
                raise CompositionError(
                    f"returns {referenced}, which is @inaccessible; mark the field @inaccessible",
                    subgraph=first_subgraph.name,
                    type_name=type_name,
                    field=field_name,
                )
            arguments = self._public_arguments(
                type_name, field_name, holders, inaccessible_types, self.composed
            )
            merged.append(
                FieldDefinitionNode(
                    name=node.name,
                    description=description,
                    arguments=arguments,
                    type=node.type,
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
    def _public_arguments(
        type_name: str,
        field_name: str,
        holders: list[tuple[_Subgraph, _FieldInfo]],
        inaccessible_types: set[str],
        composed: set[str],
    ) -> tuple[InputValueDefinitionNode, ...]:
        subgraph, first = holders[0]
        result: list[InputValueDefinitionNode] = []
        for argument in cast(FieldDefinitionNode, first.node).arguments or ():
            hidden = any(
                s.federation.get(d.name.value) == "inaccessible"
                for s, f in holders
                for a in cast(FieldDefinitionNode, f.node).arguments or ()
                if a.name.value == argument.name.value
                for d in a.directives or ()
            )
            required = isinstance(argument.type, NonNullTypeNode) and argument.default_value is None
            if hidden or _named_type(argument.type) in inaccessible_types:
                if required:
                    raise CompositionError(
                        f"required argument {argument.name.value} cannot be @inaccessible",
                        subgraph=subgraph.name,
                        type_name=type_name,
                        field=field_name,
                    )
                continue
            result.append(
                InputValueDefinitionNode(
                    name=argument.name,
                    description=argument.description,
                    type=argument.type,
                    default_value=argument.default_value,
                    directives=_public_directives(argument.directives or (), composed),
                )
            )
        return tuple(result)

    def _merge_enum(
        self,
        name: str,
        defined: list[tuple[_Subgraph, _TypeInfo]],
        description: StringValueNode | None,
        directives: tuple[ConstDirectiveNode, ...],
    ) -> EnumTypeDefinitionNode:
        first_subgraph, first = defined[0]
        as_input = [s for s, _ in defined if name in s.input_types()]
        if as_input:
            # A value one subgraph does not know would fail there as an argument.
            for subgraph, info in defined[1:]:
                if set(info.values) != set(first.values):
                    difference = sorted(set(info.values) ^ set(first.values))
                    raise CompositionError(
                        f"enum used as input (by subgraph '{as_input[0].name}') has different "
                        f"values than in subgraph '{first_subgraph.name}': {', '.join(difference)}",
                        subgraph=subgraph.name,
                        type_name=name,
                    )
        values: dict[str, EnumValueDefinitionNode] = {}
        hidden: set[str] = set()
        for _, info in defined:
            for value_name, value in info.values.items():
                values.setdefault(value_name, value)
            hidden |= info.inaccessible_values
        return EnumTypeDefinitionNode(
            name=NameNode(value=name),
            description=description,
            directives=directives,
            values=tuple(
                EnumValueDefinitionNode(
                    name=value.name,
                    description=value.description,
                    directives=_public_directives(value.directives or (), self.composed),
                )
                for value_name, value in values.items()
                if value_name not in hidden
            ),
        )

    @staticmethod
    def _merge_input(
        name: str,
        defined: list[tuple[_Subgraph, _TypeInfo]],
        description: StringValueNode | None,
        directives: tuple[ConstDirectiveNode, ...],
        inaccessible_types: set[str],
        composed: set[str],
    ) -> InputObjectTypeDefinitionNode:
        first_subgraph, first = defined[0]
        for subgraph, info in defined[1:]:
            for field_name in set(info.fields) | set(first.fields):
                mine, theirs = info.fields.get(field_name), first.fields.get(field_name)
                if (
                    mine is None
                    or theirs is None
                    or _signature(mine.node) != _signature(theirs.node)
                ):
                    raise CompositionError(
                        f"input type differs from subgraph '{first_subgraph.name}'",
                        subgraph=subgraph.name,
                        type_name=name,
                        field=field_name,
                    )
        fields: list[InputValueDefinitionNode] = []
        for field_name, found in first.fields.items():
            node = cast(InputValueDefinitionNode, found.node)
            hidden = any(info.fields[field_name].inaccessible for _, info in defined)
            if hidden or _named_type(node.type) in inaccessible_types:
                if isinstance(node.type, NonNullTypeNode) and node.default_value is None:
                    raise CompositionError(
                        "a required input field cannot be @inaccessible",
                        subgraph=first_subgraph.name,
                        type_name=name,
                        field=field_name,
                    )
                continue
            fields.append(
                InputValueDefinitionNode(
                    name=node.name,
                    description=node.description,
                    type=node.type,
                    default_value=node.default_value,
                    directives=_public_directives(node.directives or (), composed),
                )
            )
        return InputObjectTypeDefinitionNode(
            name=NameNode(value=name),
            description=description,
            directives=directives,
            fields=tuple(fields),
        )

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
                    if source in owners:
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
