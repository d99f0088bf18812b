"""The graph path's JSON (orjson) reads and writes the documents Python's json did."""

import json
import math
from typing import Any

import pytest

from services.gateway import wire

DOCUMENTS: list[Any] = [
    {"data": {"enterprises": {"items": [{"id": "a", "name": "Usine Kéré", "n": 3}]}}},
    {"errors": [{"message": 'ligne\u2028suivante "citée"', "path": ["x", 0]}], "data": None},
    {"data": {"value": 12.5, "flag": True, "none": None, "emoji": "🧵", "ctl": "\x01\n"}},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_read_and_written_as_the_standard_library_does(document: Any) -> None:
    standard = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    assert wire.dumps(document) == standard
    assert wire.loads(standard) == json.loads(standard) == document


def test_what_only_the_standard_library_takes_is_still_taken() -> None:
    # NaN and lone surrogates are read as Python's json reads them; integers beyond 64
    # bits are written as it writes them (orjson refuses all three).
    assert math.isnan(wire.loads(b'{"v": NaN}')["v"])
    assert wire.loads('{"v": "\\ud800"}') == {"v": "\ud800"}
    assert wire.dumps({"v": 2**70}) == b'{"v":1180591620717411303424}'


def test_what_is_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting value"):
        wire.loads(b'{"query": ')
