"""A service's pooled database connections: one the server has dropped is replaced before a
request gets it, or (a compiled read) the read runs again on a new one."""

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select, text

from shared.db import Database
from shared.sql import CompiledQueries


async def backend_pid(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)


_BACKEND_PID: CompiledQueries[None] = CompiledQueries(
    lambda _shape: select(func.pg_backend_pid().label("pid"))
)


async def compiled_backend_pid(database: Database) -> int:
    async with database.reads() as session:
        rows = await _BACKEND_PID.rows(session, None, {})
    return int(rows[0]["pid"])


@pytest.mark.parametrize(
    "read_pid",
    [
        # A session's checkout pings the connection and replaces a dropped one.
        pytest.param(backend_pid, id="session"),
        # A compiled read checks its connection out unpinged: the read itself finds it
        # dropped and runs again on a new one.
        pytest.param(compiled_backend_pid, id="compiled-read"),
    ],
)
async def test_a_read_on_a_connection_the_server_dropped_is_answered_from_a_new_one(
    enrolment_url: str, read_pid: Callable[[Database], Awaitable[int]]
) -> None:
    database = Database(enrolment_url, pool_size=1)
    observer = Database(enrolment_url, pool_size=1)
    try:
        dropped = await read_pid(database)
        async with observer.sessions() as session:
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        # The same pool answers without an error, on a new connection...
        assert await read_pid(database) not in (dropped, 0)
        # ...and keeps serving from it.
        assert await backend_pid(database) not in (dropped, 0)
    finally:
        await database.dispose()
        await observer.dispose()
