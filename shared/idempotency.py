"""``Idempotency-Key`` on writes that partner systems retry: a retry returns the first
response and writes nothing twice.

The key is scoped to the caller (token subject) and bound to the request body: reusing a
key with a different body is refused rather than answered with an unrelated response.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import SessionDep
from shared.identity import CurrentPrincipal, Principal
from shared.plumbing import Plumbing
from shared.problems import Conflict, field_error

REPLAY_HEADER = "Idempotent-Replayed"


class Idempotency:
    def __init__(
        self,
        *,
        key: str | None,
        request_hash: str,
        principal: Principal,
        session: AsyncSession,
        plumbing: Plumbing,
    ) -> None:
        self.key = key
        self.request_hash = request_hash
        self.principal = principal
        self.session = session
        self.table = plumbing.idempotency

    async def run(self, work: Callable[[], Awaitable[BaseModel]], *, status_code: int = 200) -> Any:
        """Do ``work`` once per key; a retry gets the stored response back."""
        if self.key is None:
            return await work()
        # Same caller + key: the second request waits here until the first commits.
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:scope, 0))"),
            {"scope": f"{self.principal.subject}\n{self.key}"},
        )
        stored = (
            await self.session.execute(
                select(self.table).where(
                    self.table.c.key == self.key,
                    self.table.c.subject == self.principal.subject,
                )
            )
        ).first()
        if stored is not None:
            if stored.request_hash != self.request_hash:
                raise Conflict(
                    "This Idempotency-Key was already used with a different request body",
                    errors=[
                        field_error(
                            "header.Idempotency-Key", "reused_key", "use a new key per request"
                        )
                    ],
                )
            return JSONResponse(
                stored.response, status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
            )
        result = await work()
        await self.session.execute(
            insert(self.table).values(
                key=self.key,
                subject=self.principal.subject,
                request_hash=self.request_hash,
                status_code=status_code,
                # model_dump is several times faster than jsonable_encoder on big results.
                response=result.model_dump(mode="json")
                if isinstance(result, BaseModel)
                else jsonable_encoder(result),
            )
        )
        return result


def idempotency_dependency(plumbing: Plumbing) -> Any:
    """A FastAPI dependency bound to one service's plumbing tables."""

    async def dependency(
        request: Request,
        session: SessionDep,
        principal: CurrentPrincipal,
        idempotency_key: Annotated[
            str | None,
            Header(
                max_length=200,
                description="Any unique string; retries with the same key return the first result",
            ),
        ] = None,
    ) -> Idempotency:
        request_hash = ""
        if idempotency_key is not None:
            # Only keyed requests pay for reading and hashing the body.
            body = await request.body()
            try:
                canonical = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
            except ValueError:
                canonical = body
            request_hash = hashlib.sha256(request.url.path.encode() + b"\0" + canonical).hexdigest()
        return Idempotency(
            key=idempotency_key,
            request_hash=request_hash,
            principal=principal,
            session=session,
            plumbing=plumbing,
        )

    return Depends(dependency)
