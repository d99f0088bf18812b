"""Cursor pagination over time-ordered ids: stable under inserts, no OFFSET scans."""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import Mapped

from shared.problems import InvalidInput, field_error

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )


class PageRequest(BaseModel):
    after: UUID | None = None
    limit: int = DEFAULT_LIMIT


def encode_cursor(last_id: UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return UUID(bytes=raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "The cursor is not one this API issued",
            errors=[field_error("query.cursor", "cursor", "not a valid cursor", cursor)],
        ) from exc


# async, though it awaits nothing: FastAPI runs a plain function in a worker thread, a hop
# that costs a list request more than decoding its cursor.
async def page_request(
    cursor: Annotated[str | None, Query(description="Opaque cursor from `next_cursor`")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> PageRequest:
    return PageRequest(after=decode_cursor(cursor) if cursor else None, limit=limit)


PageParams = Annotated[PageRequest, Depends(page_request)]


def make_page(rows: Sequence[T], limit: int, id_of: Callable[[T], UUID]) -> Page[T]:
    """Repositories fetch ``limit + 1`` rows; the extra one only tells that a next page exists."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(id_of(items[-1])) if len(rows) > limit and items else None
    return Page[T](items=items, next_cursor=next_cursor)


SelectT = TypeVar("SelectT", bound=Select[Any])


def keyset_page(statement: SelectT, id_column: Mapped[UUID], page: PageRequest) -> SelectT:
    """Rows after the cursor in id order, plus one so ``make_page`` can tell a next page exists."""
    if page.after is not None:
        statement = statement.where(id_column > page.after)
    return statement.order_by(id_column).limit(page.limit + 1)


def keyset_page_parameters(statement: SelectT, id_column: Mapped[UUID], *, after: bool) -> SelectT:
    """``keyset_page`` with bound parameters for the cursor (when ``after``) and the limit,
    for a statement compiled once (``shared.sql.CompiledQueries``); their values are
    ``keyset_values``."""
    if after:
        statement = statement.where(id_column > bindparam("after"))
    return statement.order_by(id_column).limit(bindparam("limit"))


def keyset_values(page: PageRequest) -> dict[str, Any]:
    """The values of ``keyset_page_parameters``' parameters for ``page``."""
    return {"after": page.after, "limit": page.limit + 1}
