"""What every operation of a service's OpenAPI document says about failure, in one place:
the statuses any route may answer, each as ``application/problem+json`` with the problem
schema the services really send (FastAPI's own 422 schema is not what they send), and the
``Idempotency-Key`` header of every write.

Routes add their specifics (``responses=`` with a description); this fills in the schema
and the rest, so the document cannot drift from the shared handlers.
"""

import asyncio
import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from shared.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; extensions (`request_id`, `retry_after`, ...) "
    "may be added.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Each invalid field and the rule it broke",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {
                        "type": "string",
                        "description": "body.<path>, query.<name>, path.<name>, header.<name>",
                    },
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                    "value": {"description": "The refused value, when it can be echoed"},
                },
            },
        },
    },
    "additionalProperties": True,
}

DESCRIPTIONS: dict[int, str] = {
    400: "The body cannot be read (not UTF-8, broken multipart)",
    401: "No valid credential",
    403: "The credential's role or scopes do not allow this",
    404: "No such resource, or one you may not see (never 403: nothing leaks)",
    409: "A conflict with the current state, or an Idempotency-Key reused for another request",
    413: "The request body is too large",
    415: "The body's Content-Type is not one this operation reads",
    422: "Invalid input: `errors` names each field and the rule it broke; nothing was written",
    429: "Too many requests: wait `Retry-After` seconds",
    502: "The service behind the gateway is unreachable",
    503: (
        "Temporarily unavailable (a database is away, the gateway is restarting): retry "
        "after `Retry-After` seconds"
    ),
    504: "The service behind the gateway did not answer in time",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer"},
    }
}

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (1 to 200 characters) chosen per operation: a retry with the same "
        "key gets the first answer back (`Idempotent-Replayed: true`) and writes nothing "
        "twice; the same key with a different method, path, query or body is refused (409)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description or DESCRIPTIONS.get(status, "Problem"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }
    if status in (429, 503):
        response["headers"] = copy.deepcopy(RETRY_AFTER)
    return response


def operations(document: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def add_problems(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Document ``statuses`` as problems, keeping a route's own descriptions; an error
    response documented without a schema gets the problem schema."""
    responses = operation.setdefault("responses", {})
    for status in statuses:
        existing = responses.get(str(status))
        if existing is None:
            responses[str(status)] = problem_response(status)
            continue
        content = existing.setdefault("content", {})
        # FastAPI's HTTPValidationError is not what the services send.
        content.pop("application/json", None)
        content[PROBLEM_JSON] = {"schema": {"$ref": PROBLEM_REF}}
        if status in (429, 503):
            existing.setdefault("headers", copy.deepcopy(RETRY_AFTER))


def _service_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    if path == "/healthz":
        return []
    if path.endswith("/graphql"):
        # GraphQL over HTTP answers its own errors ({"errors": [...]}); only refusals
        # before it runs are problems.
        return [401, 403, 503]
    statuses = [401, 403, 404, 503]
    if method in WRITE_METHODS or "requestBody" in operation:
        statuses += [400, 409, 415, 422]
    if operation.get("parameters"):
        statuses.append(422)
    # Any error response a route documents itself is a problem too.
    statuses += [
        int(code) for code in operation.get("responses", {}) if code.startswith(("4", "5"))
    ]
    return sorted(set(statuses))


def _document_readiness(operation: dict[str, Any]) -> None:
    operation.setdefault("responses", {})["503"] = {
        "description": "Not ready: the database does not answer",
        "headers": copy.deepcopy(RETRY_AFTER),
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """A service's document with the shared failure answers filled in (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, method, operation in operations(document):
        if path == "/readyz":
            _document_readiness(operation)
            continue
        add_problems(operation, _service_statuses(path, method, operation))
        if method in WRITE_METHODS and not path.endswith("/graphql"):
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "Idempotency-Key" for p in parameters):
                parameters.append(copy.deepcopy(IDEMPOTENCY_PARAMETER))
    return document


def document_common_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document, and ``app.openapi_url`` build it
    off the event loop the first time it is asked for.

    Built on first request, not at start-up: it is a quarter to a third of a second of CPU
    per service (pydantic's JSON schemas of every model), that every start of the platform
    paid while its processes started side by side on the machine's cores, for a document
    only the gateway's /openapi.json and /docs ask for. The first request for it waits that
    long once; the service's other requests meanwhile are served, not queued behind it.
    """
    generate: Callable[[], dict[str, Any]] = app.openapi
    # Built in a thread, and FastAPI stores the document before it is completed: nobody may
    # read it half-done, nor build it twice.
    building = threading.Lock()

    def openapi() -> dict[str, Any]:
        with building:
            if app.openapi_schema is None:
                app.openapi_schema = complete_document(generate())
            return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    if app.openapi_url is None:
        return
    # FastAPI's own route (servers, root path) serves it, once it is built off the loop.
    route = next(
        route
        for route in app.router.routes
        if isinstance(route, Route) and route.path == app.openapi_url
    )
    serve = route.app

    async def built_off_the_loop(scope: Scope, receive: Receive, send: Send) -> None:
        if app.openapi_schema is None:
            await asyncio.to_thread(openapi)
        await serve(scope, receive, send)

    route.app = built_off_the_loop
