"""Query planning: splits one client operation into subgraph fetches.

Root fields are grouped by the subgraph that owns them (mutation fields stay in order);
a field another subgraph resolves is fetched through that subgraph's ``_entities`` with
the key fields (and ``__typename``) added, under reserved aliases, to the parent fetch.
Fetches are arranged in waves: every fetch of a wave needs only the data of the waves
before it, so the executor sends one request per subgraph per wave.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    print_ast,
)

from services.gateway.graph.composer import Supergraph
from services.gateway.graph.shaper import Selection, compile_selection

CONDITIONAL_DIRECTIVES = ("skip", "include")
# Root fields the gateway answers itself, from the public schema.
LOCAL_ROOT_FIELDS = frozenset({"__typename", "__schema", "__type"})


class PlanningError(Exception):
    """The composed graph cannot resolve a field (composition should have refused it)."""


@dataclass(frozen=True)
class Fetch:
    """One subgraph operation (a root fetch) or one ``_entities`` selection."""

    id: int
    subgraph: str
    wave: int
    # The printed selection set: the root fields, or ``{ ... on Type { fields } }``.
    selection: str
    variables: tuple[str, ...]
    # Response keys this fetch fills (on the root object, or on each entity).
    fields: tuple[str, ...]
    # Entity fetches: response keys from the root down to the objects to extend.
    path: tuple[str, ...] = ()
    type_name: str = ""
    key_fields: tuple[str, ...] = ()

    @property
    def is_root(self) -> bool:
        return self.wave == 0


@dataclass(frozen=True)
class Phase:
    """Root fetches that run together, then the entity waves that complete them. A query
    has one phase; a mutation one per run of consecutive fields of the same subgraph."""

    waves: tuple[tuple[Fetch, ...], ...]


@dataclass
class QueryPlan:
    operation: OperationType
    phases: tuple[Phase, ...]
    # Alias prefix of the fields the gateway adds (key fields, __typename).
    export_prefix: str
    representations_prefix: str
    variable_definitions: dict[str, str]
    # How to shape the merged data into the response; None for introspection operations,
    # which graphql-core executes against the public schema.
    shape: Selection | None = None
    # Set when the whole document resolves in one subgraph: it is forwarded unchanged.
    passthrough: str | None = None
    # Subgraph documents built for the combinations of fetches a request needed.
    documents: dict[tuple[int, ...], str] = field(default_factory=dict)

    @property
    def typename_key(self) -> str:
        return self.export_prefix + "__typename"

    def fetches(self) -> Iterator[Fetch]:
        for phase in self.phases:
            for wave in phase.waves:
                yield from wave

    def document(self, fetches: tuple[Fetch, ...]) -> str:
        """The subgraph document for the fetches one request carries (one subgraph)."""
        key = tuple(f.id for f in fetches)
        found = self.documents.get(key)
        if found is not None:
            return found
        variables = list(dict.fromkeys(name for f in fetches for name in f.variables))
        definitions = [self.variable_definitions[name] for name in variables]
        if fetches[0].is_root:
            (fetch,) = fetches
            head = "mutation" if self.operation is OperationType.MUTATION else "query"
            text = f"{head}{_arguments(definitions)} {fetch.selection}"
        else:
            definitions = [
                f"${self.representations_prefix}{f.id}: [_Any!]!" for f in fetches
            ] + definitions
            body = " ".join(
                f"_{f.id}: _entities(representations: ${self.representations_prefix}{f.id}) "
                f"{f.selection}"
                for f in fetches
            )
            text = f"query{_arguments(definitions)} {{ {body} }}"
        self.documents[key] = text
        return text


def _arguments(definitions: list[str]) -> str:
    return f"({', '.join(definitions)})" if definitions else ""


def _free_prefix(base: str, taken: Iterable[str]) -> str:
    taken = list(taken)
    prefix = base
    while any(name.startswith(prefix) for name in taken):
        prefix = "_" + prefix
    return prefix


def _names_in(document_nodes: Iterable[SelectionSetNode]) -> set[str]:
    names: set[str] = set()
    stack = list(document_nodes)
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add((selection.alias or selection.name).value)
                if selection.selection_set:
                    stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
    return names


def _variables_in(value: ValueNode, into: dict[str, None]) -> None:
    if isinstance(value, VariableNode):
        into[value.name.value] = None
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _variables_in(item, into)
    elif isinstance(value, ObjectValueNode):
        for object_field in value.fields:
            _variables_in(object_field.value, into)


def condition_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """Variables that ``@skip``/``@include`` read: their values select the plan."""
    found: dict[str, None] = {}
    seen: set[str] = set()
    stack = [operation.selection_set]
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value in CONDITIONAL_DIRECTIVES:
                    for argument in directive.arguments or ():
                        _variables_in(argument.value, found)
            if isinstance(selection, FieldNode):
                if selection.selection_set:
                    stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    stack.append(fragments[name].selection_set)
    return tuple(found)


class Planner:
    """Plans one operation for one set of ``@skip``/``@include`` variable values."""

    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        *,
        reserved_names: Iterable[str],
    ) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables
        reserved = list(reserved_names)
        self.export_prefix = _free_prefix("_export_", reserved)
        self.representations_prefix = _free_prefix(
            "_r", [d.variable.name.value for d in operation.variable_definitions or ()]
        )
        self._next_id = 0

    # -- field collection (the execution algorithm's CollectFields, on the public schema)

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in CONDITIONAL_DIRECTIVES:
                continue
            value = self._condition(directive)
            if (name == "skip" and value) or (name == "include" and not value):
                return False
        return True

    def _condition(self, directive: DirectiveNode) -> bool:
        for argument in directive.arguments or ():
            if argument.name.value == "if":
                if isinstance(argument.value, BooleanValueNode):
                    return argument.value.value
                if isinstance(argument.value, VariableNode):
                    return bool(self.variables.get(argument.value.name.value))
        return False

    def _applies(self, condition: NamedTypeNode | None, object_type: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        named = self.schema.get_type(condition.name.value)
        if named is object_type:
            return True
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(named, object_type)
        return False

    def collect(
        self, object_type: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if not self._included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, object_type):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    visited.add(name)
                    fragment = self.fragments[name]
                    if self._applies(fragment.type_condition, object_type):
                        visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        return fields

    # -- planning

    def plan(self) -> QueryPlan:
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            raise PlanningError(f"the schema has no {self.operation.operation.value} type")
        fields = self.collect(root, [self.operation.selection_set])
        groups: list[tuple[str, dict[str, list[FieldNode]]]] = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name in LOCAL_ROOT_FIELDS:
                continue
            owners = self.supergraph.field_owners(root.name, name)
            if not owners:
                raise PlanningError(f"no subgraph resolves {root.name}.{name}")
            owner = owners[0]
            if self.operation.operation is OperationType.MUTATION:
                # Mutation fields run one after another: group only consecutive ones.
                if groups and groups[-1][0] == owner:
                    groups[-1][1][key] = nodes
                else:
                    groups.append((owner, {key: nodes}))
            else:
                group = next((g for s, g in groups if s == owner), None)
                if group is None:
                    groups.append((owner, {key: nodes}))
                else:
                    group[key] = nodes
        if self.operation.operation is OperationType.MUTATION:
            phases = tuple(self._phase([group]) for group in groups)
        else:
            phases = (self._phase(groups),) if groups else ()
        introspection = any(
            nodes[0].name.value in ("__schema", "__type") for nodes in fields.values()
        )
        return QueryPlan(
            operation=self.operation.operation,
            phases=phases,
            export_prefix=self.export_prefix,
            representations_prefix=self.representations_prefix,
            variable_definitions={
                definition.variable.name.value: print_ast(definition)
                for definition in self.operation.variable_definitions or ()
            },
            shape=None
            if introspection
            else compile_selection(
                self.schema, self.collect, [root], None, self.operation.selection_set
            ),
        )

    def _phase(self, groups: list[tuple[str, dict[str, list[FieldNode]]]]) -> Phase:
        root = self.schema.get_root_type(self.operation.operation)
        assert root is not None
        fetches: list[Fetch] = []
        for subgraph, fields in groups:
            selections, children = self._plan_fields(subgraph, root, fields, (), 0)
            fetches.append(self._fetch(subgraph, 0, selections, tuple(fields)))
            fetches.extend(children)
        waves: dict[int, list[Fetch]] = {}
        for fetch in fetches:
            waves.setdefault(fetch.wave, []).append(fetch)
        return Phase(waves=tuple(tuple(waves[w]) for w in sorted(waves)))

    def _fetch(
        self,
        subgraph: str,
        wave: int,
        selections: list[SelectionNode],
        fields: tuple[str, ...],
        **entity: Any,
    ) -> Fetch:
        selection_set = SelectionSetNode(selections=tuple(selections))
        used: dict[str, None] = {}
        _collect_variables(selection_set, used)
        self._next_id += 1
        return Fetch(
            id=self._next_id,
            subgraph=subgraph,
            wave=wave,
            selection=print_ast(selection_set),
            variables=tuple(used),
            fields=fields,
            **entity,
        )

    def _export(self, name: str) -> FieldNode:
        return FieldNode(alias=NameNode(value=self.export_prefix + name), name=NameNode(value=name))

    def _plan_fields(
        self,
        location: str,
        parent: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        path: tuple[str, ...],
        wave: int,
    ) -> tuple[list[SelectionNode], list[Fetch]]:
        """The selections ``location`` resolves for objects of ``parent`` at ``path``, and
        the fetches that resolve the rest elsewhere."""
        local: list[SelectionNode] = []
        fetches: list[Fetch] = []
        remote: dict[str, dict[str, list[FieldNode]]] = {}
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                continue  # answered from the public schema when the result is shaped
            owners = self.supergraph.field_owners(parent.name, name)
            if location in owners:
                selection, children = self._plan_field(location, parent, key, nodes, path, wave)
                local.append(selection)
                fetches.extend(children)
                continue
            target = next((s for s in owners if s in remote), None) or next(
                (s for s in owners if self.supergraph.entity_key(parent.name, location, s)),
                None,
            )
            if target is None:
                raise PlanningError(
                    f"{parent.name}.{name} cannot be reached from subgraph '{location}'"
                )
            remote.setdefault(target, {})[key] = nodes
        exported: set[str] = set()
        for target, remote_fields in remote.items():
            entity_key = self.supergraph.entity_key(parent.name, location, target)
            if entity_key is None:
                raise PlanningError(f"no key of {parent.name} joins '{location}' to '{target}'")
            for name in ("__typename", *entity_key.fields):
                if name not in exported:
                    exported.add(name)
                    local.append(self._export(name))
            selections, children = self._plan_fields(target, parent, remote_fields, path, wave + 1)
            fragment = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                selection_set=SelectionSetNode(selections=tuple(selections)),
            )
            fetches.append(
                self._fetch(
                    target,
                    wave + 1,
                    [fragment],
                    tuple(remote_fields),
                    path=path,
                    type_name=parent.name,
                    key_fields=entity_key.fields,
                )
            )
            fetches.extend(children)
        if not local:
            # Only gateway-answered fields here; a selection set cannot be empty.
            local.append(self._export("__typename"))
        return local, fetches

    def _plan_field(
        self,
        location: str,
        parent: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        path: tuple[str, ...],
        wave: int,
    ) -> tuple[FieldNode, list[Fetch]]:
        first = nodes[0]
        name = first.name.value
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        directives = tuple(
            d for d in first.directives or () if d.name.value not in CONDITIONAL_DIRECTIVES
        )
        alias = NameNode(value=key) if key != name else None
        if first.selection_set is None:
            return FieldNode(
                alias=alias, name=first.name, arguments=first.arguments, directives=directives
            ), []
        child_path = (*path, key)
        fetches: list[Fetch] = []
        selections: list[SelectionNode]
        if isinstance(named, GraphQLObjectType):
            sub = self.collect(named, [n.selection_set for n in nodes if n.selection_set])
            selections, fetches = self._plan_fields(location, named, sub, child_path, wave)
        elif is_abstract_type(named):
            known = self.supergraph.possible_types.get(location, {}).get(named.name, frozenset())
            selections = [self._export("__typename")]
            for possible in self.schema.get_possible_types(named):
                if possible.name not in known:
                    continue
                sub = self.collect(possible, [n.selection_set for n in nodes if n.selection_set])
                inner, children = self._plan_fields(location, possible, sub, child_path, wave)
                selections.append(
                    InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=possible.name)),
                        selection_set=SelectionSetNode(selections=tuple(inner)),
                    )
                )
                fetches.extend(children)
        else:
            raise PlanningError(f"{parent.name}.{name} has a selection set but is a leaf")
        return FieldNode(
            alias=alias,
            name=first.name,
            arguments=first.arguments,
            directives=directives,
            selection_set=SelectionSetNode(selections=tuple(selections)),
        ), fetches


def _collect_variables(selection_set: SelectionSetNode, into: dict[str, None]) -> None:
    for selection in selection_set.selections:
        for directive in selection.directives or ():
            for argument in directive.arguments or ():
                _variables_in(argument.value, into)
        if isinstance(selection, FieldNode):
            for argument in selection.arguments or ():
                _variables_in(argument.value, into)
            if selection.selection_set:
                _collect_variables(selection.selection_set, into)
        elif isinstance(selection, InlineFragmentNode):
            _collect_variables(selection.selection_set, into)


def response_names(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> set[str]:
    """Every response key and field name the client uses: gateway aliases avoid them."""
    names = _names_in([operation.selection_set])
    names |= _names_in(fragment.selection_set for fragment in fragments.values())
    return names


def single_subgraph(
    supergraph: Supergraph,
    operations: Iterable[OperationDefinitionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
) -> str | None:
    """The subgraph that can run the whole document as it is (every operation and
    fragment in it: the subgraph validates them all), if there is one."""
    candidates = list(supergraph.subgraphs)
    schema = supergraph.schema
    touched = False  # a document of __typename alone is answered by the gateway

    def visit(selection_set: SelectionSetNode, parent: Any) -> None:
        nonlocal candidates, touched
        for selection in selection_set.selections:
            if not candidates:
                return
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if name in ("__schema", "__type"):
                    candidates = []
                    return
                if name == "__typename":
                    continue
                owners = supergraph.field_owners(parent.name, name)
                candidates = [s for s in candidates if s in owners]
                touched = True
                if selection.selection_set:
                    definition = parent.fields[name]
                    visit(selection.selection_set, get_named_type(definition.type))
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    condition = selection.type_condition.name.value
                    candidates = [
                        s for s in candidates if condition in supergraph.subgraph_types[s]
                    ]
                    inner = schema.get_type(condition)
                visit(selection.selection_set, inner)

    for operation in operations:
        for definition in operation.variable_definitions or ():
            named = _type_name(definition.type)
            if named not in _BUILT_IN_SCALARS:
                candidates = [s for s in candidates if named in supergraph.subgraph_types[s]]
        root = schema.get_root_type(operation.operation)
        if root is None:
            return None
        visit(operation.selection_set, root)
    for fragment in fragments.values():
        condition = fragment.type_condition.name.value
        candidates = [s for s in candidates if condition in supergraph.subgraph_types[s]]
        visit(fragment.selection_set, schema.get_type(condition))
    return candidates[0] if candidates and touched else None


_BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def _type_name(node: Any) -> str:
    while not isinstance(node, NamedTypeNode):
        node = node.type
    return node.name.value


__all__ = [
    "Fetch",
    "Phase",
    "Planner",
    "PlanningError",
    "QueryPlan",
    "condition_variables",
    "response_names",
    "single_subgraph",
]
