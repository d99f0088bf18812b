"""Depth-named savepoints (tests/savepoints.py) end the same writes as SQLAlchemy's uniquely
named ones, and a thousand savepoints use the same few statements."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.savepoints import depth_savepoint_engine


@pytest.fixture
async def connection(enrolment_url: str) -> AsyncIterator[AsyncConnection]:
    engine = depth_savepoint_engine(enrolment_url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(text("CREATE TEMPORARY TABLE kept (n int)"))
            yield connection
            await transaction.rollback()
    finally:
        await engine.dispose()


async def kept(connection: AsyncConnection) -> list[int]:
    rows = await connection.execute(text("SELECT n FROM kept ORDER BY n"))
    return [row.n for row in rows]


async def insert(connection: AsyncConnection, n: int) -> None:
    await connection.execute(text("INSERT INTO kept VALUES (:n)"), {"n": n})


async def test_nested_savepoints_keep_and_undo_the_writes_they_held(
    connection: AsyncConnection,
) -> None:
    outer = await connection.begin_nested()
    await insert(connection, 1)
    inner = await connection.begin_nested()
    await insert(connection, 2)
    await inner.rollback()
    # The next savepoint at the rolled-back one's depth, as the next request's.
    again = await connection.begin_nested()
    await insert(connection, 3)
    await again.commit()
    assert await kept(connection) == [1, 3]
    await outer.rollback()
    assert await kept(connection) == []
    kept_one = await connection.begin_nested()
    await insert(connection, 4)
    await kept_one.commit()
    assert await kept(connection) == [4]


async def test_a_thousand_savepoints_use_one_name_per_depth(connection: AsyncConnection) -> None:
    statements: set[str] = set()

    def record(*args: Any) -> None:
        statement = args[2]
        if "SAVEPOINT" in statement:
            statements.add(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    outer = await connection.begin_nested()
    for n in range(1000):
        request = await connection.begin_nested()
        await insert(connection, n)
        await (request.commit() if n % 2 else request.rollback())
    await outer.commit()
    assert len(await kept(connection)) == 500
    assert statements == {
        "SAVEPOINT sp_1",
        "RELEASE SAVEPOINT sp_1",
        "SAVEPOINT sp_2",
        "RELEASE SAVEPOINT sp_2",
        "ROLLBACK TO SAVEPOINT sp_2",
    }
