"""Token buckets per caller: a sustained rate with a burst above it.

``TokenBucketLimiter`` keeps them in the gateway process (development, and the buckets of
failed attempts); with several gateway processes each would enforce the limit on its own
share of the traffic. ``SharedRateLimiter`` keeps them in the gateway's database, so the
limit holds across replicas.
"""

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.auth.repository import rate_limit_bucket_repository

log = logging.getLogger("score.gateway")


class CallerLimiter(Protocol):
    async def admit(self, caller: str) -> float:
        """Spend one of ``caller``'s tokens: 0 when the request may go ahead, else the
        seconds until it may."""
        ...


class TransactionSource(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]: ...


class TokenBucketLimiter:
    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.max_callers = max_callers
        # caller -> (tokens left, when they were counted); least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, caller: str, now: float) -> float:
        tokens, counted_at = self._buckets.get(caller, (self.burst, now))
        return min(self.burst, tokens + (now - counted_at) * self.rate)

    def take(self, caller: str) -> float:
        """Spend one token: 0 when the request may go ahead, else seconds until it may."""
        now = self.clock()
        tokens = self._tokens(caller, now)
        if tokens >= 1:
            self._store(caller, tokens - 1, now)
            return 0.0
        self._store(caller, tokens, now)
        return (1 - tokens) / self.rate

    async def admit(self, caller: str) -> float:
        return self.take(caller)

    def wait_needed(self, caller: str) -> float:
        """Seconds until ``caller`` has a token, without spending one."""
        tokens = self._tokens(caller, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _store(self, caller: str, tokens: float, now: float) -> None:
        self._buckets[caller] = (tokens, now)
        self._buckets.move_to_end(caller)
        while len(self._buckets) > self.max_callers:
            # The least recently seen caller's bucket has refilled the longest.
            self._buckets.popitem(last=False)


@dataclass
class _Lease:
    tokens: int
    until: float


def lease_size(rate: float, burst: int) -> int:
    """Tokens a replica reserves at once by default: a tenth of a second's worth, at most a
    twentieth of the burst (what another replica may find missing for a moment)."""
    return max(1, min(burst // 20, math.ceil(rate / 10)))


class SharedRateLimiter:
    """Token buckets in the gateway's database, shared by every replica.

    A replica reserves a caller's tokens a few at a time (a lease) in one atomic statement
    and spends them in process: one database round trip per lease, not per request. A
    lease lapses after ``lease_seconds``; its unspent tokens go back with the replica's
    next reservation for that caller. While the database cannot be reached the replica
    limits on its own, as a single replica would.
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        database: Callable[[], TransactionSource],
        lease: int,
        lease_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.database = database
        self.lease = max(1, min(lease, burst))
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.max_callers = max_callers
        self.local = TokenBucketLimiter(rate=rate, burst=burst, clock=clock)
        # caller -> its lease, least recently seen first; and the lock its refills take.
        self._leases: OrderedDict[str, _Lease] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._database_down = False

    def _spend(self, caller: str) -> bool:
        lease = self._leases.get(caller)
        if lease is None or lease.tokens < 1 or lease.until <= self.clock():
            return False
        lease.tokens -= 1
        self._leases.move_to_end(caller)
        return True

    async def admit(self, caller: str) -> float:
        if self._spend(caller):
            return 0.0
        lock = self._locks.setdefault(caller, asyncio.Lock())
        async with lock:
            if self._spend(caller):  # another request of this caller refilled it
                return 0.0
            lapsed = self._leases.pop(caller, None)
            try:
                async with self.database().transaction() as session:
                    reservation = await rate_limit_bucket_repository.reserve(
                        session,
                        caller,
                        want=self.lease,
                        returned=lapsed.tokens if lapsed is not None else 0,
                        rate=self.rate,
                        burst=float(self.burst),
                    )
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                if not self._database_down:
                    log.warning("rate limits are per replica until the database answers: %s", exc)
                self._database_down = True
                return self.local.take(caller)
            self._database_down = False
            if reservation.granted >= 1:
                self._leases[caller] = _Lease(
                    reservation.granted - 1, self.clock() + self.lease_seconds
                )
                while len(self._leases) > self.max_callers:
                    evicted, _ = self._leases.popitem(last=False)
                    self._locks.pop(evicted, None)
                return 0.0
            self._locks.pop(caller, None)  # no lease to guard: keep the map small
            return (1 - reservation.left) / self.rate


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds; round up so a client that obeys it is let through."""
    return max(1, math.ceil(wait))
