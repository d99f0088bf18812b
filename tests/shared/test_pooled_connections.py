"""A service's pooled database connections: one the server has dropped is replaced before a
request gets it."""

from sqlalchemy import text

from shared.db import Database


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
