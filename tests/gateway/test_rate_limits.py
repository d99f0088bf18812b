"""Rate limits that hold across gateway replicas: the buckets live in the gateway's database,
each replica reserving a few tokens at a time; the in-process limiter stays for development
and stands in while the database cannot be reached."""

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from uuid import uuid4

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.app import caller_limiter
from services.gateway.auth.ratelimit import (
    SharedRateLimiter,
    TokenBucketLimiter,
    TransactionSource,
    lease_size,
)
from shared.db import Database
from shared.settings import Environment
from tests.enrolment.support import platform_settings
from tests.gateway.conftest import running_gateway
from tests.gateway.support import gateway_settings, key_headers, make_key

# Slow enough that no token comes back while a test runs: counts are exact.
TRICKLE = 0.0001


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def replicas_database(committed_gateway_db_url: str) -> AsyncIterator[list[Database]]:
    """Two gateway replicas' own connection pools to one gateway database."""
    databases = [Database(committed_gateway_db_url, pool_size=2) for _ in range(2)]
    yield databases
    for database in databases:
        await database.dispose()


def replica(database: Database, *, burst: int, lease: int, clock: Clock) -> SharedRateLimiter:
    return SharedRateLimiter(
        rate=TRICKLE, burst=burst, database=lambda: database, lease=lease, clock=clock
    )


async def admitted(limiter: SharedRateLimiter | TokenBucketLimiter, caller: str) -> bool:
    return await limiter.admit(caller) == 0.0


async def test_two_replicas_together_admit_one_burst_not_one_each(
    replicas_database: list[Database],
) -> None:
    clock = Clock()
    first, second = (replica(db, burst=10, lease=3, clock=clock) for db in replicas_database)
    caller = f"key:{uuid4()}"

    # The load balancer alternates between the replicas.
    outcomes = [await admitted((first, second)[i % 2], caller) for i in range(30)]

    assert outcomes.count(True) == 10
    assert outcomes[-4:] == [False] * 4
    # In-process buckets would have let each replica admit the whole burst.
    local = [TokenBucketLimiter(rate=TRICKLE, burst=10, clock=clock) for _ in range(2)]
    assert sum([await admitted(local[i % 2], caller) for i in range(30)]) == 20


async def test_a_refused_caller_is_told_when_a_token_comes_back(
    replicas_database: list[Database],
) -> None:
    limiter = SharedRateLimiter(
        rate=0.5, burst=1, database=lambda: replicas_database[0], lease=1, clock=Clock()
    )
    caller = f"key:{uuid4()}"

    assert await limiter.admit(caller) == 0.0
    wait = await limiter.admit(caller)

    # One token every 2 s: the wait is what is left of it.
    assert 0 < wait <= 2


async def test_a_replicas_unspent_lease_goes_back_to_the_shared_bucket(
    replicas_database: list[Database],
) -> None:
    clock = Clock()
    first, second = (replica(db, burst=10, lease=5, clock=clock) for db in replicas_database)
    caller = f"key:{uuid4()}"

    assert await admitted(first, caller)  # first reserves 5 and spends 1
    clock.now += 5  # its lease lapses with 4 unspent
    assert [await admitted(second, caller) for _ in range(5)] == [True] * 5
    # first hands its 4 back before reserving: 10 in all, and no more.
    assert [await admitted(first, caller) for _ in range(5)] == [True] * 4 + [False]
    assert not await admitted(second, caller)


async def test_one_reservation_serves_many_requests_of_a_replica(
    replicas_database: list[Database],
) -> None:
    calls = 0
    database = replicas_database[0]

    class Counting:
        def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
            nonlocal calls
            calls += 1
            return database.transaction()

    counting: TransactionSource = Counting()
    limiter = SharedRateLimiter(
        rate=TRICKLE, burst=100, database=lambda: counting, lease=10, clock=Clock()
    )
    caller = f"key:{uuid4()}"

    assert all([await admitted(limiter, caller) for _ in range(30)])

    assert calls == 3


async def test_limits_are_kept_per_replica_while_the_database_is_unreachable() -> None:
    unreachable = Database("postgresql+asyncpg://nobody@127.0.0.1:1/gateway", pool_size=1)
    limiter = SharedRateLimiter(
        rate=TRICKLE, burst=3, database=lambda: unreachable, lease=1, clock=Clock()
    )
    try:
        outcomes = [await admitted(limiter, "key:offline") for _ in range(4)]
    finally:
        await unreachable.dispose()

    assert outcomes == [True, True, True, False]


def test_development_keeps_buckets_in_process_and_other_environments_share_them() -> None:
    development = platform_settings().model_copy(update={"environment": Environment.development})

    local = caller_limiter(gateway_settings(platform=development), lambda: None)
    shared = caller_limiter(gateway_settings(), lambda: None)
    forced = caller_limiter(
        gateway_settings(platform=development, rate_limit_store="database"), lambda: None
    )

    assert isinstance(local, TokenBucketLimiter)
    assert isinstance(shared, SharedRateLimiter)
    assert isinstance(forced, SharedRateLimiter)
    assert shared.lease == lease_size(1000, 1000) == 50


async def test_two_gateways_answer_429_once_their_shared_burst_is_spent(
    gateway_session: AsyncSession, upstream_clients: dict[str, httpx.AsyncClient]
) -> None:
    settings = gateway_settings(rate_limit_per_second=TRICKLE, rate_limit_burst=4)
    async with (
        running_gateway(settings, gateway_session, upstream_clients) as one,
        running_gateway(settings, gateway_session, upstream_clients) as two,
    ):
        key = key_headers(await make_key(one.session))
        statuses = [
            (await (one, two)[i % 2].client.get("/enrolment/organisations", headers=key))
            for i in range(6)
        ]

    assert [r.status_code for r in statuses] == [200, 200, 200, 200, 429, 429]
    assert int(statuses[-1].headers["retry-after"]) >= 1
