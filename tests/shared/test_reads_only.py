"""Routes marked ``reads_only`` run each statement on its own, other routes in one
transaction committed at the end of the request."""

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from shared.db import Database, SessionDep, reads_only

# Two statements apart in time: their transactions' start times differ unless one
# transaction holds both.
TWO_STATEMENTS = ("SELECT now()", "SELECT pg_sleep(0.001)", "SELECT now()")


def app_over(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.database = database

    async def one_transaction(session: SessionDep) -> bool:
        starts = [await session.scalar(text(statement)) for statement in TWO_STATEMENTS]
        return bool(starts[0] == starts[2])

    @app.get("/reads")
    @reads_only
    async def reads(session: SessionDep) -> bool:
        return await one_transaction(session)

    @app.get("/default")
    async def default(session: SessionDep) -> bool:
        return await one_transaction(session)

    return app


async def test_a_route_that_only_reads_runs_its_statements_without_a_transaction(
    enrolment_database: Database,
) -> None:
    transport = httpx.ASGITransport(app=app_over(enrolment_database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        one_transaction = [
            (await client.get(path)).json() for path in ("/default", "/reads", "/default")
        ]
    assert one_transaction == [True, False, True]


async def test_a_read_session_gives_its_connection_back_whether_used_or_not(
    enrolment_database: Database,
) -> None:
    """Closed only if used (an untouched one holds nothing): neither way is a connection
    left checked out of the pool."""
    pool = enrolment_database.engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    async with enrolment_database.read_session() as untouched:
        assert not untouched.in_transaction()
    async with enrolment_database.read_session() as used:
        assert await used.scalar(text("SELECT 1")) == 1
        assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    assert pool.checkedout() == before  # type: ignore[attr-defined]
