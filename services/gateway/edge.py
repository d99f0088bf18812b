"""What every request through the gateway passes before any route: a request id (in the
response, the logs and every service call), the body limit, authentication and the
caller's rate limit. The outcome lands in ``request.state``: ``request_id``, ``principal``
and ``identity_token`` (signed by the gateway for that principal)."""

import logging
import time
from collections.abc import Callable, Collection, Mapping

from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.auth.authenticator import CREDENTIAL_HEADERS, Authenticator
from services.gateway.auth.ratelimit import (
    CallerLimiter,
    TokenBucketLimiter,
    retry_after_seconds,
)
from services.gateway.auth.tokens import IdentityTokens
from services.gateway.problems import InternalError, PayloadTooLarge, TooManyRequests
from services.gateway.settings import GatewaySettings
from shared.db import DATABASE_RETRY_AFTER, database_unavailable
from shared.head import head_as_get
from shared.observability import (
    HttpMetrics,
    accept_request_id,
    request_id_var,
    route_template,
)
from shared.problems import PROBLEM_JSON, DatabaseUnavailable, Problem

access_log = logging.getLogger("score.gateway.access")
log = logging.getLogger("score.gateway")

# Reachable without credentials: probes, the API description partners read first, and
# the public keys anyone may check the gateway's identity tokens with.
JWKS_PATH = "/.well-known/jwks.json"
OPEN_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/docs",
        "/docs/oauth2-redirect",
        "/openapi.json",
        JWKS_PATH,
    }
)
# The composed graph's endpoint (services/gateway/graph/router.py).
GRAPH_PATH = "/graphql"
# The access log's and metrics' status of a request whose caller left before its answer
# (nginx's "client closed request"): never sent, as there is no one to send it to.
CLIENT_CLOSED_REQUEST = 499


def problem_response(
    problem: Problem, path: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    all_headers = problem.headers()
    all_headers.update(headers or {})
    return JSONResponse(
        problem.body(instance=path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=all_headers,
    )


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: GatewaySettings,
        authenticator: Authenticator,
        limiter: TokenBucketLimiter,
        callers: CallerLimiter | None = None,
        open_paths: Collection[str] = OPEN_PATHS,
    ) -> None:
        self.app = app
        self.settings = settings
        self.authenticator = authenticator
        self.limiter = limiter
        # Authenticated callers' limits: shared by the replicas in production.
        self.callers: CallerLimiter = callers or limiter
        self.open_paths = open_paths
        self.request_id_header = settings.request_id_header.lower().encode("latin-1")
        self._read_names = {
            b"content-length": "content-length",
            **{name.encode("latin-1"): name for name in CREDENTIAL_HEADERS},
            self.request_id_header: "request-id",
        }
        self.metrics = HttpMetrics("gateway")
        self.tokens = IdentityTokens(
            lambda: settings.identity_signing_key,
            settings.platform,
            ttl_seconds=settings.forwarded_token_ttl,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._read_headers(scope)
        request_id = accept_request_id(headers.get("request-id"))
        context = request_id_var.set(request_id)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        # Everything inside sees a HEAD as its GET (shared/head.py); logged as the HEAD it was.
        method = scope["method"]
        routed = scope
        if method == "HEAD":
            routed, send = head_as_get(scope, send)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *(
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() != self.request_id_header
                    ),
                    (self.request_id_header, request_id.encode("latin-1")),
                ]
            await send(message)

        path = scope.get("path", "")
        try:
            try:
                problem, extra_headers = await self._admit(routed, headers, state)
            except Exception as exc:
                problem, extra_headers = self._failed(exc, scope, request_id), None
            if problem is not None:
                await problem_response(problem, path, extra_headers)(routed, receive, send_with_id)
                return
            try:
                await self.app(
                    routed, self._limited(receive, lambda: response_started), send_with_id
                )
            except PayloadTooLarge as exc:
                # Raised from the body stream after a route began reading it.
                if response_started:
                    raise
                await problem_response(exc, path)(routed, receive, send_with_id)
            except ClientDisconnect:
                # The caller hung up before its answer came (a long poll, an export): there
                # is no one to answer, and nothing went wrong here. Logged and counted as
                # the status proxies use for it ("client closed request"), not as a 500.
                if response_started:
                    raise
                status = CLIENT_CLOSED_REQUEST
            except Exception as exc:
                if response_started:
                    log.exception("error after answering %s %s", method, path)
                    raise
                masked = self._failed(exc, scope, request_id)
                await problem_response(masked, path)(routed, receive, send_with_id)
        finally:
            template = route_template(routed)  # the router notes the route in its scope
            if template != "/metrics":
                elapsed = time.perf_counter() - started
                self.metrics.observe(method, template, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                principal = state.get("principal")
                access_log.info(
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "path": path,
                        "status": status,
                        "caller": principal.actor if principal is not None else None,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            request_id_var.reset(context)

    def _read_headers(self, scope: Scope) -> dict[str, str]:
        """The request headers the edge reads, each the first of its name (as
        ``Headers.get`` gives it), in one pass over the scope: the request id (under
        "request-id"), the declared length and the credentials."""
        read = self._read_names
        found: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = read.get(name)
            if key is not None and key not in found:
                found[key] = value.decode("latin-1")
        return found

    @staticmethod
    def _failed(exc: Exception, scope: Scope, request_id: str) -> Problem:
        """The answer to an error nothing else handled: 503 while the gateway's database
        (API keys) is away, otherwise a masked 500 carrying the request id."""
        method, path = scope.get("method"), scope.get("path", "")
        if database_unavailable(exc):
            log.warning("database unavailable answering %s %s: %r", method, path, exc)
            return DatabaseUnavailable(
                "The gateway cannot check credentials while its database is unavailable; "
                f"retry in {DATABASE_RETRY_AFTER} s",
                retry_after=DATABASE_RETRY_AFTER,
            )
        log.exception("unexpected error answering %s %s", method, path)
        return InternalError(
            "An unexpected error occurred; quote the request id when reporting it",
            request_id=request_id,
        )

    async def _admit(
        self, scope: Scope, headers: Mapping[str, str], state: dict[str, object]
    ) -> tuple[Problem | None, dict[str, str] | None]:
        """The problem that stops the request here, if any (with headers for the answer)."""
        declared = headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.settings.max_body_bytes
        ):
            return self._too_large(), None
        if scope.get("path", "") in self.open_paths:
            return None, None
        try:
            caller = await self.authenticator.authenticate(headers)
        except Problem as problem:
            if problem.status == 401:
                # Failures are counted per client address, and only failures: a burst of bad
                # keys from an address slows that burst (429), never a valid credential sent
                # from the same address (it is admitted above on its own merits).
                client_ip = (scope.get("client") or ("unknown", 0))[0]
                wait = self.limiter.take(f"unauthenticated:{client_ip}")
                if wait > 0:
                    return self._rate_limited(wait)
            return problem, None
        wait = await self.callers.admit(caller.rate_key)
        if wait > 0:
            return self._rate_limited(wait)
        state["principal"] = caller.principal
        platform = self.settings.platform
        state["identity_token"] = self.tokens.token(
            caller.principal,
            # The gateway's own graph calls the subgraphs' /graphql, which takes only tokens
            # for the graph audience; a REST token could not open it, so no REST route can.
            platform.identity_graph_audience
            if scope.get("path") == GRAPH_PATH
            else platform.identity_audience,
        )
        return None, None

    def _rate_limited(self, wait: float) -> tuple[Problem, dict[str, str]]:
        seconds = retry_after_seconds(wait)
        problem = TooManyRequests(
            f"Rate limit reached ({self.settings.rate_limit_per_second:g} requests per second, "
            f"bursts of {self.settings.rate_limit_burst}); retry in {seconds} s",
            retry_after=seconds,
        )
        return problem, {"Retry-After": str(seconds)}

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body exceeds {self.settings.max_body_bytes} bytes",
            max_body_bytes=self.settings.max_body_bytes,
        )

    def _limited(self, receive: Receive, responding: Callable[[], bool]) -> Receive:
        """``receive`` that stops a body (chunked, or lying about its length) at the limit."""
        limit = self.settings.max_body_bytes
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                # Once the answer is on its way the rest of the body is only drained (while
                # waiting for a disconnect): there is nobody left to refuse it to.
                if received > limit and not responding():
                    raise self._too_large()
            return message

        return receive_limited
