"""Async database plumbing shared by the services: engine, sessions, naming convention."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, Protocol, TypeVar

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import registry
from sqlalchemy.util.concurrency import await_
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.embedded_pg import embedded_url, ensure_database, start_embedded_server
from shared.settings import ServiceSettings

# Constraint names are deterministic so migrations can name what they drop or alter.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_registry() -> registry:
    """One registry (and metadata) per service, so each migration history sees only its tables."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


async def resolve_database_url(settings: ServiceSettings) -> str:
    """The configured URL, or the embedded server's database named after the service."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    socket_dir = start_embedded_server(settings.platform.embedded_pg_dir)
    url = embedded_url(socket_dir, settings.service_name)
    await ensure_database(url)
    return url


# Seconds a caller is told to wait when the database is away (Retry-After).
DATABASE_RETRY_AFTER = 5

# What a database that is down, restarting or out of connections raises, as opposed to a
# query that is wrong: the first is a 503 to retry, the second a bug.
_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.TimeoutError,  # no pooled connection became free in time
    sa_exc.DisconnectionError,
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.OperatorInterventionError,  # class 57: shutdown, cannot connect now
    asyncpg.TooManyConnectionsError,
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_by_driver(error: BaseException) -> bool:
    """Whether ``error`` came up through the database driver (connecting, reading), not
    from a file or socket of the service's own."""
    frame = error.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(("asyncpg", "sqlalchemy")):
            return True
        frame = frame.tb_next
    return False


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached now."""
    for cause in _causes(error):
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _OUTAGE_ERRORS):
            return True
        # Refused, reset, socket file gone, connect timed out: raised bare by the driver.
        if isinstance(cause, OSError | TimeoutError) and _raised_by_driver(cause):
            return True
        if isinstance(cause, asyncpg.InterfaceError) and "connection is closed" in str(cause):
            return True
    return False


# Set while a read checks out a connection it will try once and replace if the server had
# dropped it (``unpinged_checkout``): no ping for it.
_UNPINGED: ContextVar[bool] = ContextVar("score_unpinged_checkout", default=False)


@contextmanager
def unpinged_checkout() -> Iterator[None]:
    """Connections checked out inside are not pinged: for a read that runs again on a fresh
    connection when its first one turns out dropped (``shared.sql.CompiledQueries``), the
    ping's round trip is pure cost."""
    token = _UNPINGED.set(True)
    try:
        yield
    finally:
        _UNPINGED.reset(token)


def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection is tried before a request gets it, so one the server dropped (a
    restart) is replaced instead of failing the request; a dead one also drops every
    connection pooled before it, as ``pool_pre_ping`` does. Its asyncpg ping wraps the
    statement in BEGIN and ROLLBACK (for PgBouncer's transaction mode, which asyncpg's
    prepared statements do not support anyway): three round trips per checkout, a tenth of
    the enrolment process's time on a list request (benchmarks.profile_layers). Databases
    are reached through asyncpg only (``postgresql+asyncpg://``)."""
    if _UNPINGED.get():
        return
    driver: asyncpg.Connection = dbapi_connection.driver_connection
    try:
        await_(driver.fetchrow(";"))
    except Exception as error:
        if driver.is_closed() or database_unavailable(error):
            raise sa_exc.InvalidatePoolError() from error
        raise


class Database:
    """An engine and its session factory; one per service process."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        # Pinged on checkout by ``_ping`` (pool_pre_ping's job, in one round trip).
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size
        )
        event.listen(self.engine.sync_engine.pool, "checkout", _ping)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # For routes that only read (``reads_only``): each statement is its own transaction,
        # so no BEGIN and COMMIT round trips; on the same pool.
        self.reads = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"),
            class_=AsyncSession,
            expire_on_commit=False,
        )

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A ``reads`` session, closed only if it was used: a request served by compiled
        reads alone (``shared.sql.CompiledQueries``) takes its connection from the pool
        itself, and closing the untouched session would cost a greenlet for nothing."""
        session = self.reads()
        try:
            yield session
        finally:
            if session.in_transaction() or session.identity_map or session.new:
                await session.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block ends cleanly and rolls back otherwise."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


# Request state key of a keyed write whose transaction is finished by the idempotency
# middleware (shared.idempotency), once the answer to record with it is known.
DEFERRED_COMMIT = "score.deferred_commit"


class DeferredCommit(Protocol):
    session: AsyncSession | None
    owned: bool

    async def abandon(self) -> None: ...


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_READS_ONLY = "_score_reads_only"


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Marks a route whose request only reads (no write, no lock): its session runs each
    statement on its own, without a transaction around them. At READ COMMITTED a statement
    sees the same rows either way, each taking its own snapshot; what is saved is the
    BEGIN and COMMIT round trips of a small read."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


ReadsOnly = Callable[[Request], Awaitable[bool]]
"""Whether a request only reads, judged from the request itself (``reads_only_when``)."""


def reads_only_when(judge: ReadsOnly) -> Callable[[Endpoint], Endpoint]:
    """Marks a route as ``reads_only`` for the requests ``judge`` finds only read (a GraphQL
    document holding queries only); the others keep the request's transaction."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _READS_ONLY, judge)
        return endpoint

    return mark


async def _reads_only(request: Request) -> bool:
    route = request.scope.get("route")
    marked: bool | ReadsOnly = getattr(getattr(route, "endpoint", None), _READS_ONLY, False)
    return marked if isinstance(marked, bool) else await marked(request)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the endpoint returns, rolled back on error.

    Declared with ``scope="function"`` below so the commit happens before the response
    is sent: a client never sees success for a write that then failed to commit. A keyed
    write (Idempotency-Key) is committed by the idempotency middleware instead, together
    with the record of its answer, and before that answer is sent.
    """
    database: Database = request.app.state.database
    deferred: DeferredCommit | None = request.scope.get("state", {}).get(DEFERRED_COMMIT)
    if deferred is None and await _reads_only(request):
        async with database.read_session() as session:
            yield session
        return
    if deferred is None:
        async with database.transaction() as session:
            yield session
        return
    session = database.sessions()
    deferred.session, deferred.owned = session, True
    try:
        yield session
    except BaseException:
        await deferred.abandon()
        raise


SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
