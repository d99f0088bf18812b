"""List answers written straight from database rows: each page is serialized once, by the
serializer of the documented response model, without building a model per row and having
FastAPI validate the page again. The answer is the JSON the model would give (same fields,
order and formats); the route keeps declaring the model, so its OpenAPI is unchanged.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Response
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict

from shared.pagination import encode_cursor


@dataclass(frozen=True)
class RowPage:
    """One page of rows, each a dict of the response model's fields in the model's order
    (``RowSerializer.fields``): a field a row lacks is missing from the answer."""

    rows: Sequence[dict[str, Any]]
    next_cursor: str | None


def row_page(rows: Sequence[dict[str, Any]], limit: int) -> RowPage:
    """As ``shared.pagination.make_page``: ``limit + 1`` rows fetched, the extra one only
    tells that a next page exists."""
    items = rows[:limit]
    last: UUID | None = items[-1]["id"] if len(rows) > limit and items else None
    return RowPage(items, encode_cursor(last) if last is not None else None)


class RowSerializer:
    """Writes pages of ``model`` (``shared.pagination.Page[model]``) from rows."""

    def __init__(self, model: type[BaseModel]) -> None:
        # The model's fields with their annotations, as a TypedDict: pydantic serializes a
        # dict of it with the model's own field serializers, in the model's field order.
        fields = {
            name: Annotated[field.annotation, *field.metadata]
            if field.metadata
            else field.annotation
            for name, field in model.model_fields.items()
        }
        row: Any = TypedDict(f"{model.__name__}Row", fields)  # type: ignore[misc]
        page: Any = TypedDict(  # type: ignore[misc]
            f"{model.__name__}RowPage", {"items": list[row], "next_cursor": str | None}
        )
        self._page: TypeAdapter[Any] = TypeAdapter(page)
        self.fields = tuple(fields)

    def json(self, page: RowPage) -> bytes:
        # Stored enum values come as plain strings (the columns' type): serialized as the
        # enum's value would be, so the serializer's "expected an enum" warning is noise.
        return self._page.dump_json(
            {"items": page.rows, "next_cursor": page.next_cursor}, warnings=False
        )

    def response(self, page: RowPage) -> Response:
        """The answer FastAPI would give for the page as ``Page[model]``."""
        return Response(self.json(page), media_type="application/json")
