"""A subgraph's answers are written by orjson, byte for byte as pydantic's encoder writes them;
what orjson would write its own way, or cannot write, is left to pydantic's encoder."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import strawberry
from pydantic_core import to_json

import shared.graphql
from shared.graphql import SubgraphContext, SubgraphRouter, subgraph_schema


@strawberry.type
class Query:
    ok: bool = True


def router() -> SubgraphRouter[SubgraphContext]:
    async def context() -> SubgraphContext:
        raise AssertionError("not called")

    return SubgraphRouter(subgraph_schema(Query), context_getter=context)


ANSWER: dict[str, Any] = {
    "data": {
        "enterprises": {
            "items": [
                {
                    "id": "01a24394-ed5f-7c48-8c9f-ebd1773691a3",
                    "name": 'Indus Knitwear (Pvt) Ltd \u2028 \U0001f600 \x1f \\ "quoted"',
                    "workforceTotal": 850,
                    "share": 0.30000000000000004,
                    "big": 1e21,
                    "womenLed": None,
                    "buyerIds": ["01a24394-ecf6-7824-9cff-062e86b30a2c"],
                }
            ],
            "nextCursor": None,
        }
    },
    "errors": [{"message": "No", "path": ["a", 1], "extensions": {"code": "NOT_FOUND"}}],
}


@dataclass
class _Point:
    x: int


class _Text(str):
    pass


@pytest.mark.parametrize(
    "extensions",
    [
        {"at": datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC)},  # pydantic: "Z", orjson: "+00:00"
        {"on": date(2026, 12, 5)},
        {"amount": Decimal("900000.50")},
        {"seen": {3}},
        {"huge": 2**70},
        {"raw": b"bytes"},
        {"point": _Point(1)},
        {"text": _Text("t")},
        {"id": UUID(int=5)},
    ],
)
def test_an_answer_is_written_as_pydantics_encoder_writes_it(extensions: dict[str, Any]) -> None:
    answer = ANSWER | {"extensions": extensions}
    assert router().encode_json(answer) == to_json(answer)


def test_a_plain_answer_is_written_without_pydantics_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = to_json(ANSWER)

    def refuse(_: object) -> bytes:
        raise AssertionError("pydantic's encoder wrote a plain answer")

    monkeypatch.setattr(shared.graphql, "to_json", refuse)
    assert router().encode_json(ANSWER) == expected
