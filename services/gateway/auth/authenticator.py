"""Who is calling: an API key (``X-API-Key`` or ``Authorization: Bearer score_...``) or a
bearer JWT from the OpenID Connect issuer. Anything else is a 401."""

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.auth.oidc import OidcVerifier
from services.gateway.keys.service import (
    VerifiedKey,
    api_key_service,
    looks_like_api_key,
)
from services.gateway.settings import GatewaySettings
from shared.columns import utcnow
from shared.identity import Principal
from shared.problems import Unauthenticated

# The headers ``authenticate`` reads (lowercase).
CREDENTIAL_HEADERS = ("x-api-key", "authorization")


class SessionSource(Protocol):
    def sessions(self) -> AbstractAsyncContextManager[AsyncSession]: ...


@dataclass(frozen=True)
class Caller:
    principal: Principal
    # What the rate limit counts against: one bucket per key, one per person.
    rate_key: str


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        database: Callable[[], SessionSource],
        oidc: OidcVerifier | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_cached_keys: int = 10_000,
    ) -> None:
        self.pepper = settings.api_key_pepper
        # Keys the cache's hashes (BLAKE2b's key holds at most 64 bytes; the pepper may not).
        self._cache_key = hashlib.blake2b(
            settings.api_key_pepper.get_secret_value().encode()
        ).digest()
        self.cache_ttl = settings.api_key_cache_ttl
        # Resolved per call: the app's database exists only once its lifespan has started.
        self.database = database
        self.oidc = oidc
        self.clock = clock
        self.max_cached_keys = max_cached_keys
        # keyed hash of a presented key -> (what it verified as, its caller, when); only
        # successes are kept, and never a key itself.
        self._keys: OrderedDict[bytes, tuple[VerifiedKey, Caller, float]] = OrderedDict()

    async def authenticate(self, headers: Mapping[str, str]) -> Caller:
        """The caller ``headers`` prove (their names in lowercase, each name's first value,
        as ``Headers.get`` reads them), or ``Unauthenticated``."""
        api_key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if api_key is not None:
            # An explicit API key wins; whatever Authorization says is dropped with the
            # other client identity headers, so it can neither add nor change anything.
            return await self._api_key(api_key.strip())
        if authorization is None:
            raise Unauthenticated(
                "Authentication required: send an API key (X-API-Key or "
                "Authorization: Bearer score_...) or a bearer token from the identity provider"
            )
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("The Authorization header must be 'Bearer <credential>'")
        if looks_like_api_key(credential):
            return await self._api_key(credential)
        if self.oidc is None:
            raise Unauthenticated(
                "Bearer tokens are not accepted here (no identity provider is configured); "
                "use an API key"
            )
        principal = await self.oidc.verify(credential)
        return Caller(principal=principal, rate_key=principal.subject)

    async def _api_key(self, presented: str) -> Caller:
        # A keyed hash, as the stored ones are, but the cheapest one hashlib has: it is
        # taken on every request (HMAC-SHA256 cost about 4 µs, this about 1.5).
        digest = hashlib.blake2b(presented.encode(), key=self._cache_key, digest_size=32).digest()
        now = self.clock()
        cached = self._keys.get(digest)
        if cached is not None and now - cached[2] < self.cache_ttl:
            verified = cached[0]
            # Expiry is exact even for a remembered key; only revocation waits for the TTL.
            if verified.expires_at is not None and verified.expires_at <= utcnow():
                self._keys.pop(digest, None)
                raise Unauthenticated("The API key has expired")
            # The caller too is remembered with the key, not made again for every request.
            return cached[1]
        async with self.database().sessions() as session:
            verified = await api_key_service.verify(session, presented, pepper=self.pepper)
        caller = Caller(principal=verified.principal, rate_key=f"key:{verified.key_id}")
        if self.cache_ttl > 0:
            self._keys[digest] = (verified, caller, now)
            self._keys.move_to_end(digest)
            while len(self._keys) > self.max_cached_keys:
                self._keys.popitem(last=False)
        return caller
