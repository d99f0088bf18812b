"""JSON on the gateway's graph path, read and written with orjson.

The gateway decodes every subgraph answer it merges and encodes every answer it shapes:
with the standard library that was about a quarter of its own work on a cross-service
query. orjson gives the same documents for everything JSON can hold; what only Python's
``json`` accepts or writes (NaN, lone surrogates, integers beyond 64 bits) falls back to it,
so no document is read or written differently from before.
"""

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """``json.loads``, faster. Raises ``ValueError`` for what is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
    encoded (floats may be spelled differently: ``1e16`` for ``1e+16``, the same number)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
