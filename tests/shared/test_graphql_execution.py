"""The subgraphs' plain-fields execution answers exactly what graphql-core answers (data,
errors and their paths), while a page of rows no longer costs a resolver call per field; and
a request's loaders keep nothing once it is answered."""

import dataclasses
import gc
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import strawberry
from graphql import GraphQLResolveInfo
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from services.enrolment.graphql.context import GraphQLContext
from services.enrolment.graphql.schema import schema as enrolment
from services.indicators.graphql.schema import schema as indicators
from services.reporting.graphql.schema import schema as reporting
from shared.enums import Role
from shared.graphql import SubgraphContext, subgraph_schema
from shared.graphql_execution import PlainFieldsExecutionContext, Rows
from shared.identity import Principal


@strawberry.enum
class Stage(Enum):
    APPLIED = "applied"
    ENROLLED = "enrolled"


async def _shout(root: "Row") -> str:
    return root.name.upper()


@strawberry.type
class Row:
    id: strawberry.ID
    name: str
    size: int | None
    share: float
    stage: Stage
    since: datetime
    tags: list[str]
    maybe_tags: list[str | None] | None
    shout: str = strawberry.field(resolver=_shout)


def _row(number: int, **changes: Any) -> Row:
    values: dict[str, Any] = {
        "id": strawberry.ID(f"row-{number}"),
        "name": f"Row {number}",
        "size": number if number % 2 else None,
        "share": number / 4,
        "stage": Stage.ENROLLED if number % 3 else Stage.APPLIED,
        "since": datetime(2026, 12, 3, 18, number, tzinfo=UTC),
        "tags": [f"t{number}", "all"],
        "maybe_tags": None if number % 2 else ["x", None],
    }
    return Row(**(values | changes))


ROWS: list[Row] = []


def _as_row(row: Row) -> dict[str, Any]:
    """A row of ``Row``'s fields, as a database row would hold them (a UUID for an ID)."""
    fields = {field.name: getattr(row, field.name) for field in dataclasses.fields(Row)}
    fields.pop("shout")  # a resolver's field, not a column
    return fields


def _from_row(row: Mapping[str, Any]) -> Row:
    fields: dict[str, Any] = {**row, "id": strawberry.ID(str(row["id"]))}
    return Row(**fields)


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row]:
        return ROWS

    @strawberry.field
    def row_page(self) -> list[Row]:
        # The rows themselves, with a UUID where the objects hold its text, as resolvers
        # answer a page (services/enrolment/graphql/schema.py)
        return Rows([_as_row(row) for row in ROWS], _from_row)

    @strawberry.field
    def maybe_rows(self) -> list[Row | None] | None:
        return cast(list[Row | None], ROWS)


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    stock = strawberry.Schema(Query, execution_context_class=StrawberryGraphQLCoreExecutionContext)
    plain = strawberry.Schema(Query, execution_context_class=PlainFieldsExecutionContext)
    return stock, plain


async def both(query: str, rows: list[Row]) -> dict[str, Any]:
    """The plain answer, once checked equal to graphql-core's (data, messages, paths)."""
    ROWS[:] = rows
    stock, plain = schemas()
    answers = []
    for schema in (stock, plain):
        result = await schema.execute(query)
        errors = [(e.message, e.path) for e in result.errors or []]
        answers.append({"data": result.data, "errors": errors})
    assert answers[1] == answers[0]
    return answers[1]


EVERY_PLAIN_FIELD = """{
  rows { __typename id name size share stage since tags maybeTags alias: name }
}"""


async def test_a_page_of_plain_rows_answers_as_graphql_core_does() -> None:
    answer = await both(EVERY_PLAIN_FIELD, [_row(n) for n in range(1, 8)])
    first = answer["data"]["rows"][0]
    assert first == {
        "__typename": "Row",
        "id": "row-1",
        "name": "Row 1",
        "size": 1,
        "share": 0.25,
        "stage": "ENROLLED",
        "since": "2026-12-03T18:01:00+00:00",
        "tags": ["t1", "all"],
        "maybeTags": None,
        "alias": "Row 1",
    }
    assert answer["data"]["rows"][1]["maybeTags"] == ["x", None]
    assert answer["errors"] == []


async def test_fragments_skip_and_resolver_fields_answer_as_graphql_core_does() -> None:
    query = """
    query { rows { ...Named size @skip(if: true) shout } }
    fragment Named on Row { id name }
    """
    answer = await both(query, [_row(n) for n in range(3)])
    assert answer["data"]["rows"][2] == {"id": "row-2", "name": "Row 2", "shout": "ROW 2"}


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        ({"name": None}, ["rows", 1, "name"]),
        ({"tags": ["ok", None]}, ["rows", 1, "tags", 1]),
        ({"size": "many"}, ["rows", 1, "size"]),
        ({"size": 2**31}, ["rows", 1, "size"]),
        ({"stage": "closed"}, ["rows", 1, "stage"]),
        ({"share": ValueError("no share")}, ["rows", 1, "share"]),
    ],
)
async def test_a_value_the_schema_refuses_is_an_error_at_its_path_as_in_graphql_core(
    bad: dict[str, Any], path: list[Any]
) -> None:
    answer = await both(EVERY_PLAIN_FIELD, [_row(0), _row(1, **bad), _row(2)])
    assert [error_path for _, error_path in answer["errors"]] == [path]


@pytest.mark.parametrize("field", ["rows", "maybeRows"])
async def test_a_null_row_in_a_page_answers_as_graphql_core_does(field: str) -> None:
    rows = [_row(0), cast(Row, None), _row(2)]
    answer = await both(f"{{ {field} {{ id name }} }}", rows)
    if field == "rows":  # a null where the list forbids one nulls the list (a root field)
        assert answer["data"] is None
        assert [path for _, path in answer["errors"]] == [["rows", 1]]
    else:
        assert answer["data"]["maybeRows"][1] is None
        assert answer["errors"] == []


def _with_uuids(rows: list[Row]) -> list[Row]:
    return [
        dataclasses.replace(row, id=strawberry.ID(str(UUID(int=number))))
        for number, row in enumerate(rows)
    ]


async def rows_and_objects(selection: str, rows: list[Row]) -> dict[str, Any]:
    """The plain answer to a page of rows, once checked equal to graphql-core's answer to the
    same page of objects (data, messages and paths)."""
    answer = await both(f"{{ rows {selection} }}", _with_uuids(rows))
    ROWS[:] = [_from_row({**_as_row(row), "id": UUID(row.id)}) for row in _with_uuids(rows)]
    _, plain = schemas()
    result = await plain.execute(f"{{ rows: rowPage {selection} }}")
    errors = [(e.message, e.path) for e in result.errors or []]
    assert {"data": result.data, "errors": errors} == answer
    return answer


async def test_a_page_of_rows_answers_as_the_page_of_their_objects() -> None:
    selection = "{ __typename id name size share stage since tags maybeTags alias: name }"
    answer = await rows_and_objects(selection, [_row(n) for n in range(1, 8)])
    assert answer["data"]["rows"][0]["id"] == str(UUID(int=0))
    assert answer["errors"] == []


async def test_a_page_of_rows_with_a_resolver_field_is_answered_from_their_objects() -> None:
    answer = await rows_and_objects("{ id shout }", [_row(n) for n in range(3)])
    assert answer["data"]["rows"][2]["shout"] == "ROW 2"


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        ({"name": None}, ["rows", 1, "name"]),
        ({"tags": ["ok", None]}, ["rows", 1, "tags", 1]),
        ({"size": 2**31}, ["rows", 1, "size"]),
    ],
)
async def test_a_value_a_row_holds_that_the_schema_refuses_is_an_error_at_its_path(
    bad: dict[str, Any], path: list[Any]
) -> None:
    rows = [_row(0), _row(1, **bad), _row(2)]
    answer = await rows_and_objects("{ id name size tags }", rows)
    assert [error_path for _, error_path in answer["errors"]] == [path]


async def test_values_of_other_types_are_converted_as_graphql_core_converts_them() -> None:
    converted = _row(1, id=7, name=True, size=True, tags=[False, 2])
    answer = await both(EVERY_PLAIN_FIELD, [_row(0), converted])
    assert answer["errors"] == []
    second = answer["data"]["rows"][1]
    assert (second["id"], second["name"], second["size"]) == ("7", "true", 1)
    assert second["tags"] == ["false", "2"]


async def test_a_page_of_plain_rows_builds_no_resolve_info_per_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    original = PlainFieldsExecutionContext.build_resolve_info

    def counting(self: Any, *args: Any, **kwargs: Any) -> GraphQLResolveInfo[Any]:
        info = original(self, *args, **kwargs)
        built.append(info.field_name)
        return info

    monkeypatch.setattr(PlainFieldsExecutionContext, "build_resolve_info", counting)
    ROWS[:] = [_row(n) for n in range(50)]
    _, plain = schemas()
    result = await plain.execute(EVERY_PLAIN_FIELD)
    assert result.errors is None
    assert result.data is not None
    assert len(result.data["rows"]) == 50
    # Only the root field's resolver runs; the 500 plain fields are read directly.
    assert built == ["rows"]


async def test_a_page_of_plain_rows_is_completed_without_a_call_per_row_and_planned_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    completed: list[str] = []
    planned: list[str] = []
    complete_object = PlainFieldsExecutionContext.complete_object_value
    make_plan = PlainFieldsExecutionContext._make_plan

    def completing(self: Any, return_type: Any, *args: Any) -> Any:
        completed.append(return_type.name)
        return complete_object(self, return_type, *args)

    def planning(self: Any, parent_type: Any, *args: Any) -> Any:
        planned.append(parent_type.name)
        return make_plan(self, parent_type, *args)

    monkeypatch.setattr(PlainFieldsExecutionContext, "complete_object_value", completing)
    monkeypatch.setattr(PlainFieldsExecutionContext, "_make_plan", planning)
    ROWS[:] = [_row(n) for n in range(50)]
    _, plain = schemas()
    for _ in range(3):
        result = await plain.execute(EVERY_PLAIN_FIELD)
        assert result.errors is None
        assert result.data is not None
        assert len(result.data["rows"]) == 50
    # The page is completed in one loop, not row by row through graphql-core's steps; the
    # plan is made by the first request and the others reuse it.
    assert completed == []
    assert planned == ["Query", "Row"]


@pytest.mark.parametrize(
    "since",
    [
        datetime(2026, 12, 3, 18, 7, 0, 250, tzinfo=UTC),
        datetime(2026, 12, 3, 18, 7),  # naive
        datetime(2026, 12, 3, 18, 7, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 12, 3, 18, 7, tzinfo=timezone(timedelta(seconds=-3601))),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(999, 1, 1, tzinfo=UTC),
    ],
)
async def test_a_page_of_timestamps_in_any_zone_answers_as_graphql_core_does(
    since: datetime,
) -> None:
    rows = [_row(0), _row(1, since=since), _row(2, since=since)]
    answer = await rows_and_objects("{ id since }", rows)
    assert answer["data"]["rows"][1]["since"] == since.isoformat()


async def test_a_page_with_unusual_values_in_a_column_answers_as_graphql_core_does() -> None:
    # Each column mixes the usual values with others the scalar converts (or refuses).
    rows = [
        _row(0, size=-(2**31), id=7),
        _row(1, size=True, name=7.5),
        _row(2, size=2**31 - 1, since=datetime(2026, 1, 1)),
    ]
    answer = await both("{ rows { id name size since } }", rows)
    assert answer["errors"] == []
    assert [row["size"] for row in answer["data"]["rows"]] == [-(2**31), 1, 2**31 - 1]
    refused = await both("{ rows { id size } }", [_row(0), _row(1, size=-(2**31) - 1)])
    assert [path for _, path in refused["errors"]] == [["rows", 1, "size"]]


async def test_a_page_of_plain_scalars_is_completed_a_column_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page's strings, ints, ids and timestamps are checked a field at a time, by the types
    of their values: no call per value."""
    calls: list[Any] = []
    completer = PlainFieldsExecutionContext._completer

    def counting(self: Any, return_type: Any) -> Any:
        complete = completer(self, return_type)
        if complete is None:
            return None
        inner = complete

        def counted(value: Any) -> Any:
            calls.append(value)
            return inner(value)

        return counted

    monkeypatch.setattr(PlainFieldsExecutionContext, "_completer", counting)
    ROWS[:] = _with_uuids([_row(n) for n in range(50)])
    _, plain = schemas()
    result = await plain.execute("{ rows { __typename id name size since } rowPage { id } }")
    assert result.errors is None
    assert result.data is not None
    assert len(result.data["rows"]) == len(result.data["rowPage"]) == 50
    assert calls == []


@pytest.mark.parametrize("subgraph", [enrolment, indicators, reporting])
def test_every_subgraph_reads_plain_fields_directly(subgraph: strawberry.Schema) -> None:
    assert subgraph.execution_context_class is PlainFieldsExecutionContext


class _Loaders:
    def __init__(self, loaded: list[list[int]]) -> None:
        self._loaded = loaded
        self.double: DataLoader[int, int] = DataLoader(load_fn=self._double)

    async def _double(self, keys: list[int]) -> list[int]:
        self._loaded.append(list(keys))
        return [key * 2 for key in keys]


class _Context(SubgraphContext):
    def __init__(self, loaded: list[list[int]]) -> None:
        super().__init__(
            principal=Principal(subject="analyst", role=Role.ilo_global),
            session=cast(AsyncSession, None),  # no resolver here opens it
        )
        self.loaders = _Loaders(loaded)


@strawberry.type
class _LoaderQuery:
    @strawberry.field
    async def double(self, info: strawberry.Info[_Context, None], n: int) -> int:
        return await info.context.loaders.double.load(n)


async def test_a_requests_loader_caches_are_dropped_once_it_is_answered() -> None:
    # graphql-core keeps the context in reference cycles: what its loaders cached (a page of
    # rows) would otherwise live on until the garbage collector pauses the service for it.
    loaded: list[list[int]] = []
    context = _Context(loaded)
    result = await subgraph_schema(_LoaderQuery).execute(
        "{ a: double(n: 2) b: double(n: 2) }", context_value=context
    )
    assert result.data == {"a": 4, "b": 4}
    assert loaded == [[2]]  # one batch while the request runs
    assert await context.loaders.double.load(2) == 4
    assert loaded == [[2], [2]]  # nothing kept after it


async def test_an_answered_operation_leaves_no_reference_cycle_behind() -> None:
    # The context holds the request's session, its request and the page its loaders saw: in
    # a reference cycle they would wait for the garbage collector, whose collections then
    # ran on nearly every request.
    context = GraphQLContext(
        principal=Principal(subject="analyst", role=Role.ilo_global),
        session=cast(AsyncSession, None),  # no resolver here opens it
    )
    gone = weakref.ref(context)
    gc.collect()
    gc.disable()
    try:
        result = await enrolment.execute("{ __typename }", context_value=context)
        assert result.data == {"__typename": "Query"}
        del context, result
        assert gone() is None
    finally:
        gc.enable()
