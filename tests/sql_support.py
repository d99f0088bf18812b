"""Counting the SQL a piece of code sends, for tests that guard against N+1 queries."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession


@contextmanager
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """Every SQL statement sent on the test's connection while the block runs."""
    connection = session.bind
    assert isinstance(connection, AsyncConnection)
    engine = connection.sync_engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (conn, cursor, statement, parameters, context, executemany)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
