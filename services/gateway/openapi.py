"""One OpenAPI document for the platform: each service's paths under its prefix, its
components namespaced by service name, the gateway's own routes, and the gateway's
credentials (API key or bearer token) as the security of every operation."""

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from shared.openapi import PROBLEM_SCHEMA, add_problems, operations

log = logging.getLogger("score.gateway.openapi")

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API key (score_...) or an access token from the platform's OpenID Connect issuer."
        ),
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key created with `score keys create`.",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# What the gateway itself may answer for any operation, before or instead of a service.
GATEWAY_STATUSES = (401, 403, 413, 429, 502, 503, 504)
# Seconds after which a client should ask again for a description that lacks a service.
PARTIAL_RETRY_AFTER = 5
# Reference prefixes of the component sections a service may define.
_REF = "#/components/"


def _rename_refs(node: Any, service: str, sections: set[str]) -> Any:
    """A copy of ``node`` whose component references point at the namespaced names."""
    if isinstance(node, dict):
        renamed: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                section, _, name = value[len(_REF) :].partition("/")
                if section in sections:
                    value = f"{_REF}{section}/{service}.{name}"
            renamed[key] = _rename_refs(value, service, sections)
        return renamed
    if isinstance(node, list):
        return [_rename_refs(item, service, sections) for item in node]
    return node


def merge_documents(
    gateway: dict[str, Any], services: dict[str, dict[str, Any]], unavailable: list[str]
) -> dict[str, Any]:
    """The gateway's own document with every service's folded in under its prefix."""
    merged = copy.deepcopy(gateway)
    merged.setdefault("paths", {})
    components = merged.setdefault("components", {})
    components.pop("securitySchemes", None)
    tags: list[dict[str, Any]] = list(merged.get("tags", []))
    for service, document in sorted(services.items()):
        sections = {
            section for section in document.get("components", {}) if section != "securitySchemes"
        }
        for section in sections:
            target = components.setdefault(section, {})
            for name, value in document["components"][section].items():
                target[f"{service}.{name}"] = _rename_refs(value, service, sections)
        for path, item in document.get("paths", {}).items():
            item = _rename_refs(item, service, sections)
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                # Operation ids must be unique across the document; tags group by service.
                if "operationId" in operation:
                    operation["operationId"] = f"{service}_{operation['operationId']}"
                operation["tags"] = [f"{service}: {tag}" for tag in operation.get("tags", [])] or [
                    service
                ]
                operation.pop("security", None)
            merged["paths"][f"/{service}{path}"] = item
        tags.extend(
            {**tag, "name": f"{service}: {tag['name']}"} for tag in document.get("tags", [])
        )
    components["securitySchemes"] = SECURITY_SCHEMES
    components.setdefault("schemas", {})["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    for path, _, operation in operations(merged):
        if path not in ("/healthz", "/readyz"):
            add_problems(operation, GATEWAY_STATUSES)
    merged["security"] = SECURITY
    if tags:
        merged["tags"] = tags
    if unavailable:
        # A partial description says so rather than silently missing a service.
        info = merged.setdefault("info", {})
        info["x-score-unavailable-services"] = sorted(unavailable)
        info["description"] = (
            f"{info.get('description', '')}\n\n**Incomplete:** not yet described (starting or "
            f"unreachable): {', '.join(sorted(unavailable))}. Ask again in a few seconds."
        )
    return merged


class MergedOpenApi:
    """Fetches the services' documents and keeps the merge for a while."""

    def __init__(
        self,
        *,
        service_urls: dict[str, str],
        http: httpx.AsyncClient,
        gateway_document: Callable[[], dict[str, Any]],
        ttl: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service_urls = service_urls
        self.http = http
        self.gateway_document = gateway_document
        self.ttl = ttl
        self.timeout = timeout
        self.clock = clock
        self._cached: tuple[dict[str, Any], float] | None = None
        self._lock = asyncio.Lock()

    async def document(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached is not None and self.clock() - self._cached[1] < self.ttl:
                return self._cached[0]
            fetched = await asyncio.gather(
                *(self._fetch(name, url) for name, url in self.service_urls.items())
            )
            documents = {name: doc for name, doc in fetched if doc is not None}
            unavailable = [name for name, doc in fetched if doc is None]
            merged = merge_documents(self.gateway_document(), documents, unavailable)
            # A partial document is served but not kept: the next request asks again.
            self._cached = None if unavailable else (merged, self.clock())
            return merged

    async def _fetch(self, name: str, base: str) -> tuple[str, dict[str, Any] | None]:
        try:
            response = await self.http.get(f"{base}/openapi.json", timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("OpenAPI of %s unavailable: %s", name, exc)
            return name, None
        return name, document if isinstance(document, dict) else None


def openapi_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> JSONResponse:
        merged: MergedOpenApi = request.app.state.openapi
        document = await merged.document()
        if document.get("info", {}).get("x-score-unavailable-services"):
            # Partial: never kept by a cache, and worth asking for again shortly.
            headers = {"Cache-Control": "no-store", "Retry-After": str(PARTIAL_RETRY_AFTER)}
            return JSONResponse(document, headers=headers)
        return JSONResponse(document)

    @router.get("/docs")
    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="SCORE platform API")

    return router
