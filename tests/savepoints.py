"""An engine for tests that take thousands of savepoints in one long transaction (a module's
world, a savepoint per request): savepoints named by their depth, so each of the few
names is prepared once, and a statement cache big enough for every query the services
send.

SQLAlchemy names every savepoint anew (``sa_savepoint_<n>`` for the connection's n-th), and
its asyncpg dialect prepares each statement before running it: every SAVEPOINT, RELEASE
and ROLLBACK TO cost a prepare round trip of its own and took a place in the connection's
cache of prepared statements (100), pushing the services' queries out of it, so those were
prepared again too. The tenancy matrix sent 24,780 such statements per run.
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_DRIVER = "asyncpg_depth_savepoints"
_STACK = "tests.savepoints.stack"
# Distinct statements the services send over a whole matrix part, with room to spare.
STATEMENT_CACHE_SIZE = 5000


def _stack(connection: Connection) -> list[str]:
    """The names SQLAlchemy gave the savepoints open on the connection, outermost first."""
    stack: list[str] = connection.info.setdefault(_STACK, [])
    return stack


def _depth(stack: list[str], name: str) -> int:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] == name:
            return index + 1
    raise LookupError(f"savepoint {name} is not open on this connection")


class DepthNamedSavepoints(PGDialect_asyncpg):
    """Postgres through asyncpg, a savepoint named by its depth in the transaction.

    Postgres resolves a name to the most recent savepoint so named, and SQLAlchemy only
    ever releases or rolls back to one of those open in its own view, outermost ones
    taking the inner ones with them: the same savepoints end as with unique names. (After a
    ROLLBACK TO the savepoint stays open in Postgres, under its name either way, until an
    outer one or the transaction ends: the next one at its depth is nested in it.)
    """

    driver = _DRIVER
    supports_statement_cache = True  # as its base's: SQLAlchemy asks every dialect class

    def do_savepoint(self, connection: Connection, name: str) -> None:
        stack = _stack(connection)
        stack.append(name)
        connection.exec_driver_sql(f"SAVEPOINT sp_{len(stack)}")

    def do_release_savepoint(self, connection: Connection, name: str) -> None:
        stack = _stack(connection)
        depth = _depth(stack, name)
        del stack[depth - 1 :]
        connection.exec_driver_sql(f"RELEASE SAVEPOINT sp_{depth}")

    def do_rollback_to_savepoint(self, connection: Connection, name: str) -> None:
        stack = _stack(connection)
        depth = _depth(stack, name)
        del stack[depth - 1 :]
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT sp_{depth}")


registry.register(f"postgresql.{_DRIVER}", __name__, DepthNamedSavepoints.__name__)


def _transaction_ended(connection: Connection, *_: Any) -> None:
    # The transaction's end takes every savepoint with it.
    connection.info.pop(_STACK, None)


def depth_savepoint_engine(url: str) -> AsyncEngine:
    """An engine on ``url`` (``postgresql+asyncpg://``) with depth-named savepoints and a
    statement cache for a whole test module's queries."""
    engine = create_async_engine(
        make_url(url).set(drivername=f"postgresql+{_DRIVER}"),
        connect_args={"prepared_statement_cache_size": STATEMENT_CACHE_SIZE},
    )
    event.listen(engine.sync_engine, "commit", _transaction_ended)
    event.listen(engine.sync_engine, "rollback", _transaction_ended)
    return engine
