"""Reading one subgraph: its SDL parsed, its federation directives resolved to their spec
names (imports may rename them), its types with what each field declares, checked on its
own before the subgraphs are merged."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

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
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    NullValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
    parse,
)

from services.gateway.graph.errors import CompositionError
from services.gateway.graph.supergraph import EntityKey, FieldTree, ListSize, print_tree

FEDERATION_URL = "https://specs.apollo.dev/federation/"
LINK_URL = "https://specs.apollo.dev/link/"
SUPPORTED_FEDERATION = frozenset(
    {
        "key",
        "shareable",
        "inaccessible",
        "composeDirective",
        "external",
        "requires",
        "provides",
        "cost",
        "listSize",
    }
)
# Directives every GraphQL schema may use; kept in the public schema as they are.
BUILT_IN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "oneOf"})
FEDERATION_TYPES = frozenset({"_Any", "_Entity", "_Service", "FieldSet", "_FieldSet"})
FEDERATION_ROOT_FIELDS = frozenset({"_service", "_entities"})
ROOT_NAMES = {OperationType.QUERY: "Query", OperationType.MUTATION: "Mutation"}
WHY_REFUSED = {
    "override": "@override (migrating a field between subgraphs)",
    "interfaceObject": "@interfaceObject (entity interfaces)",
    "authenticated": "@authenticated (authorization belongs to each service)",
    "requiresScopes": "@requiresScopes (authorization belongs to each service)",
    "policy": "@policy (authorization belongs to each service)",
    "extends": "@extends (federation 1 syntax)",
    "tag": "@tag (contracts)",
    "context": "@context",
    "fromContext": "@fromContext",
}
# Output kinds a field may select into (the others are leaves).
COMPOSITE_KINDS = frozenset({"object", "interface", "union"})


@dataclass
class FieldInfo:
    """One field (or input field) as one subgraph declares it."""

    node: FieldDefinitionNode | InputValueDefinitionNode
    shareable: bool
    inaccessible: bool
    external: bool = False
    requires: FieldTree | None = None
    provides: FieldTree | None = None
    weight: int | None = None
    list_size: ListSize | None = None
    # argument -> its @cost weight
    argument_weights: dict[str, int] = field(default_factory=dict)
    inaccessible_arguments: set[str] = field(default_factory=set)

    @property
    def arguments(self) -> tuple[InputValueDefinitionNode, ...]:
        return tuple(getattr(self.node, "arguments", None) or ())


@dataclass
class TypeInfo:
    kind: str  # object | interface | union | enum | input | scalar
    name: str
    description: StringValueNode | None = None
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValueDefinitionNode] = field(default_factory=dict)
    inaccessible_values: set[str] = field(default_factory=set)
    keys: list[EntityKey] = field(default_factory=list)
    inaccessible: bool = False
    weight: int | None = None
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


def argument_value(directive: ConstDirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def named_type(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    return cast(NamedTypeNode, node).name.value


def _strings(value: ValueNode | None) -> tuple[str, ...]:
    if isinstance(value, StringValueNode):
        return (value.value,)
    if isinstance(value, ListValueNode):
        return tuple(item.value for item in value.values if isinstance(item, StringValueNode))
    return ()


Directives = dict[str, list[ConstDirectiveNode]]


class SubgraphSchema:
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
        self.types: dict[str, TypeInfo] = {}
        # Raw fields arguments, checked once every type is read.
        self._field_sets: list[tuple[str, str, str, ConstDirectiveNode]] = []
        self._read_links()
        self._read_types()

    def _refusal(
        self, message: str, type_name: str | None = None, field: str | None = None
    ) -> CompositionError:
        return CompositionError(message, subgraph=self.name, type_name=type_name, field=field)

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
                if directive.name.value == "link":
                    federation_link |= self._read_link(directive)
        if not federation_link:
            raise self._refusal(
                "its SDL has no @link to the Apollo Federation v2 spec "
                f"({FEDERATION_URL}v2.x); federation 1 subgraphs are not supported"
            )
        for node in schema_nodes:
            for directive in node.directives or ():
                name = directive.name.value
                if name == "link":
                    continue
                if self.federation.get(name) == "composeDirective":
                    value = argument_value(directive, "name")
                    if not isinstance(value, StringValueNode):
                        raise self._refusal("@composeDirective needs a name")
                    self.composed.add(value.value.removeprefix("@"))
                else:
                    raise self._refusal(f"schema directive @{name} is not supported")
        for name in self.linked_imports - self.composed:
            raise self._refusal(
                f"@{name} is imported from a linked spec but not composed (@composeDirective)"
            )

    def _read_link(self, directive: ConstDirectiveNode) -> bool:
        url = argument_value(directive, "url")
        if not isinstance(url, StringValueNode):
            raise self._refusal("@link needs a url")
        alias = argument_value(directive, "as")
        imports = argument_value(directive, "import")
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
            raise self._refusal(f"federation spec {version} is not supported; use v2.x")
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
                info = self.types[name] = TypeInfo(kind=kind, name=name)
            elif info.kind != kind:
                raise self._refusal(f"is both {info.kind} and {kind}", name)
            self._read_type(info, type_node)
        for operation in (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION):
            self.roots.setdefault(operation, operation.value.capitalize())
        subscription = self.types.get(self.roots[OperationType.SUBSCRIPTION])
        if subscription is not None and subscription.fields:
            raise self._refusal(
                "subscriptions are not supported by the gateway",
                subscription.name,
                next(iter(subscription.fields)),
            )
        for operation, public in ROOT_NAMES.items():
            local = self.roots[operation]
            if local == public or local not in self.types:
                continue
            # Strawberry names root types after their classes; the public graph has one
            # Query and one Mutation whatever each subgraph calls them.
            if public in self.types:
                raise self._refusal(
                    f"{public} is not the {operation.value} root type here ({local} is)", public
                )
            info = self.types.pop(local)
            info.name = public
            self.types[public] = info
            self.renamed_roots.add(public)
            self._field_sets = [
                (public if type_name == local else type_name, field_name, spec, directive)
                for type_name, field_name, spec, directive in self._field_sets
            ]
        for info in self.types.values():
            self._check_keys(info)
        for type_name, field_name, spec, directive in self._field_sets:
            self._read_field_set(type_name, field_name, spec, directive)
        self._check_externals_used()

    def _is_federation_type(self, name: str) -> bool:
        return (
            name in FEDERATION_TYPES
            or name in self.spec_types
            or name.startswith(("link__", "federation__"))
        )

    def _directives(
        self, nodes: Iterable[ConstDirectiveNode], type_name: str, field_name: str | None
    ) -> tuple[Directives, list[ConstDirectiveNode]]:
        """(federation directives used, by spec name; directives kept in the public schema)."""
        used: Directives = {}
        kept: list[ConstDirectiveNode] = []
        for directive in nodes:
            name = directive.name.value
            spec = self.federation.get(name)
            if spec is not None:
                if spec not in SUPPORTED_FEDERATION:
                    raise self._refusal(
                        f"{WHY_REFUSED.get(spec, '@' + spec)} is not supported by the gateway",
                        type_name,
                        field_name,
                    )
                used.setdefault(spec, []).append(directive)
            elif name in BUILT_IN_DIRECTIVES or name in self.composed:
                kept.append(directive)
            elif name in WHY_REFUSED:
                raise self._refusal(
                    f"{WHY_REFUSED[name]} is not supported by the gateway", type_name, field_name
                )
            elif name not in self.directive_definitions:
                raise self._refusal(
                    f"directive @{name} is neither defined nor a supported federation directive",
                    type_name,
                    field_name,
                )
            # A custom directive the subgraph defines but does not compose is its own
            # business (it is not part of the public schema).
        return used, kept

    def _refuse(
        self, used: Directives, names: Iterable[str], where: str, type_name: str, field: str | None
    ) -> None:
        for name in names:
            if name in used:
                raise self._refusal(f"@{name} does not apply to {where}", type_name, field)

    def _weight(self, used: Directives, type_name: str, field_name: str | None) -> int | None:
        for directive in used.get("cost", ()):
            value = argument_value(directive, "weight")
            if not isinstance(value, IntValueNode):
                raise self._refusal("@cost needs a whole number weight", type_name, field_name)
            return int(value.value)
        return None

    def _read_type(self, info: TypeInfo, node: TypeDefinitionNode) -> None:
        name = info.name
        description = getattr(node, "description", None)
        if description is not None and info.description is None:
            info.description = description
        used, kept = self._directives(node.directives or (), name, None)
        info.directives.extend(kept)
        info.inaccessible |= "inaccessible" in used
        if "shareable" in used and info.kind != "object":
            raise self._refusal("@shareable applies to object types and fields only", name)
        if "key" in used and info.kind != "object":
            raise self._refusal("@key on an interface (entity interfaces) is not supported", name)
        self._refuse(used, ("requires", "provides", "listSize"), "types", name, None)
        if "external" in used and info.kind != "object":
            raise self._refusal("@external applies to object types and fields only", name)
        if "cost" in used and info.kind not in ("object", "scalar", "enum"):
            raise self._refusal(f"@cost does not apply to {info.kind} types", name)
        info.weight = self._weight(used, name, None) if "cost" in used else info.weight
        for key in used.get("key", ()):
            info.keys.append(self._parse_key(name, key))
        if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            info.interfaces.extend(i.name.value for i in node.interfaces or ())
        if isinstance(node, InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode):
            info.interfaces.extend(i.name.value for i in node.interfaces or ())
        if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            info.members.extend(member.name.value for member in node.types or ())
        if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            for value in node.values or ():
                value_used, _ = self._directives(value.directives or (), name, value.name.value)
                self._refuse(
                    value_used,
                    (s for s in SUPPORTED_FEDERATION if s != "inaccessible"),
                    "enum values",
                    name,
                    value.name.value,
                )
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
                    raise self._refusal("is defined twice", name, field_name)
                info.fields[field_name] = self._read_field(
                    info,
                    field_node,
                    type_shareable="shareable" in used,
                    type_external="external" in used,
                )

    def _read_field(
        self,
        info: TypeInfo,
        node: FieldDefinitionNode | InputValueDefinitionNode,
        *,
        type_shareable: bool,
        type_external: bool,
    ) -> FieldInfo:
        name, field_name = info.name, node.name.value
        used, _ = self._directives(node.directives or (), name, field_name)
        if info.kind == "input":
            self._refuse(
                used,
                ("shareable", "external", "requires", "provides", "listSize", "key"),
                "input fields",
                name,
                field_name,
            )
        if info.kind == "interface":
            # Interfaces are value types: their fields need no @shareable, and the
            # federation directives about resolving fields belong on the object types.
            self._refuse(
                used, ("shareable", "external", "requires", "provides"), "interface fields",
                name, field_name,
            )  # fmt: skip
        found = FieldInfo(
            node=node,
            shareable=type_shareable or "shareable" in used,
            inaccessible="inaccessible" in used,
            external="external" in used or type_external,
            weight=self._weight(used, name, field_name),
        )
        for spec in ("requires", "provides"):
            for directive in used.get(spec, ()):
                self._field_sets.append((name, field_name, spec, directive))
        for directive in used.get("listSize", ()):
            found.list_size = self._list_size(directive, info, node)
        for argument in getattr(node, "arguments", None) or ():
            argument_used, _ = self._directives(
                argument.directives or (), name, f"{field_name}({argument.name.value}:)"
            )
            self._refuse(
                argument_used,
                ("shareable", "external", "requires", "provides", "listSize", "key"),
                "arguments",
                name,
                f"{field_name}({argument.name.value}:)",
            )
            if "inaccessible" in argument_used:
                found.inaccessible_arguments.add(argument.name.value)
            weight = self._weight(argument_used, name, f"{field_name}({argument.name.value}:)")
            if weight is not None:
                found.argument_weights[argument.name.value] = weight
        return found

    def _list_size(
        self,
        directive: ConstDirectiveNode,
        info: TypeInfo,
        node: FieldDefinitionNode | InputValueDefinitionNode,
    ) -> ListSize:
        field_name = node.name.value

        def refuse(message: str) -> CompositionError:
            return self._refusal(f"@listSize: {message}", info.name, field_name)

        for given in directive.arguments or ():
            if isinstance(given.value, NullValueNode):
                raise refuse(f"{given.name.value} may be left out, not null")
        assumed = argument_value(directive, "assumedSize")
        slicing = _strings(argument_value(directive, "slicingArguments"))
        sized = _strings(argument_value(directive, "sizedFields"))
        require_one = argument_value(directive, "requireOneSlicingArgument")
        arguments = {a.name.value: a for a in cast(FieldDefinitionNode, node).arguments or ()}
        for name in slicing:
            argument = arguments.get(name)
            if argument is None or named_type(argument.type) != "Int":
                raise refuse(f"slicing argument '{name}' is not an Int argument of the field")
        list_type = isinstance(
            node.type.type if isinstance(node.type, NonNullTypeNode) else node.type, ListTypeNode
        )
        if not sized and not list_type:
            raise refuse("the field is not a list (name the list fields in sizedFields)")
        return ListSize(
            assumed_size=int(assumed.value) if isinstance(assumed, IntValueNode) else None,
            slicing_arguments=slicing,
            sized_fields=sized,
            require_one_slicing_argument=not (
                isinstance(require_one, BooleanValueNode) and not require_one.value
            ),
        )

    # -- fields arguments (@key, @requires, @provides)

    def _selection(self, text: str, directive: str, type_name: str, field: str | None) -> FieldTree:
        """A ``fields`` argument as a tree of field names (no arguments, aliases, fragments
        or directives: the gateway's subset)."""
        where = f'@{directive}(fields: "{text}")'
        try:
            document = parse(f"{{ {text} }}", no_location=True)
        except GraphQLError as exc:
            raise self._refusal(f"{where} does not parse: {exc.message}", type_name, field) from exc
        operation = cast(OperationDefinitionNode, document.definitions[0])

        def tree(selection_set: SelectionSetNode) -> FieldTree:
            result: list[tuple[str, FieldTree]] = []
            for item in selection_set.selections:
                if (
                    not isinstance(item, FieldNode)
                    or item.alias is not None
                    or item.arguments
                    or item.directives
                ):
                    raise self._refusal(
                        f"{where}: only fields may be selected (no fragments, aliases, "
                        "arguments or directives)",
                        type_name,
                        field,
                    )
                inner = tree(item.selection_set) if item.selection_set else ()
                result.append((item.name.value, inner))
            return tuple(result)

        selected = tree(operation.selection_set)
        if not selected:
            raise self._refusal(f"{where} lists no fields", type_name, field)
        return selected

    def _parse_key(self, type_name: str, directive: ConstDirectiveNode) -> EntityKey:
        fields_value = argument_value(directive, "fields")
        if not isinstance(fields_value, StringValueNode):
            raise self._refusal("@key needs a fields string", type_name)
        resolvable_value = argument_value(directive, "resolvable")
        resolvable = not (
            isinstance(resolvable_value, BooleanValueNode) and not resolvable_value.value
        )
        selected = self._selection(fields_value.value, "key", type_name, None)
        if any(inner for _, inner in selected):
            raise self._refusal(
                f'@key(fields: "{fields_value.value}"): keys must list scalar fields '
                "of the type (no nested selections, fragments, aliases or arguments)",
                type_name,
            )
        return EntityKey(fields=tuple(name for name, _ in selected), resolvable=resolvable)

    def _check_keys(self, info: TypeInfo) -> None:
        for key in info.keys:
            for name in key.fields:
                found = info.fields.get(name)
                if found is None:
                    raise self._refusal(
                        "is named in @key but not defined by the type", info.name, name
                    )
                target = self.types.get(named_type(found.node.type))
                if target is not None and target.kind not in ("scalar", "enum"):
                    raise self._refusal(
                        f"@key fields must be scalars; {name} is a {target.kind}", info.name, name
                    )

    def _read_field_set(
        self, type_name: str, field_name: str, spec: str, directive: ConstDirectiveNode
    ) -> None:
        info = self.types[type_name]
        found = info.fields[field_name]
        text = argument_value(directive, "fields")
        if not isinstance(text, StringValueNode):
            raise self._refusal(f"@{spec} needs a fields string", type_name, field_name)
        selected = self._selection(text.value, spec, type_name, field_name)
        if spec == "requires":
            self._check_selection(selected, info, spec, type_name, field_name)
            found.requires = selected
            return
        target = self.types.get(named_type(found.node.type))
        if target is None or target.kind not in ("object", "interface"):
            raise self._refusal(
                f"@provides applies to fields returning object types; this one returns "
                f"{named_type(found.node.type)}",
                type_name,
                field_name,
            )
        self._check_selection(selected, target, spec, type_name, field_name)
        found.provides = selected

    def _check_selection(
        self, selected: FieldTree, on: TypeInfo, spec: str, type_name: str, field_name: str
    ) -> None:
        """Every selected field exists (leaves on leaf types); the top-level ones must be
        @external here: they are what another subgraph resolves."""
        where = f'@{spec}(fields: "{print_tree(selected)}")'

        def check(tree: FieldTree, parent: TypeInfo, top: bool) -> None:
            for name, inner in tree:
                found = parent.fields.get(name)
                if found is None:
                    raise self._refusal(
                        f"{where}: {parent.name} has no field {name} in this subgraph",
                        type_name,
                        field_name,
                    )
                if top and not found.external:
                    raise self._refusal(
                        f"{where}: {parent.name}.{name} must be @external here (it is "
                        "resolved by this subgraph already)",
                        type_name,
                        field_name,
                    )
                target_name = named_type(found.node.type)
                target = self.types.get(target_name)
                composite = target is not None and target.kind in COMPOSITE_KINDS
                if composite != bool(inner):
                    raise self._refusal(
                        f"{where}: {parent.name}.{name} "
                        + ("needs a selection of its fields" if composite else "is a leaf"),
                        type_name,
                        field_name,
                    )
                if inner and target is not None:
                    if target.kind != "object":
                        raise self._refusal(
                            f"{where}: selections into {target.kind} types are not supported",
                            type_name,
                            field_name,
                        )
                    check(inner, target, False)

        check(selected, on, True)

    def _check_externals_used(self) -> None:
        """An @external field is there for a @key, a @requires, a @provides or an
        interface it helps implement; anywhere else it is a mistake."""
        used: set[tuple[str, str]] = set()
        for info in self.types.values():
            for key in info.keys:
                used.update((info.name, name) for name in key.fields)
            for interface in info.interfaces:
                declared = self.types.get(interface)
                if declared is not None:
                    used.update((info.name, name) for name in declared.fields)
            for found in info.fields.values():
                if found.requires:
                    self._selected(found.requires, info.name, used)
                if found.provides:
                    self._selected(found.provides, named_type(found.node.type), used)
        for info in self.types.values():
            for field_name, found in info.fields.items():
                if found.external and (info.name, field_name) not in used:
                    raise self._refusal(
                        "is @external but no @key, @requires or @provides of this subgraph uses it",
                        info.name,
                        field_name,
                    )

    def _selected(self, tree: FieldTree, type_name: str, into: set[tuple[str, str]]) -> None:
        """Every (type, field) a fields argument selects, nested selections included."""
        info = self.types.get(type_name)
        if info is None:
            return
        implementations = [t.name for t in self.types.values() if type_name in t.interfaces]
        for name, inner in tree:
            into.update((owner, name) for owner in (type_name, *implementations))
            found = info.fields.get(name)
            if inner and found is not None:
                self._selected(inner, named_type(found.node.type), into)

    # -- what the composer asks

    @property
    def is_empty(self) -> bool:
        """Nothing but the federation plumbing (a service whose subgraph is still empty)."""
        return all(
            info.name in ROOT_NAMES.values() and not info.fields for info in self.types.values()
        )

    def key_fields(self, type_name: str) -> set[str]:
        info = self.types.get(type_name)
        return {name for key in info.keys for name in key.fields} if info else set()

    def usage(self) -> tuple[set[str], set[str]]:
        """Named types this subgraph uses in (input positions, output positions)."""
        inputs: set[str] = set()
        outputs: set[str] = set()
        for info in self.types.values():
            for found in info.fields.values():
                if isinstance(found.node, InputValueDefinitionNode):
                    inputs.add(named_type(found.node.type))
                    continue
                outputs.add(named_type(found.node.type))
                for argument in found.arguments:
                    inputs.add(named_type(argument.type))
        return inputs, outputs
