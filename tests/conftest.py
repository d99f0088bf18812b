"""Test fixtures: a real embedded Postgres, schemas built by the Alembic migrations,
one rolled-back transaction per test, and real signed identity tokens."""

import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.graph import runtime as graph_runtime
from shared.consumer import FeedConsumer, Handler
from shared.db import Database
from shared.embedded_pg import (
    embedded_url,
    ensure_database,
    start_embedded_server,
    stop_embedded_server,
)
from shared.idempotency import IdempotentReplay
from shared.migrate import upgrade_async
from shared.plumbing import Plumbing
from tests import composed_once, tuned_gc
from tests.enrolment.support import Api, feed_token_for
from tests.savepoints import depth_savepoint_engine

# What development makes on first use (keys, the file store) lands in a folder of the run's,
# never in the checkout's .score, which a developer's `score up` uses. One per pytest-xdist
# worker: the workers inherit the controller's environment, and in a folder they shared one
# worker's stored files showed up in another's assertions (test_trainer_evidence's "nothing
# was stored" failed while the tenancy matrix uploaded assignments).
_run_data = os.environ.setdefault("SCORE_DATA_DIR", tempfile.mkdtemp(prefix="score-test-data-"))
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["SCORE_DATA_DIR"] = str(Path(_run_data) / _worker)
    Path(os.environ["SCORE_DATA_DIR"]).mkdir(parents=True, exist_ok=True)

# Fixtures of each service, usable from every test folder (indicators tests need enrolment's).
pytest_plugins = [
    "tests.enrolment.fixtures",
    "tests.indicators.fixtures",
    "tests.reporting.fixtures",
]


def pytest_configure(config: pytest.Config) -> None:
    tuned_gc.set_threshold()


def pytest_collection_finish(session: pytest.Session) -> None:
    # Every test module is imported by now, and with them the services' code: alive for the
    # whole run, so left out of every later collection (tests/tuned_gc.py).
    tuned_gc.freeze_what_lives()


# First: pytest-xdist's worker turns the marks into the group it schedules by in its own
# pytest_collection_modifyitems, which must see them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep together, on one pytest-xdist worker, the tests that share an expensive fixture
    of wider scope than a test: a platform of real processes (tests/e2e), or what a test
    module builds once for its tests. Split across workers, each would build its own."""
    for item in items:
        # A test given a group of its own (a part of a module that builds its fixture once
        # per part, so the parts can run on both workers) keeps it.
        if not isinstance(item, pytest.Function) or item.get_closest_marker("xdist_group"):
            continue
        shared = sorted(
            definition.baseid
            for definitions in item._fixtureinfo.name2fixturedefs.values()
            for definition in definitions
            if definition.scope in ("session", "module")
            and (definition.baseid.endswith(".py") or definition.baseid == "tests/e2e")
        )
        if shared:
            group = "tests/e2e" if "tests/e2e" in shared else shared[0]
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def graphs_composed_once() -> Iterator[None]:
    """Every gateway app the tests build shares the graph composed from the same SDLs
    (tests/composed_once.py): without it the suite composed the graph 138 times, ~10 s of
    its CPU."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_runtime, "compose", composed_once.composed_once)
        yield


@pytest.fixture(scope="session")
def pg_socket_dir() -> Iterator[str]:
    """One Postgres server for the whole run, from the pgserver wheel (or SCORE_TEST_PG_DIR).

    Under pytest-xdist each worker has a server of its own (its own data folder), so the
    workers' per-test transactions, committed fixtures and database names never meet.
    """
    configured = os.environ.get("SCORE_TEST_PG_DIR")
    root = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="score-pg-"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    pgdata = root / (f"pgdata-{worker}" if worker else "pgdata")
    socket_dir = start_embedded_server(pgdata)
    without_durability(socket_dir)
    yield socket_dir
    if not configured:
        # Stopped first: pgserver's own stop at exit reads its list of holders from the data
        # folder, and with the folder gone it left the server running after every run.
        stop_embedded_server(pgdata)
        shutil.rmtree(root, ignore_errors=True)


def without_durability(socket_dir: str) -> None:
    """A test server keeps nothing that must outlive a crash of its machine: its commits and
    the checkpoints of CREATE DATABASE do not wait for the disk (the migrations, the
    committed fixtures, the consumers). Kept across restarts (postgresql.auto.conf)."""
    # Imported by shared.embedded_pg already, under its filter of pgserver's import warning.
    from pgserver._commands import POSTGRES_BIN_PATH

    settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    commands = [f"ALTER SYSTEM SET {name} = {value}" for name, value in settings.items()]
    psql = [str(Path(POSTGRES_BIN_PATH) / "psql"), "-h", socket_dir, "-U", "postgres", "-qX"]
    for command in [*commands, "SELECT pg_reload_conf()"]:
        subprocess.run([*psql, "-c", command], check=True, capture_output=True)


async def migrated_database_url(socket_dir: str, service: str, name: str) -> str:
    url = embedded_url(socket_dir, name)
    await ensure_database(url)
    await upgrade_async(service, url)
    return url


@pytest.fixture(scope="session")
async def enrolment_url(pg_socket_dir: str) -> str:
    return await migrated_database_url(pg_socket_dir, "enrolment", "test_enrolment")


@asynccontextmanager
async def disposed_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``url`` for the whole run, disposed of at its end: with depth-named
    savepoints and a big statement cache (tests.savepoints), since every request of an
    in-process test is a savepoint in the test's transaction."""
    engine = depth_savepoint_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def enrolment_engine(enrolment_url: str) -> AsyncIterator[AsyncEngine]:
    async with disposed_engine(enrolment_url) as engine:
        yield engine


@asynccontextmanager
async def rolled_back_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back when it ends.

    Commits made by the code under test become savepoint releases, so the holder sees its
    own writes and leaves nothing behind.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = savepoint_session(connection)
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()


@dataclass
class OpenTransactions:
    """One connection per service database, each in a transaction that a module's tests
    share: a baseline built once in them is there for every test, and each test writes in
    a savepoint rolled back after it (``session_for_test``)."""

    enrolment: AsyncConnection
    indicators: AsyncConnection
    reporting: AsyncConnection

    def connections(self) -> tuple[AsyncConnection, AsyncConnection, AsyncConnection]:
        return (self.enrolment, self.indicators, self.reporting)


@asynccontextmanager
async def open_transactions(
    enrolment: AsyncEngine, indicators: AsyncEngine, reporting: AsyncEngine
) -> AsyncIterator[OpenTransactions]:
    """Transactions on the three databases, rolled back when the block ends."""
    async with (
        enrolment.connect() as on_enrolment,
        indicators.connect() as on_indicators,
        reporting.connect() as on_reporting,
    ):
        connections = (on_enrolment, on_indicators, on_reporting)
        transactions = [await connection.begin() for connection in connections]
        try:
            yield OpenTransactions(*connections)
        finally:
            for transaction in transactions:
                await transaction.rollback()


T = TypeVar("T")


@dataclass
class Baseline(Generic[T]):
    """What a module-scoped ``*_baseline`` fixture built, and the transactions it is in.

    A test module imports its ``*_baseline`` fixture (and the fixture serving its data),
    so the suite's grouping keeps the module's tests on one worker, which builds it once.
    Postgres's ``now()`` is the transaction's start: the baseline's moment for every test
    standing on it, as the per-test world's was for its test.

    The baseline's open transaction holds the outbox's advisory lock (shared/outbox.py)
    until the module ends: a test of the module on a transaction of its own that emits an
    event waits for it forever. Such a module puts every test on the baseline
    (``pytestmark = pytest.mark.usefixtures("..._baseline")``); what each writes is still
    rolled back after it (tests/test_baseline_isolation.py).
    """

    transactions: OpenTransactions
    data: T


@dataclass(frozen=True)
class BaselineGround:
    """What every module baseline is built on (tests/indicators/baseline.py
    ``module_baseline``): the three databases' engines (enrolment, indicators, reporting),
    the services' database handles and a folder for stored files."""

    engines: tuple[AsyncEngine, AsyncEngine, AsyncEngine]
    enrolment_database: Database
    indicators_database: Database
    files: Path


@pytest.fixture(scope="module")
def baseline_ground(
    enrolment_engine: AsyncEngine,
    indicators_engine: AsyncEngine,
    reporting_engine: AsyncEngine,
    enrolment_database: Database,
    indicators_database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> BaselineGround:
    return BaselineGround(
        (enrolment_engine, indicators_engine, reporting_engine),
        enrolment_database,
        indicators_database,
        tmp_path_factory.mktemp("files"),
    )


@pytest.fixture
def shared_transactions(request: pytest.FixtureRequest) -> OpenTransactions | None:
    """The transactions of the module-wide baseline the test stands on, if it stands on one
    (a fixture named ``*_baseline`` returning a ``Baseline``); otherwise None, and the test
    has transactions of its own."""
    names = [name for name in request.fixturenames if name.endswith("_baseline")]
    if not names:
        return None
    [name] = names
    baseline: Baseline[Any] = request.getfixturevalue(name)
    return baseline.transactions


@asynccontextmanager
async def session_for_test(
    engine: AsyncEngine, shared: AsyncConnection | None
) -> AsyncIterator[AsyncSession]:
    """A test's session: in a transaction of its own (``rolled_back_session``) or, on a
    shared baseline's connection, in a savepoint rolled back when the test ends, so the next
    test finds the baseline as it was built."""
    if shared is None:
        async with rolled_back_session(engine) as session:
            yield session
        return
    savepoint = await shared.begin_nested()
    session = savepoint_session(shared)
    try:
        yield session
    finally:
        await session.close()
        await savepoint.rollback()


@pytest.fixture
async def enrolment_session(
    enrolment_engine: AsyncEngine, shared_transactions: OpenTransactions | None
) -> AsyncIterator[AsyncSession]:
    """One rolled-back transaction (or savepoint) per test (see ``session_for_test``)."""
    shared = shared_transactions.enrolment if shared_transactions else None
    async with session_for_test(enrolment_engine, shared) as session:
        yield session


class SessionSource:
    """A consumer's ``Database`` stand-in over a test's rolled-back session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        try:
            yield self.session
            await self.session.commit()
        except BaseException:
            await self.session.rollback()
            raise

    @asynccontextmanager
    async def sessions(self) -> AsyncIterator[AsyncSession]:
        yield self.session


class SessionDatabase:
    """A service app's ``Database`` (``app.state.database``) whose every session lives in
    a test's rolled-back transaction, so requests are served without a FastAPI dependency
    override: an app with any override analyses every dependency of every request again
    (``get_dependant`` per sub-dependency), a twentieth of the in-process suites' CPU.

    Each way the app takes a session gets one with savepoint semantics (a commit releases a
    savepoint, a rollback goes back to it, a close leaves the transaction open):

    * ``transaction`` and ``read_session`` (``shared.db.request_session``) hand out the
      test's own ``session``, committed when the endpoint returns and rolled back on an
      error; a replayed retry wrote nothing and is left alone, so the test's objects stay
      loaded;
    * ``sessions()``, what a keyed write (Idempotency-Key) and the readiness probe take,
      is a session of its own on the test's connection, as a service's is on its pool: the
      idempotency middleware commits the write with the record of its answer, or rolls it
      back, and closes it, all inside the test's transaction. From the real ``sessions``
      it would commit for real (tests/test_in_process.py).

    The rest (``engine``, ``url``) is the real database's.
    """

    def __init__(self, database: Database, session: AsyncSession) -> None:
        self.database = database
        self.session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        try:
            yield self.session
            await self.session.commit()
        except IdempotentReplay:
            raise
        except BaseException:
            await self.session.rollback()
            raise

    def read_session(self) -> AbstractAsyncContextManager[AsyncSession]:
        # Reads in the test's transaction too: they must see what the test wrote.
        return self.transaction()

    def sessions(self) -> AsyncSession:
        connection = self.session.bind
        assert isinstance(connection, AsyncConnection), "a test session is bound to its connection"
        return savepoint_session(connection)


@contextmanager
def serving_over(app: FastAPI, session: AsyncSession) -> Iterator[None]:
    """``app`` takes its sessions from the test's ``session`` (``SessionDatabase``) until
    the block ends, when its database is put back."""
    before = app.state.database
    real = before.database if isinstance(before, SessionDatabase) else before
    app.state.database = SessionDatabase(real, session)
    try:
        yield
    finally:
        app.state.database = before


class AppShelf:
    """Service apps built once per worker and lent to one test (or baseline) at a time.

    FastAPI builds an included router's routes (each one's dependencies, parameter models
    and validators) on an app's first request for that router, a few milliseconds a route:
    a new app per test paid for it again in every test, a third of tests/enrolment's
    CPU. A lent app is the same app a test would have built (same factory, same settings,
    same database handle); nothing a test does to it outlives the loan: its dependency
    overrides and ``app.state`` are put back as they were when it is returned, and an app is
    never lent twice at once (a second borrower gets an app of its own).
    """

    def __init__(self) -> None:
        self._free: defaultdict[Hashable, list[FastAPI]] = defaultdict(list)

    @contextmanager
    def lend(self, key: Hashable, build: Callable[[], FastAPI]) -> Iterator[FastAPI]:
        """An app built by ``build`` (only if none of ``key`` is free), returned at exit."""
        free = self._free[key]
        app = free.pop() if free else build()
        overrides, state = dict(app.dependency_overrides), dict(app.state._state)
        try:
            yield app
        finally:
            app.dependency_overrides.clear()
            app.dependency_overrides.update(overrides)
            app.state._state.clear()
            app.state._state.update(state)
            free.append(app)


APPS = AppShelf()


@asynccontextmanager
async def asgi_api(
    app: FastAPI, session: AsyncSession, base_url: str = "http://reporting.test"
) -> AsyncIterator[Api]:
    """An Api client over ``app`` (real authentication, no network) whose requests use the
    test's rolled-back ``session`` (``SessionDatabase``: no dependency override)."""
    with serving_over(app, session):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield Api(client)


def asgi_feed_consumer(
    name: str,
    producer: Api,
    session: AsyncSession,
    *,
    plumbing: Plumbing,
    handler: Handler,
    reader: str,
    producer_name: str,
) -> FeedConsumer:
    """A service's consumer reading ``producer``'s event feed over ASGI into ``session``."""
    return FeedConsumer(
        name=name,
        feed_url="/events",
        database=SessionSource(session),
        plumbing=plumbing,
        handler=handler,
        token=lambda: feed_token_for(reader, producer_name),
        http=producer.client,
        wait=0,
    )


def savepoint_session(connection: AsyncConnection) -> AsyncSession:
    return AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture(scope="session")
def enrolment_database(enrolment_url: str) -> Database:
    return Database(enrolment_url, pool_size=2)
