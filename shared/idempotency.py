"""``Idempotency-Key`` on every write of every service: a retry gets the first answer back
and writes nothing twice.

One mechanism, applied by the service app to every POST, PUT, PATCH and DELETE:

* ``IdempotencyMiddleware`` fingerprints a keyed request (method, path, query string and
  body) and names the caller (the verified token's subject), before any route runs;
* ``idempotency_guard``, a dependency of every route, takes the key's lock in the
  request's own transaction, and answers a retry from the stored record (or refuses a key
  reused for another request) before the route does anything;
* the request's transaction is then committed by the middleware, once the answer is
  known, together with the record of that answer: the write and its record commit
  atomically, so even a crash between them cannot make a retry write twice.

A key is scoped to its caller; records of successful answers (2xx) are kept. A subgraph's
``/graphql`` takes keys too: the gateway forwards a client's key with the mutations it sends
there, the answer recorded is the GraphQL response, and a mutation that wrote nothing (every
field refused: ``Claim.record_nothing``) is treated as a refused REST write.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Table, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import DEFERRED_COMMIT, SessionDep
from shared.identity import verify_token
from shared.problems import Conflict, InvalidInput, Problem, field_error, instance_path
from shared.request_guard import BODY_METHODS, problem_response, read_body

log = logging.getLogger("score.idempotency")

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
# A subgraph endpoint: the gateway's graph-audience tokens name its callers.
GRAPH_SUFFIX = "/graphql"


class IdempotentReplay(Exception):
    """Raised by the guard to answer a retry with the stored response."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body

    def response(self) -> Response:
        headers = {REPLAY_HEADER: "true"}
        if self.body is None:
            return Response(status_code=self.status_code, headers=headers)
        return JSONResponse(self.body, status_code=self.status_code, headers=headers)


@dataclass
class Claim:
    """A keyed write in flight: who, which key, which request, and the transaction to
    finish with the record of the answer."""

    key: str
    subject: str
    fingerprint: str
    table: Table
    session: AsyncSession | None = None
    # Whether the session is this request's own (shared.db.request_session hands it over
    # uncommitted) or one that its owner finishes (a test's).
    owned: bool = False
    finished: bool = field(default=False)
    # Set when the request wrote nothing though it answered 2xx (a GraphQL mutation whose
    # every field was refused): like an error answer, rolled back and not recorded.
    wrote_nothing: bool = field(default=False)

    def record_nothing(self) -> None:
        self.wrote_nothing = True

    async def check(self, session: AsyncSession) -> None:
        """Wait for an earlier attempt with this key; answer from it if it succeeded."""
        if self.session is None:
            self.session = session
        # Same caller + key: the second request waits here until the first commits.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:scope, 0))"),
            {"scope": f"{self.subject}\n{self.key}"},
        )
        stored = (
            await session.execute(
                select(self.table).where(
                    self.table.c.key == self.key, self.table.c.subject == self.subject
                )
            )
        ).first()
        if stored is None:
            return
        # Nothing of this attempt is kept: its session's owner rolls it back.
        self.finished = True
        if stored.request_hash != self.fingerprint:
            raise Conflict(
                "This Idempotency-Key was already used with a different request "
                "(method, path, query or body)",
                errors=[field_error(f"header.{HEADER}", "reused_key", "use a new key per request")],
            )
        raise IdempotentReplay(stored.status_code, stored.response)

    async def finish(self, status_code: int, body: Any | None, *, keep: bool) -> None:
        """Commit the request's transaction with the record of its answer (2xx), or roll
        it back (an error answer)."""
        session = self.session
        if session is None or self.finished:
            return
        self.finished = True
        try:
            if not 200 <= status_code < 300 or self.wrote_nothing:
                if self.owned:
                    await session.rollback()
                return
            if keep:
                await session.execute(
                    insert(self.table).values(
                        key=self.key,
                        subject=self.subject,
                        request_hash=self.fingerprint,
                        status_code=status_code,
                        response=body,
                    )
                )
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            if self.owned:
                await session.close()

    async def abandon(self) -> None:
        session = self.session
        self.finished = True
        if session is not None and self.owned:
            self.session = None
            try:
                await session.rollback()
            finally:
                await session.close()


def _canonical_body(scope: Scope, body: bytes) -> bytes:
    content_type = ""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            content_type = value.decode("latin-1")
    media, _, parameters = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            # Key order and spacing are the client library's, not the request's.
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            return body
    if media.startswith("multipart/"):
        # Each attempt of an upload gets a new boundary; the parts are the request.
        for parameter in parameters.split(";"):
            name, _, boundary = parameter.strip().partition("=")
            if name.lower() == "boundary" and boundary:
                return body.replace(boundary.strip('"').encode("latin-1"), b"boundary")
    return body


def fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope.get("path", "").encode("utf-8", "surrogateescape"),
        scope.get("query_string", b""),
        _canonical_body(scope, body),
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _subject(scope: Scope) -> str | None:
    """The verified caller, or None: a request without a valid token is refused by its
    route anyway, and must not get anyone's recorded answer."""
    authorization = _header(scope, b"authorization") or ""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    platform = scope["app"].state.settings.platform
    graph = scope.get("path", "").endswith(GRAPH_SUFFIX)
    try:
        return verify_token(
            token.strip(),
            platform,
            audience=platform.identity_graph_audience if graph else None,
        ).subject
    except Problem:
        return None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, table: Table) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        key = _header(scope, HEADER.lower().encode())
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            problem = InvalidInput(
                f"The {HEADER} header must hold 1 to {MAX_KEY_LENGTH} characters",
                errors=[
                    field_error(
                        f"header.{HEADER}",
                        "string_too_long" if key.strip() else "string_too_short",
                        f"1 to {MAX_KEY_LENGTH} characters",
                    )
                ],
            )
            await problem_response(problem, instance_path(scope))(scope, receive, send)
            return
        subject = _subject(scope)
        if subject is None:
            await self.app(scope, receive, send)
            return
        body, receive = await read_body(scope, receive)
        claim = Claim(
            key=key, subject=subject, fingerprint=fingerprint(scope, body), table=self.table
        )
        scope.setdefault("state", {})[DEFERRED_COMMIT] = claim
        await self._answer(claim, scope, receive, send)

    async def _answer(self, claim: Claim, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request holding back its answer until its transaction has committed."""
        start: Message | None = None
        chunks: list[bytes] = []
        try:

            async def hold(message: Message) -> None:
                nonlocal start
                if message["type"] == "http.response.start":
                    start = message
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await self.app(scope, receive, hold)
            assert start is not None, "the app answered nothing"
            body = b"".join(chunks)
            status = int(start["status"])
            recorded, keep = _recordable(start, body)
            await claim.finish(status, recorded, keep=keep)
        except BaseException:
            await claim.abandon()
            raise
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _recordable(start: Message, body: bytes) -> tuple[Any, bool]:
    """The answer as stored for replays (JSON, or None for an empty body), and whether it
    can be stored at all."""
    if not body:
        return None, True
    media = ""
    for name, value in start.get("headers", []):
        if name.lower() == b"content-type":
            media = value.decode("latin-1").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return json.loads(body), True
        except ValueError:
            pass
    log.warning("a %s answer cannot be recorded for idempotent replay", media or "untyped")
    return None, False


async def idempotency_guard(request: Request, session: SessionDep) -> None:
    """Dependency of every route: a keyed retry is answered here, before the route runs."""
    claim = request.scope.get("state", {}).get(DEFERRED_COMMIT)
    if isinstance(claim, Claim):
        await claim.check(session)


def install_idempotency(app: Any, table: Table) -> None:
    async def on_replay(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, IdempotentReplay)
        return exc.response()

    app.add_exception_handler(IdempotentReplay, on_replay)
    app.add_middleware(IdempotencyMiddleware, table=table)
