"""A service's pooled database connections: one the server has dropped is replaced before a
request gets it, or (a compiled read) the read runs again on a new one."""

from sqlalchemy import func, select, text

from shared.db import Database
from shared.sql import CompiledQueries


async def backend_pid(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


async def test_a_connection_the_server_dropped_is_replaced_before_a_request_uses_it(
    enrolment_url: str,
) -> None:
    database = Database(enrolment_url, pool_size=1)
    observer = Database(enrolment_url, pool_size=1)
    try:
        dropped = await backend_pid(database)
        async with observer.sessions() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        # The same pool answers without an error, on a new connection.
        assert await backend_pid(database) not in (dropped, 0)
    finally:
        await database.dispose()
        await observer.dispose()


_BACKEND_PID: CompiledQueries[None] = CompiledQueries(
    lambda _shape: select(func.pg_backend_pid().label("pid"))
)


async def compiled_backend_pid(database: Database) -> int:
    async with database.reads() as session:
        rows = await _BACKEND_PID.rows(session, None, {})
    return int(rows[0]["pid"])


async def test_a_compiled_read_on_a_connection_the_server_dropped_runs_again_on_a_new_one(
    enrolment_url: str,
) -> None:
    # Compiled reads check their connection out unpinged: the read itself finds it dropped.
    database = Database(enrolment_url, pool_size=1)
    observer = Database(enrolment_url, pool_size=1)
    try:
        dropped = await compiled_backend_pid(database)
        async with observer.sessions() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        assert await compiled_backend_pid(database) not in (dropped, 0)
        # And the pool keeps serving from the new connection.
        assert await backend_pid(database) not in (dropped, 0)
    finally:
        await database.dispose()
        await observer.dispose()
