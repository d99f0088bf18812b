"""SQL helpers the services' repositories share: one of each, so the rules they carry (one
array parameter for any batch, an idempotent projection write, a hot read compiled once)
are written once."""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import asyncpg
from sqlalchemy import ColumnElement, Executable, Select, Uuid, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine
from sqlalchemy.util.concurrency import await_only, greenlet_spawn
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import database_unavailable, unpinged_checkout


def column_of(attribute: Any) -> ColumnElement[Any]:
    """A model attribute as the SQL column it is at run time (SQLModel types it as its
    Python value type), or any SQL expression as it is."""
    return cast("ColumnElement[Any]", attribute)


def any_of(
    column: Any, values: Iterable[Any], item_type: TypeEngine[Any] | None = None
) -> ColumnElement[bool]:
    """``column = ANY(:array)``: one array parameter however many values, so a batch of any
    size is one statement with the same text (an expanded IN is capped at 32,767 parameters
    by the protocol). ``item_type`` is the array's element type (UUIDs by default)."""
    return column_of(column) == any_(literal(list(values), ARRAY(item_type or Uuid())))


def array_holds(
    array_column: Any, value: Any, item_type: TypeEngine[Any] | None = None
) -> ColumnElement[bool]:
    """``:value = ANY(array_column)``: the row's array holds ``value``."""
    held: ColumnElement[bool] = literal(value, item_type or Uuid()) == any_(column_of(array_column))
    return held


async def execute_for_each(
    session: AsyncSession, statement: Executable, rows: Sequence[Mapping[str, Any]]
) -> None:
    """``statement`` (an INSERT without values) for every row of ``rows``, in their order, as
    one executemany: compiled once, whatever the number of rows, and cached.

    An INSERT given its rows as a multi-row VALUES (``insert(...).values(rows)``) is a new
    statement for every batch: SQLAlchemy compiled it again each time, with a parameter for
    every column of every row (~0.4 ms of Python a row, most of applying an event of 500
    values in reporting), and the protocol caps it at 32,767 parameters."""
    if not rows:
        return
    connection = await session.connection()
    await connection.execute(statement, list(rows))


async def upsert(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    key: Iterable[str] = ("id",),
    keep: Iterable[str] = (),
) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` every column but the key and ``keep``.

    The write of an event projection: applying the same event twice leaves the same row.
    ``keep`` columns are written when the row is new only (a first-seen timestamp).
    """
    if not rows:
        return
    key, keep = tuple(key), frozenset(keep)
    statement = insert(model)
    updates = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in key and column not in keep
    }
    await execute_for_each(
        session, statement.on_conflict_do_update(index_elements=key, set_=updates), rows
    )


@dataclass(frozen=True)
class _Parameter:
    """One positional parameter of a compiled statement: the value named ``name`` in each
    call's values, or (no name) the constant the statement holds, each passed through the
    type's conversion where the dialect has one."""

    name: str | None
    convert: Callable[[Any], Any] | None
    constant: Any = None

    def value(self, values: Mapping[str, Any]) -> Any:
        if self.name is None:
            return self.constant
        value = values[self.name]
        return value if self.convert is None else self.convert(value)


@dataclass(frozen=True)
class CompiledQuery:
    """A SELECT compiled once and then run on asyncpg as it is: its SQL text, its
    positional parameters and its result columns' names."""

    sql: str
    parameters: tuple[_Parameter, ...]
    columns: tuple[str, ...]

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> "CompiledQuery":
        """``statement`` compiled: each ``bindparam(name)`` without a value is given per call;
        a value the statement holds (``status == "given"``) is kept as a constant, so it
        must belong to the statement's text as much as its columns do."""
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            # Their text depends on the values (an expanded IN): nothing to compile once.
            raise ValueError("a statement with parameters rendered per call cannot be reused")
        parameters = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                parameters.append(_Parameter(name, convert))
            else:
                constant = bind.effective_value
                if convert is not None:
                    constant = convert(constant)
                parameters.append(_Parameter(None, None, constant))
        return cls(compiled.string, tuple(parameters), tuple(statement.selected_columns.keys()))

    async def fetch(
        self, connection: asyncpg.Connection, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The rows for ``values`` (by parameter name), as dicts by column name."""
        arguments = [parameter.value(values) for parameter in self.parameters]
        columns = self.columns
        records = await connection.fetch(self.sql, *arguments)
        # Not strict: the columns are the statement's own, and the check costs a tenth of
        # building the dicts.
        return [dict(zip(columns, record, strict=False)) for record in records]


def _read_pooled(
    engine: Engine, compiled: CompiledQuery, values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``compiled``'s rows on a connection of ``engine``'s pool, run in SQLAlchemy's greenlet
    (``greenlet_spawn``). Not pinged on checkout: a connection the server had dropped (a
    restart) fails the read at once, and the read runs again on a pinged one."""
    with unpinged_checkout():
        pooled = engine.raw_connection()
    try:
        return await_only(compiled.fetch(pooled.driver_connection, values))
    except Exception as error:
        driver: asyncpg.Connection = pooled.driver_connection
        if not (driver.is_closed() or database_unavailable(error)):
            raise
        # Dropped: the pool replaces it, and the read runs again on a connection pinged on
        # checkout (which also replaces any other one dropped with it).
        pooled.invalidate(error)
    finally:
        pooled.close()
    pooled = engine.raw_connection()
    try:
        return await_only(compiled.fetch(pooled.driver_connection, values))
    finally:
        pooled.close()


ShapeT = TypeVar("ShapeT", bound=Hashable)


class CompiledQueries(Generic[ShapeT]):
    """A read compiled once per shape (what decides its text: a role, which filters are
    given ...) and run by asyncpg itself: none of SQLAlchemy's per-call statement work
    (building, cache key, execution context, result objects), which costs a small read
    more than the database does. ``build`` makes the statement of a shape from the shape
    alone, with a bound parameter for every value of a call (``sqlalchemy.bindparam``).
    Shapes must be few: each is kept.
    """

    def __init__(self, build: Callable[[ShapeT], Select[Any]]) -> None:
        self._build = build
        # By shape alone: every service reaches PostgreSQL through asyncpg, one dialect.
        self._compiled: dict[ShapeT, CompiledQuery] = {}

    async def rows(
        self, session: AsyncSession, shape: ShapeT, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The rows of ``shape``'s statement for ``values``, inside the session's transaction
        if it has one."""
        engine = session.bind
        if isinstance(engine, AsyncEngine) and not session.in_transaction():
            # No transaction to read inside: a connection straight from the engine's pool,
            # without the session's transaction and connection objects, which cost more CPU
            # than the read. Checked out, read on and given back in one greenlet: each
            # greenlet SQLAlchemy starts for its pool costs about 8 us (on Python 3.11 it
            # maps and unmaps a stack chunk of its own), a hundredth of a list request.
            compiled = self._compiled_for(shape, engine.dialect)
            return await greenlet_spawn(_read_pooled, engine.sync_engine, compiled, values)
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        return await self._compiled_for(shape, connection.dialect).fetch(
            raw.driver_connection, values
        )

    def _compiled_for(self, shape: ShapeT, dialect: Dialect) -> CompiledQuery:
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = CompiledQuery.of(self._build(shape), dialect)
        return compiled
