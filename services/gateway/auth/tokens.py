"""The identity tokens the gateway forwards, signed once per caller and audience and reused
while they have most of their life ahead: signing (Ed25519, JWT encoding) on every request
was a measurable part of the gateway's cost per request (benchmarks.profile_layers)."""

import time
from collections import OrderedDict
from collections.abc import Callable

from shared.identity import Principal, issue_token
from shared.keys import SigningKey
from shared.settings import PlatformSettings


class IdentityTokens:
    """``token(principal, audience)``: a token signed for that pair, the same one for up to
    half its lifetime, so a service always receives one with at least half of
    ``ttl_seconds`` left (never one about to expire in flight)."""

    def __init__(
        self,
        key: Callable[[], SigningKey],
        platform: PlatformSettings,
        *,
        ttl_seconds: int,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        # Resolved at the first signing: a development key is read (or made) only then.
        self.key = key
        self.platform = platform
        self.ttl_seconds = ttl_seconds
        self.reuse_seconds = ttl_seconds / 2
        self.clock = clock
        self.max_entries = max_entries
        # (principal, audience) -> (token, when it was signed); least recently used first.
        self._tokens: OrderedDict[tuple[Principal, str], tuple[str, float]] = OrderedDict()
        # The last answer, by the Principal object itself: (principal, audience, entry).
        self._last: tuple[Principal, str, tuple[str, float]] | None = None

    def token(self, principal: Principal, audience: str) -> str:
        now = self.clock()
        last = self._last
        # The same caller again (the authenticator hands out one Principal per cached key):
        # its entry is the most recent already, and hashing the Principal (its fields, in
        # Python) is skipped.
        if (
            last is not None
            and last[0] is principal
            and last[1] == audience
            and now - last[2][1] < self.reuse_seconds
        ):
            return last[2][0]
        cache_key = (principal, audience)
        found = self._tokens.get(cache_key)
        if found is not None and now - found[1] < self.reuse_seconds:
            self._tokens.move_to_end(cache_key)
            self._last = (principal, audience, found)
            return found[0]
        signed = issue_token(
            principal, self.key(), self.platform, audience=audience, ttl_seconds=self.ttl_seconds
        )
        entry = (signed, now)
        self._tokens[cache_key] = entry
        self._tokens.move_to_end(cache_key)
        while len(self._tokens) > self.max_entries:
            self._tokens.popitem(last=False)
        self._last = (principal, audience, entry)
        return signed
