"""Query planning: splits one client operation into subgraph fetches.

Root fields are grouped by the subgraph that owns them (mutation fields stay in order);
a field another subgraph resolves is fetched through that subgraph's ``_entities`` with
the key fields (and ``__typename``) added, under reserved aliases, to the parent fetch.
A field with ``@requires`` is always fetched that way, its representations carrying the
required fields, which are planned like client fields under reserved aliases; a field a
subgraph ``@provides`` along the path is taken from that subgraph's answer.
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

from services.gateway.graph.shaper import Selection, compile_selection
from services.gateway.graph.supergraph import (
    FieldTree,
    Supergraph,
    merge_trees,
    subtree,
    tree_names,
)

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
    # Fields of the object its representations carry besides the key (@requires).
    required: FieldTree = ()
    # Reserved response keys it fills for later fetches (required fields).
    hidden: tuple[str, ...] = ()

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
        mutation = self.operation.operation is OperationType.MUTATION
        groups: list[tuple[str, dict[str, list[FieldNode]]]] = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name in LOCAL_ROOT_FIELDS:
                continue
            owners = self.supergraph.field_owners(root.name, name)
            if not owners:
                raise PlanningError(f"no subgraph resolves {root.name}.{name}")
            # A root field several subgraphs resolve (@shareable) goes where others
            # already go: one request fewer. Mutation fields run one after another, so
            # only the group just before counts.
            chosen = [s for s, _ in groups[-1:]] if mutation else [s for s, _ in groups]
            owner = next((s for s in owners if s in chosen), owners[0])
            if mutation:
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
        if mutation:
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
                self.schema,
                self.collect,
                [root],
                None,
                self.operation.selection_set,
                self.supergraph.hidden_values,
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
            fields=tuple(key for key in fields if not key.startswith(self.export_prefix)),
            hidden=tuple(key for key in fields if key.startswith(self.export_prefix)),
            **entity,
        )

    def _export(self, name: str) -> FieldNode:
        return FieldNode(alias=NameNode(value=self.export_prefix + name), name=NameNode(value=name))

    def _hidden_field(self, name: str, inner: FieldTree) -> tuple[str, list[FieldNode]]:
        """A field a @requires needs, selected under a reserved alias."""

        def selection_set(tree: FieldTree) -> SelectionSetNode | None:
            if not tree:
                return None
            return SelectionSetNode(
                selections=tuple(
                    FieldNode(name=NameNode(value=n), selection_set=selection_set(t))
                    for n, t in tree
                )
            )

        key = self.export_prefix + name
        return key, [
            FieldNode(
                alias=NameNode(value=key),
                name=NameNode(value=name),
                selection_set=selection_set(inner),
            )
        ]

    def _target(self, parent: str, name: str, location: str, chosen: Iterable[str]) -> str:
        """The subgraph to fetch ``parent.name`` from for objects ``location`` returned."""
        chosen = set(chosen)
        reachable = [
            s
            for s in self.supergraph.field_owners(parent, name)
            if self.supergraph.entity_key(parent, location, s) is not None
        ]
        if not reachable:
            raise PlanningError(f"{parent}.{name} cannot be reached from subgraph '{location}'")
        # One already asked for this object's other fields, then one needing no @requires.
        return min(
            reachable,
            key=lambda s: (
                s not in chosen,
                self.supergraph.required_fields(parent, name, s) is not None,
            ),
        )

    def _plan_fields(
        self,
        location: str,
        parent: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        path: tuple[str, ...],
        wave: int,
        provided: FieldTree = (),
        *,
        assigned: bool = False,
    ) -> tuple[list[SelectionNode], list[Fetch]]:
        """The selections ``location`` resolves for objects of ``parent`` at ``path``, and
        the fetches that resolve the rest elsewhere. ``provided``: the fields ``location``
        resolves here because the field leading to these objects @provides them;
        ``assigned``: the fields were routed to ``location``'s _entities, which resolves
        them all (a @requires included, from the representation)."""
        local: dict[str, list[FieldNode]] = {}
        remote: dict[str, dict[str, list[FieldNode]]] = {}
        placed: dict[str, str] = {}  # response key -> the subgraph resolving it
        needs: dict[str, set[str]] = {}  # subgraph -> reserved keys its fields require
        required: dict[str, FieldTree] = {}  # subgraph -> what its representations carry
        pending = list(fields.items())
        while pending:
            key, nodes = pending.pop(0)
            if key in placed:
                # A required field selected again (by another @requires): one selection.
                owner = placed[key]
                (local if owner == location else remote[owner])[key].extend(nodes)
                continue
            name = nodes[0].name.value
            if name == "__typename":
                continue  # answered from the public schema when the result is shaped
            if (
                assigned
                or name in tree_names(provided)
                or self.supergraph.resolves_directly(parent.name, name, location)
            ):
                local[key] = list(nodes)
                placed[key] = location
                continue
            target = self._target(parent.name, name, location, remote)
            remote.setdefault(target, {})[key] = list(nodes)
            placed[key] = target
            needed = self.supergraph.required_fields(parent.name, name, target)
            if needed:
                required[target] = merge_trees(required.get(target, ()), needed)
                for field_name, inner in needed:
                    hidden, hidden_nodes = self._hidden_field(field_name, inner)
                    needs.setdefault(target, set()).add(hidden)
                    pending.append((hidden, hidden_nodes))
        selections: list[SelectionNode] = []
        fetches: list[Fetch] = []
        # response key -> the wave after which its value is on the objects
        done: dict[str, int] = {}
        for key, nodes in local.items():
            selection, children = self._plan_field(
                location, parent, key, nodes, path, wave, provided
            )
            selections.append(selection)
            fetches.extend(children)
            done[key] = max([wave, *(f.wave for f in children)])
        exported: set[str] = set()
        finished: dict[str, int] = {}

        def schedule(target: str, waiting: frozenset[str]) -> int:
            """Plans the fetch from ``target`` after what it requires; its last wave."""
            if target in finished:
                return finished[target]
            if target in waiting:
                raise PlanningError(f"the @requires of {parent.name} fields form a cycle")
            start = wave + 1
            for hidden in sorted(needs.get(target, ())):
                owner = placed[hidden]
                ready = done[hidden] if owner == location else schedule(owner, waiting | {target})
                start = max(start, ready + 1)
            entity_key = self.supergraph.entity_key(parent.name, location, target)
            if entity_key is None:
                raise PlanningError(f"no key of {parent.name} joins '{location}' to '{target}'")
            for name in ("__typename", *entity_key.fields):
                if name not in exported:
                    exported.add(name)
                    selections.append(self._export(name))
            inner, children = self._plan_fields(
                target, parent, remote[target], path, start, assigned=True
            )
            fragment = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                selection_set=SelectionSetNode(selections=tuple(inner)),
            )
            fetches.append(
                self._fetch(
                    target,
                    start,
                    [fragment],
                    tuple(remote[target]),
                    path=path,
                    type_name=parent.name,
                    key_fields=entity_key.fields,
                    required=required.get(target, ()),
                )
            )
            fetches.extend(children)
            finished[target] = max([start, *(f.wave for f in children)])
            for key in remote[target]:
                done[key] = finished[target]
            return finished[target]

        for target in remote:
            schedule(target, frozenset())
        if not selections:
            # Only gateway-answered fields here; a selection set cannot be empty.
            selections.append(self._export("__typename"))
        return selections, fetches

    def _plan_field(
        self,
        location: str,
        parent: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        path: tuple[str, ...],
        wave: int,
        provided: FieldTree = (),
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
        # What ``location`` resolves on the objects this field returns although it does
        # not own it: provided along the way here, or by this field's own @provides.
        child_provided = merge_trees(
            subtree(provided, name), self.supergraph.provided_fields(parent.name, name, location)
        )
        fetches: list[Fetch] = []
        selections: list[SelectionNode]
        if isinstance(named, GraphQLObjectType):
            sub = self.collect(named, [n.selection_set for n in nodes if n.selection_set])
            selections, fetches = self._plan_fields(
                location, named, sub, child_path, wave, child_provided
            )
        elif is_abstract_type(named):
            known = self.supergraph.possible_types.get(location, {}).get(named.name, frozenset())
            selections = [self._export("__typename")]
            for possible in self.schema.get_possible_types(named):
                if possible.name not in known:
                    continue
                sub = self.collect(possible, [n.selection_set for n in nodes if n.selection_set])
                inner, children = self._plan_fields(
                    location, possible, sub, child_path, wave, child_provided
                )
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
                # A subgraph answers unchecked only for fields it resolves itself (no
                # @requires) of types that cannot carry hidden values.
                candidates = [
                    s for s in candidates if supergraph.resolves_directly(parent.name, name, s)
                ]
                touched = True
                named = get_named_type(parent.fields[name].type)
                if named.name in supergraph.leaky_types:
                    candidates = []
                    return
                if selection.selection_set:
                    visit(selection.selection_set, named)
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
