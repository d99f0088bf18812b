"""Token buckets per caller: a sustained rate with a burst above it.

Buckets live in the gateway process; with several gateway processes each enforces the
limit on its own share of the traffic.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable


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


def retry_after_seconds(wait: float) -> int:
    """Retry-After is whole seconds; round up so a client that obeys it is let through."""
    return max(1, math.ceil(wait))
