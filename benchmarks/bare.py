"""The baseline of `benchmarks.layers`: the enterprise list written by hand with FastAPI and
asyncpg, against the enrolment database of the embedded Postgres under ``SCORE_DATA_DIR``.

It serves the same rows with the same JSON fields as the enrolment service's
``GET /enterprises`` for an ILO-global caller (the benchmark checks it), and nothing else:
no identity, tenancy, ORM, validation, logging, metrics or tracing. Not part of the product.

    uv run uvicorn benchmarks.bare:create_app --factory --port 8090 --no-access-log
"""

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import FastAPI, Query, Request, Response

from services.enrolment.enterprises.schemas import EnterprisePublic
from shared.embedded_pg import asyncpg_dsn, embedded_url
from shared.settings import PlatformSettings

# The enterprise columns the service returns, in its order; buyer_ids come from their table
# and possible_duplicate is computed (an ILO-global caller sees every original's id).
COMPUTED = {"buyer_ids", "possible_duplicate"}
COLUMNS = [name for name in EnterprisePublic.model_fields if name not in COMPUTED]
LIST = (
    f"SELECT {', '.join(COLUMNS)}, duplicate_reason IS NOT NULL AS possible_duplicate "
    "FROM enterprise ORDER BY id LIMIT $1"
)
BUYERS = (
    "SELECT enterprise_id, buyer_id FROM enterprise_buyer "
    "WHERE enterprise_id = ANY($1::uuid[]) ORDER BY buyer_id"
)


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cursor(last_id: UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def socket_dir(pgdata: Path) -> str:
    """The running server's socket folder, from its postmaster.pid (fifth line). Read, not
    asked of pgserver: a process holding a pgserver handle must exit through Python's
    atexit to release it, and uvicorn ends on a re-raised SIGTERM."""
    return (pgdata / "postmaster.pid").read_text().splitlines()[4]


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pgdata = PlatformSettings().embedded_pg_dir
        dsn = asyncpg_dsn(embedded_url(socket_dir(pgdata), "enrolment"))
        # As many connections as the service's pool keeps (shared.db.Database).
        async with asyncpg.create_pool(dsn, min_size=10, max_size=10) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(title="bare enterprise list", lifespan=lifespan)

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ready"}

    @app.get("/enterprises")
    async def enterprises(
        request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> Response:
        pool: asyncpg.Pool = request.app.state.pool
        async with pool.acquire() as connection:
            rows = await connection.fetch(LIST, limit + 1)
            page = rows[:limit]
            buyers: dict[UUID, list[str]] = {row["id"]: [] for row in page}
            for enterprise_id, buyer_id in await connection.fetch(BUYERS, list(buyers)):
                buyers[enterprise_id].append(str(buyer_id))
        items = [
            {
                **{name: _json_value(value) for name, value in row.items()},
                "buyer_ids": buyers[row["id"]],
            }
            for row in page
        ]
        next_cursor = _cursor(page[-1]["id"]) if len(rows) > limit and page else None
        body = json.dumps({"items": items, "next_cursor": next_cursor}, separators=(",", ":"))
        return Response(body, media_type="application/json")

    return app
