"""SQL helpers the services' repositories share: one of each, so the rules they carry (one
array parameter for any batch, an idempotent projection write) are written once."""

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Uuid, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


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
    statement = insert(model).values(list(rows))
    updates = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in key and column not in keep
    }
    await session.execute(statement.on_conflict_do_update(index_elements=key, set_=updates))
