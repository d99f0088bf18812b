"""A cheaper way through the objects whose selected fields are all plain attributes (a page
of rows, its scalars and lists of scalars): one loop per object, a field at a time for a list
of them, graphql-core's own steps for everything else, and for any value it would refuse, so
the answer and its errors stay the same."""

import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from operator import attrgetter, itemgetter
from types import NoneType
from typing import Any, NamedTuple, cast
from uuid import UUID

import orjson
from cachetools import LRUCache
from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    TypeNameMetaFieldDef,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat as strawberry_isoformat
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
# A field's values for a whole list of objects completed at once (``_plain_list``).
CompleteColumn = Callable[[Sequence[Any]], Sequence[Any]]
# (response name, how to read the value from the source, the type of the values answered as
# they are, how to complete the others, how to complete a list's column of them)
PlannedField = tuple[str, Callable[[Any], Any], frozenset[type], Complete, CompleteColumn]


class Plan(NamedTuple):
    """How to complete objects (or rows) of one type selected one way."""

    fields: tuple[PlannedField, ...]
    # The response names, in order.
    names: tuple[str, ...]
    # Every field's value of one source in one call (an itemgetter or attrgetter of them
    # all); None where a field is not read from the source (``__typename``) or alone.
    read_all: Callable[[Any], tuple[Any, ...]] | None


# The built-in scalars' serializers give a value of this exact type back as it is (an Int
# also only within 32 bits): most of a page's values are completed without a call.
_KEPT: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
    serialize_int: int,
}


# Values of these types are neither errors nor awaitables: a page's timestamps and UUIDs go
# to their scalar without the checks.
_PLAIN = frozenset({str, int, float, bool, datetime, date, time, Decimal, UUID})


def _kept(return_type: GraphQLOutputType) -> type | None:
    """The type of the values a scalar answers unchanged; None: its serializer decides."""
    serialize = getattr(return_type, "serialize", None)
    return _KEPT.get(serialize) if callable(serialize) else None


def _answered_as_is(return_type: GraphQLOutputType) -> frozenset[type]:
    """The types of a field's values its completion gives back unchanged (checked before the
    call, which most of a page's values then skip): the scalar's own, and null where the
    field allows it."""
    non_null = isinstance(return_type, GraphQLNonNull)
    kept = _kept(return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type)
    # Not an Int: its range is checked by ``_leaf``.
    types = {kept} if kept is not None and kept is not int else set()
    if not non_null:
        types.add(type(None))
    return frozenset(types)


def _completed(plan: Plan, source: Any) -> dict[str, Any]:
    return {
        name: value if type(value := read(source)) in kept else complete(value)
        for name, read, kept, complete, _ in plan.fields
    }


def _completed_list(plan: Plan, sources: list[Any]) -> list[dict[str, Any]]:
    """``_completed`` of every source, a field at a time: a page's values of one field are
    read and checked in C loops (``map``, a set of their types) rather than one by one."""
    if not plan.fields or not sources:
        return [{} for _ in sources]
    read: Sequence[Sequence[Any]]
    if plan.read_all is None:
        read = [list(map(field[1], sources)) for field in plan.fields]
    else:
        read = list(zip(*map(plan.read_all, sources), strict=True))
    columns = [field[4](values) for field, values in zip(plan.fields, read, strict=True)]
    # Not strict: every column holds a value per source (``CompleteColumn``), and the check
    # costs a tenth of building the objects.
    names = plan.names
    return [dict(zip(names, values)) for values in zip(*columns)]  # noqa: B905


ExecutorRef = weakref.ref["PlainFieldsExecutionContext"]


def _weak_helpers(executor: ExecutorRef) -> GraphQLResolveInfoHelpers:
    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(executor).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(executor).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(executor: ExecutorRef) -> "PlainFieldsExecutionContext":
    alive = executor()
    if alive is None:  # only a resolver's own task outliving its operation gets here
        raise RuntimeError("the operation's execution has ended")
    return alive


class Rows(list[Any]):
    """A list field's items as rows rather than objects: dicts of the item type's fields by
    their Python names, each value one the field's scalar serializes as it would the
    object's attribute (a UUID for an ID ...). A page of plain fields is completed straight
    from them, without an object per row; where graphql-core's way is needed (a field with
    a resolver, ``@stream``, a refused value), the objects are built from them by ``build``."""

    __slots__ = ("build",)

    def __init__(
        self, rows: Iterable[Mapping[str, Any]], build: Callable[[Mapping[str, Any]], Any]
    ) -> None:
        super().__init__(rows)
        self.build = build

    def objects(self) -> list[Any]:
        return [self.build(row) for row in self]


# Strawberry's Date and DateTime scalars answer isoformat(), which orjson writes alike for a
# date, a naive datetime and one in UTC (the database's timestamps), many times faster.
_ORJSON_ZONES = frozenset({None, UTC})
_tzinfo = attrgetter("tzinfo")


def _as_they_are(values: Sequence[Any]) -> Sequence[Any]:
    return values


def _each(complete: Complete, values: Sequence[Any]) -> Sequence[Any]:
    return list(map(complete, values))


class _Unusual(Exception):
    """A value the plain way cannot complete (null where the schema forbids it, an error, an
    awaitable, a value the scalar refuses): graphql-core completes the object instead."""


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core builds a resolve info, a path and a resolver call for every field of every
    row (50 enterprises: 850 of each), which cost a GraphQL list about as much CPU as all the
    rest of the request. Fields without a resolver, extension or permission only read an
    attribute, so an object made of them is read in one loop, and a list of them a field at a
    time (a column's values checked together by their types). Lists of such objects, the
    shape of every page, then cost little more than their REST twin."""

    # Plans by what decides them (the type, each field's response and schema name): partners
    # send the same few documents, so planning is done once, not on every request. Bounded,
    # so odd documents cannot grow it.
    _shared_plans: LRUCache[Hashable, Plan | None] = LRUCache(maxsize=1024)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core gives resolvers two methods of the executor, which the executor holds:
        # a reference cycle, and with it the operation's objects (its context, session,
        # request, collected fields) were left for the garbage collector. Collections then
        # ran on nearly every request, and the occasional full one over the whole heap.
        # The helpers reach the executor weakly; they run only while it executes.
        self.async_helpers = _weak_helpers(weakref.ref(self))
        # graphql-core memoises a selection's grouped field set per execution, so every row
        # of a page shares one: looked up once per request. The set is kept with its plan so
        # its id cannot be reused while the plan is cached.
        self._plans: dict[tuple[int, bool], tuple[GroupedFieldSet, Plan | None]] = {}

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(parent_type, grouped_field_set, rows=False)
        if plan is not None:
            try:
                return _completed(plan, source_value)
            except Exception:
                pass  # graphql-core's way reports it, with its path
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """A page's list of plain objects completed in one loop: graphql-core would take each
        row through half a dozen calls (completion, type check, subfield collection) before
        ``execute_fields``."""
        rows = type(result) is Rows
        if (rows or type(result) is list) and position_context is None:
            item_type = return_type.of_type
            completed = self._plain_list(
                item_type, field_details_list, info, path, result, rows=rows
            )
            if completed is not None:
                return completed
        if rows:
            result = result.objects()
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plain_list(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any],
        *,
        rows: bool,
    ) -> list[dict[str, Any]] | None:
        """The items completed by their plan; None when graphql-core's way is needed (a null
        or unusual item, a value a field refuses, ``@stream`` or ``@defer``)."""
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not isinstance(object_type, GraphQLObjectType):
            return None
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        plan = self._plan(object_type, grouped, rows=rows)
        if plan is None:
            return None
        is_type_of = object_type.is_type_of
        if rows and is_type_of is not None:
            return None  # it judges objects
        try:
            if is_type_of is not None and not all(is_type_of(item, info) is True for item in items):
                return None  # refused or awaitable: graphql-core reports it
            return _completed_list(plan, items)
        except Exception:
            return None  # graphql-core's way reports it, with its path

    def _plan(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet, *, rows: bool
    ) -> Plan | None:
        """How to complete objects (or, ``rows``, rows) of ``parent_type`` selected so."""
        cached = self._plans.get((id(grouped), rows))
        if cached is None:
            cached = (grouped, self._shared_plan(parent_type, grouped, rows))
            self._plans[id(grouped), rows] = cached
        return cached[1]

    def _shared_plan(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet, rows: bool
    ) -> Plan | None:
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None  # a middleware (a tracing extension) sees every field
        # The type object is its schema's own; the awaitable check is a completion's only
        # dependence on the execution.
        key = (
            parent_type,
            self.is_awaitable,
            rows,
            tuple((name, details[0].node.name.value) for name, details in grouped.items()),
        )
        try:
            return self._shared_plans[key]
        except KeyError:
            plan = self._shared_plans[key] = self._make_plan(parent_type, grouped, rows)
            return plan

    def _make_plan(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet, rows: bool
    ) -> Plan | None:
        """How to read and complete each field; None when one needs graphql-core's way."""
        type_name = parent_type.name
        plan: list[PlannedField] = []
        read_from_source: list[str] = []
        for response_name, field_details in grouped.items():
            name = field_details[0].node.name.value
            field_def = self.schema.get_field(parent_type, name)
            if field_def is None:
                return None
            complete = self._completer(field_def.type)
            if complete is None:
                return None
            if field_def is TypeNameMetaFieldDef:
                plan.append(
                    (response_name, lambda _: type_name, frozenset({str}), complete, _as_they_are)
                )
                continue
            field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                not isinstance(field, StrawberryField)
                or not field.is_basic_field
                or field.default_resolver is not getattr
                or field_def.args
            ):
                return None
            read = (itemgetter if rows else attrgetter)(field.python_name)
            read_from_source.append(field.python_name)
            plan.append(
                (
                    response_name,
                    read,
                    _answered_as_is(field_def.type),
                    complete,
                    self._column(field_def.type, complete),
                )
            )
        read_all = None
        if len(read_from_source) == len(plan) > 1:
            read_all = (itemgetter if rows else attrgetter)(*read_from_source)
        return Plan(tuple(plan), tuple(entry[0] for entry in plan), read_all)

    def _column(self, return_type: GraphQLOutputType, complete: Complete) -> CompleteColumn:
        """A field's values for a list of objects completed as ``complete`` completes each:
        checked once by their types where the values are the usual ones (a page's strings,
        ints in range, UUIDs as IDs, timestamps), one by one otherwise."""
        non_null = isinstance(return_type, GraphQLNonNull)
        leaf_type = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        if not is_leaf_type(leaf_type):
            return partial(_each, complete)
        coerce = leaf_type.coerce_output_value
        kept = _kept(leaf_type)
        nullable = frozenset() if non_null else frozenset({NoneType})
        as_is = nullable | ({kept} if kept is not None else set())
        ints = kept is int
        uuid_ids = coerce is serialize_id
        isoformat = coerce is strawberry_isoformat

        def column(values: Sequence[Any]) -> Sequence[Any]:
            types = set(map(type, values))
            if types <= as_is and not ints:
                return values
            given = types - nullable
            if NoneType in given:
                raise _Unusual  # a null where the schema forbids it
            if ints and given <= {int}:
                numbers = values if NoneType not in types else [v for v in values if v is not None]
                if not numbers or (
                    min(numbers) >= GRAPHQL_MIN_INT and max(numbers) <= GRAPHQL_MAX_INT
                ):
                    return values
            elif uuid_ids and all(t is str or issubclass(t, UUID) for t in given):
                # serialize_id's answer for a string (itself) and a UUID (its str()).
                if NoneType in types:
                    return [None if v is None else str(v) for v in values]
                return list(map(str, values))
            elif isoformat and (
                given == {date}
                or (given == {datetime} and set(map(_tzinfo, values)) <= _ORJSON_ZONES)
            ):
                # Timestamps written by orjson in one call, as isoformat() writes each.
                return cast(list[Any], orjson.loads(orjson.dumps(values)))
            elif given <= _PLAIN:
                # Neither errors nor awaitables: each value is the scalar's to coerce.
                coerced = [None if v is None else coerce(v) for v in values]
                # A value the scalar coerces to null is refused, as ``_leaf`` refuses it.
                if any(
                    c is None or c is Undefined
                    for c, v in zip(coerced, values, strict=True)
                    if v is not None
                ):
                    raise _Unusual
                return coerced
            return list(map(complete, values))

        return column

    def _completer(self, return_type: GraphQLOutputType) -> Complete | None:
        """Completion of a leaf or a list of leaves, as graphql-core would; None for others."""
        if isinstance(return_type, GraphQLNonNull):
            if is_leaf_type(return_type.of_type):
                # One call per value rather than two: most of a page's values are these.
                return self._leaf(return_type.of_type, non_null=True)
            inner = self._completer(return_type.of_type)
            if inner is None:
                return None
            complete_inner = inner
            # Not for an Int: its range is checked by ``_leaf``.
            kept = None if (kept_inner := _kept(return_type.of_type)) is int else kept_inner

            def non_null(value: Any) -> Any:
                if type(value) is kept:
                    return value
                completed = complete_inner(value)
                if completed is None:
                    raise _Unusual
                return completed

            return non_null
        if isinstance(return_type, GraphQLList):
            item = self._completer(return_type.of_type)
            if item is None:
                return None
            complete_item = item

            def list_of(value: Any) -> Any:
                if value is None or value is Undefined:
                    return None
                if type(value) is not list:
                    raise _Unusual  # other iterables, errors, awaitables: graphql-core's way
                return [complete_item(entry) for entry in value]

            return list_of
        if is_leaf_type(return_type):
            return self._leaf(return_type)
        return None

    def _leaf(self, return_type: GraphQLLeafType, *, non_null: bool = False) -> Complete:
        """``non_null``: a null (or a value completed as null) raises ``_Unusual``."""
        coerce = return_type.coerce_output_value
        is_awaitable = self.is_awaitable
        kept = _kept(return_type)
        in_range = range(GRAPHQL_MIN_INT, GRAPHQL_MAX_INT + 1) if kept is int else None
        # serialize_id gives any UUID (asyncpg's too) as str() does: a page's ids are these.
        uuid_ids = coerce is serialize_id

        def leaf(value: Any) -> Any:
            if type(value) is kept and (in_range is None or value in in_range):
                return value
            if uuid_ids and isinstance(value, UUID):
                return str(value)
            if value is None or value is Undefined:
                if non_null:
                    raise _Unusual
                return None
            if (
                type(value) not in _PLAIN
                and not isinstance(value, UUID)  # asyncpg's own UUIDs too
                and (isinstance(value, Exception) or is_awaitable(value))
            ):
                raise _Unusual
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise _Unusual
            return coerced

        return leaf
