"""RFC 9457 problem details: domain errors and the handlers that render them."""

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://score.ilo.org/problems/"
# Set by the gateway on every request it forwards: "/enrolment" of "/enrolment/enterprises",
# which reaches the enrolment service as "/enterprises" (services/gateway/proxy.py).
FORWARDED_PREFIX = b"x-forwarded-prefix"


def instance_path(scope: Scope) -> str:
    """A problem's ``instance``, the path its caller asked for: through the gateway the
    gateway's path, the forwarded prefix before the service's own path. A partner's system
    that resolves it, logs it or shows it must find the path it sent, not a service's."""
    path = scope.get("path", "")
    for name, value in scope.get("headers", ()):
        if name == FORWARDED_PREFIX:
            prefix = value.decode("latin-1").rstrip("/")
            if prefix.startswith("/") and prefix.isprintable():
                return f"{prefix}{path}"
            break
    return str(path)


class Problem(Exception):
    """A domain error with a stable type URI; raise it anywhere, the handler renders it."""

    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extensions = extensions

    def headers(self) -> dict[str, str]:
        """Response headers the problem implies: a challenge for 401, a wait for transients."""
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else {}
        retry_after = self.extensions.get("retry_after")
        if isinstance(retry_after, int):
            headers["Retry-After"] = str(retry_after)
        return headers

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_BASE + self.type_slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


class Unauthenticated(Problem):
    status = 401
    type_slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(Problem):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class NotFound(Problem):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(Problem):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class InvalidInput(Problem):
    status = 422
    type_slug = "validation-error"
    title = "Invalid input"


class UnsupportedMediaType(Problem):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Unsupported media type"


class UnsupportedContentCoding(UnsupportedMediaType):
    """A body in a content coding no route decodes (gzip ...): refused with the codings that
    are accepted, identity only (RFC 9110, section 15.5.16)."""

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Accept-Encoding": "identity"}


class InternalError(Problem):
    status = 500
    type_slug = "internal-error"
    title = "Internal server error"


class ServiceUnavailable(Problem):
    """A transient outage (the database is down, a dependency is away): retry later."""

    status = 503
    type_slug = "unavailable"
    title = "Temporarily unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    type_slug = "database-unavailable"
    title = "Database unavailable"


class TransitionNotAllowed(Problem):
    status = 409
    type_slug = "transition-not-allowed"
    title = "Transition not allowed"


class DeadlinePassed(Problem):
    status = 409
    type_slug = "deadline-passed"
    title = "Deadline passed"


def field_error(field: str, rule: str, message: str, value: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"field": field, "rule": rule, "message": message}
    if value is not None:
        error["value"] = value
    return error


def _location(loc: tuple[Any, ...]) -> str:
    # "body.workforce.total" reads better than ['body', 'workforce', 'total'].
    return ".".join(str(part) for part in loc)


def _jsonable(value: Any) -> Any:
    """The invalid input, echoed only when JSON can carry it back faithfully."""
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and infinities are not JSON
    if value is None or isinstance(value, int | float | bool):
        return value
    text = value if isinstance(value, str) else str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no encoding can send it back
        return None
    return text


def _error(err: Any, allowed_query: list[str] | None) -> dict[str, Any]:
    loc = tuple(err.get("loc", ()))
    rule = str(err.get("type", "invalid"))
    message = str(err.get("msg", "invalid value"))
    value = _jsonable(err.get("input")) if not isinstance(err.get("input"), dict) else None
    if loc[:1] == ("query",):
        # A query parameter is named by its name: the position of a value among repeated or
        # comma-separated ones is the caller's own spelling, not part of the contract.
        loc = tuple(part for part in loc if not isinstance(part, int))
        if rule == "extra_forbidden":
            # Refused rather than ignored: a misspelt filter would answer unfiltered.
            rule, value = "unknown_parameter", str(loc[-1])
            if allowed_query is not None:
                message = f"allowed parameters: {', '.join(allowed_query)}"
    return field_error(_location(loc), rule, message, value)


def validation_problem(
    exc: RequestValidationError, *, allowed_query: list[str] | None = None
) -> InvalidInput:
    errors = [_error(err, allowed_query) for err in exc.errors()]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return InvalidInput(f"The request has {len(errors)} invalid field(s): {fields}", errors=errors)


def invalid_query(exc: Any, *, allowed: list[str]) -> InvalidInput:
    """A pydantic ``ValidationError`` of a query model validated by hand, rendered like the
    one FastAPI raises for a declared query model."""
    errors = [
        _error({**err, "loc": ("query", *err.get("loc", ()))}, allowed) for err in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return InvalidInput(f"The request has {len(errors)} invalid field(s): {fields}", errors=errors)


def _query_parameters(request: Request) -> list[str] | None:
    """The query parameters the OpenAPI documents for the request's operation."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None)
    if path is None:
        return None
    operation = request.app.openapi().get("paths", {}).get(path, {}).get(request.method.lower())
    if not isinstance(operation, dict):
        return None
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


def _allowed_methods(request: Request) -> list[str]:
    """Every method answered at the request's path, as a 405's Allow must list them (RFC
    9110, section 15.5.6): Starlette lists only those of the first route it finds there (GET
    of ``GET /enterprises``, not POST of its neighbour). HEAD wherever GET (shared/head.py)."""
    path = request.scope["path"]
    methods: set[str] = set()
    # Every route, those of included routers too (FastAPI keeps those in the router).
    for route in iter_route_contexts(request.app.routes):
        pattern = getattr(route, "path_regex", None)
        if pattern is not None and pattern.match(path):
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def _response(problem: Problem, request: Request, *, forwarded: bool) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=instance_path(request.scope) if forwarded else request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers() or None,
    )


def unparsable_body(exc: StarletteHTTPException) -> InvalidInput | None:
    """FastAPI answers a JSON body that is not UTF-8, or that nests past the parser's depth,
    with a bare 400 ("There was an error parsing the body"); it is as invalid as a syntax
    error, which it answers 422 json_invalid naming the position, and is answered so."""
    cause = exc.__cause__
    if exc.status_code != 400:
        return None
    if isinstance(cause, UnicodeDecodeError):
        error = field_error(
            f"body.{cause.start}", "json_invalid", f"JSON text must be UTF-8 ({cause.reason})"
        )
    elif isinstance(cause, RecursionError):
        error = field_error("body", "json_invalid", "JSON nested too deeply")
    else:
        return None
    return InvalidInput(f"The request has 1 invalid field(s): {error['field']}", errors=[error])


def install_problem_handlers(app: FastAPI, *, forwarded: bool = False) -> None:
    """Problems rendered as RFC 9457 answers; ``forwarded`` for an app behind the gateway,
    whose ``instance`` is then the gateway's path (``instance_path``)."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return _response(exc, request, forwarded=forwarded)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        unknown = any(err.get("type") == "extra_forbidden" for err in exc.errors())
        allowed = _query_parameters(request) if unknown else None
        return _response(
            validation_problem(exc, allowed_query=allowed), request, forwarded=forwarded
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        refused = unparsable_body(exc)
        if refused is not None:
            return _response(refused, request, forwarded=forwarded)
        problem = Problem(str(exc.detail))
        problem.status = exc.status_code
        problem.title = {404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "HTTP error"
        )
        problem.type_slug = "http-error"
        response = _response(problem, request, forwarded=forwarded)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


def invalid_from_pydantic(exc: Any, *, prefix: str = "body") -> InvalidInput:
    """Render a pydantic ``ValidationError`` raised inside a service like a request error."""
    errors = [
        field_error(
            ".".join([prefix, *(str(part) for part in err.get("loc", ()))]),
            str(err.get("type", "invalid")),
            str(err.get("msg", "invalid value")),
        )
        for err in exc.errors()
    ]
    fields = ", ".join(e["field"] for e in errors)
    return InvalidInput(f"The request has {len(errors)} invalid field(s): {fields}", errors=errors)
