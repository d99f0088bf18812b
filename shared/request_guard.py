"""What every service request passes before its route: input no handler should ever see is
refused as a 422 naming the field, and whatever still goes wrong is answered as problem
details carrying the request id (503 with ``Retry-After`` when the database is away).

Refused here, once for every route, rather than in each model:

* the NUL character (U+0000) in any text, in the JSON body, the query or the path:
  PostgreSQL cannot store it;
* ``NaN``, ``Infinity`` and numbers too large for a double (``1e309``): not JSON numbers;
* lone surrogates (``"\\ud800"``): not Unicode text, and not encodable in any answer;
* integers beyond 64 bits in the JSON body: no column holds them;
* a body in a content coding (``Content-Encoding: gzip``): no route decodes one (415).
"""

import json
import logging
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import DATABASE_RETRY_AFTER, database_unavailable
from shared.observability import current_request_id
from shared.problems import (
    PROBLEM_JSON,
    DatabaseUnavailable,
    InternalError,
    InvalidInput,
    Problem,
    UnsupportedContentCoding,
    UnsupportedMediaType,
    field_error,
    instance_path,
)

log = logging.getLogger("score.errors")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Bounds of the integer columns: every integer parameter is bounded by the column it meets.
INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Scope key under which the body, once read, is kept for whoever reads it next.
_BODY_KEY = "score.body"

# Cheap test on the raw bytes: only a body that might hold one of the refused things is
# parsed a second time (the 100,000-value batches never are).
_SUSPECT = re.compile(rb"NaN|Infinity|\\u0000|\\u[dD][89a-fA-F]|\d{19,}|[eE][+-]?\d{3,}", re.ASCII)


def problem_response(problem: Problem, path: str) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers() or None,
    )


async def read_body(scope: Scope, receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it on to the app again."""
    cached = scope.get(_BODY_KEY)
    if cached is None:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        cached = b"".join(chunks)
        scope[_BODY_KEY] = cached
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": cached, "more_body": False}
        return await receive()

    return cached, replay


def is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            )
    return False


def body_coding(scope: Scope) -> str | None:
    """The content coding of a write's body, if any but identity: no route decodes one, so
    a compressed body used to be parsed as it came (JSON's "error parsing the body")."""
    if scope.get("method") not in BODY_METHODS:
        return None
    for name, value in scope.get("headers", ()):
        if name == b"content-encoding":
            coding: str = value.decode("latin-1").strip().lower()
            if coding not in ("", "identity"):
                return coding
    return None


@dataclass(frozen=True)
class _Refused:
    """Stands in, while parsing, for a JSON token that is refused."""

    rule: str
    message: str


def _number(text: str) -> Any:
    value = float(text)
    if math.isfinite(value):
        return value
    return _Refused("finite_number", f"{text} is beyond the largest number accepted (1.8e308)")


def _integer(text: str) -> Any:
    value = int(text)
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return _Refused("int64_range", "integers must lie within 64 bits (±9223372036854775807)")


def _constant(name: str) -> Any:
    return _Refused("finite_number", f"{name} is not a JSON number")


def text_problem(text: str) -> tuple[str, str] | None:
    """The rule and message ``text`` breaks, if it holds what no text column can store."""
    if "\x00" in text:
        return "no_null_character", "text may not contain the NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "unicode_text", "text may not contain lone surrogates (\\ud800-\\udfff)"
    return None


def _walk(node: Any, location: str, errors: list[dict[str, Any]]) -> None:
    if isinstance(node, _Refused):
        errors.append(field_error(location, node.rule, node.message))
    elif isinstance(node, str):
        found = text_problem(node)
        if found is not None:
            errors.append(field_error(location, *found))
    elif isinstance(node, dict):
        for key, value in node.items():
            found = text_problem(key)
            if found is not None:
                errors.append(field_error(location, *found))
                continue
            _walk(value, f"{location}.{key}", errors)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, f"{location}.{index}", errors)


def json_body_errors(body: bytes) -> list[dict[str, Any]]:
    """Every refused token of a JSON body, by field; none for a body that is not JSON
    at all (the route's own parsing answers that)."""
    if not _SUSPECT.search(body):
        return []
    try:
        parsed = json.loads(body, parse_float=_number, parse_int=_integer, parse_constant=_constant)
    except ValueError:
        return []
    errors: list[dict[str, Any]] = []
    _walk(parsed, "body", errors)
    return errors


def url_errors(scope: Scope) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    found = text_problem(scope.get("path", ""))
    if found is not None:
        errors.append(field_error("path", *found))
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            found = text_problem(name) or text_problem(value)
            if found is not None:
                errors.append(field_error(f"query.{name.replace(chr(0), '')}", *found))
    return errors


def _invalid(errors: list[dict[str, Any]]) -> InvalidInput:
    fields = ", ".join(error["field"] for error in errors)
    return InvalidInput(f"The request has {len(errors)} invalid field(s): {fields}", errors=errors)


_NO_ADAPTER = TypeAdapter(None)


def _body_adapter(route: Any) -> TypeAdapter[Any]:
    """The route's JSON body type (kept on the route: one adapter per route)."""
    adapter: TypeAdapter[Any] | None = getattr(route, "_score_strict_body", None)
    if adapter is None:
        body_field = getattr(route, "body_field", None)
        if body_field is None or isinstance(body_field.field_info, params.Form):
            adapter = _NO_ADAPTER
        else:
            adapter = TypeAdapter(body_field.field_info.annotation)
        route._score_strict_body = adapter
    return adapter


async def strict_json_body(request: Request) -> None:
    """Dependency of every route: the JSON body must have the JSON types its schema says.

    FastAPI validates bodies in pydantic's lax Python mode, where ``true`` is a fine
    integer (1), ``"12"`` a number and ``1`` a boolean. Validating the raw JSON in strict
    JSON mode refuses those and still takes what JSON can only carry as strings (ids,
    dates, decimals, enums).
    """
    if request.method not in BODY_METHODS:
        return
    adapter = _body_adapter(request.scope.get("route"))
    if adapter is _NO_ADAPTER:
        return
    body = await request.body()
    if not body:
        return
    if not is_json(request.scope):
        raise UnsupportedMediaType(
            "This operation reads a JSON body: send it as Content-Type: application/json",
            errors=[
                field_error("header.Content-Type", "media_type", "application/json is required")
            ],
        )
    try:
        adapter.validate_json(body, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(error["type"] == "json_invalid" for error in errors):
            return  # FastAPI's own parsing names the broken JSON
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None


class RequestGuard:
    """Refuses unusable input before routing, and masks unexpected errors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = body_coding(scope)
        if coding is not None:
            refused = UnsupportedContentCoding(
                f"A body in Content-Encoding {coding} is not accepted: send it uncompressed",
                errors=[field_error("header.Content-Encoding", "content_coding", "identity only")],
            )
            await problem_response(refused, instance_path(scope))(scope, receive, send)
            return
        errors = url_errors(scope)
        if not errors and scope.get("method") in BODY_METHODS and is_json(scope):
            body, receive = await read_body(scope, receive)
            errors = json_body_errors(body)
        if errors:
            await problem_response(_invalid(errors), instance_path(scope))(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise  # too late for an answer: the connection is dropped instead
            problem = self._problem(exc, scope)
            await problem_response(problem, instance_path(scope))(scope, receive, send)

    @staticmethod
    def _problem(exc: Exception, scope: Scope) -> Problem:
        method = scope.get("method", "")
        path = scope.get("path", "")
        request_id = current_request_id()
        # Passed explicitly as well, so the record carries it whichever handler formats it.
        extra = {"request_id": request_id}
        if database_unavailable(exc):
            log.warning("database unavailable answering %s %s: %r", method, path, exc, extra=extra)
            return DatabaseUnavailable(
                f"The database is unavailable; retry in {DATABASE_RETRY_AFTER} s",
                retry_after=DATABASE_RETRY_AFTER,
            )
        log.exception("unexpected error answering %s %s", method, path, extra=extra)
        return InternalError(
            "An unexpected error occurred; quote the request id when reporting it",
            request_id=request_id,
        )
