"""Who may read a service's event feed (``/events``), and the tokens that prove it.

A feed carries every tenant's events, so it is for the platform's own consumers and the
ILO only. A consumer (indicators, reporting) signs a short-lived feed token with its own
key for the one producer it calls: the token reads that producer's feed and nothing else
(no route but ``/events`` accepts it, and another producer refuses its audience). The ILO
reaches a feed through the gateway with an ordinary identity token.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.enums import Role
from shared.identity import signing_key_id, verify_signed, verify_token
from shared.keys import SigningKey
from shared.problems import NotFound, Unauthenticated
from shared.settings import FeedReaderSettings, PlatformSettings

FEED_ISSUER = "score-feed-reader"

# Whether a long poll should answer now rather than wait on (``stop_waiting``).
StopWaiting = Callable[[], Awaitable[bool]]


def stop_waiting(request: Request) -> StopWaiting:
    """A long poll stops waiting when its caller has hung up (nobody would read the answer)
    or its server has begun to stop (the answer, sent now, lets the stop go on; the caller
    asks again). Before, either case held the service's stop for the graceful period and
    was then cut off as a 500 with a traceback."""
    stopping: asyncio.Event | None = getattr(request.app.state, "stopping", None)

    async def now() -> bool:
        return (stopping is not None and stopping.is_set()) or await request.is_disconnected()

    return now


# Long enough for one long-polling request; a fresh token is signed for every fetch.
FEED_TOKEN_TTL = 120


def feed_audience(producer: str) -> str:
    return f"score-feed:{producer}"


def sign_feed_token(key: SigningKey, *, reader: str, producer: str) -> str:
    """A token with which ``reader`` (signing with its own ``key``) reads ``producer``'s feed."""
    now = int(time.time())
    return key.sign(
        {
            "iss": FEED_ISSUER,
            "aud": feed_audience(producer),
            "sub": reader,
            "iat": now,
            "exp": now + FEED_TOKEN_TTL,
        }
    )


def feed_token(settings: FeedReaderSettings, *, producer: str) -> str:
    """The consuming service's token for ``producer``'s feed."""
    return sign_feed_token(
        settings.feed_signing_key, reader=settings.service_name, producer=producer
    )


_bearer = HTTPBearer(auto_error=False, description="A feed token, or the ILO's identity token")


def feed_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """FastAPI dependency: the name of the verified feed reader (a consuming service, or the
    ILO caller's subject). Anyone else authenticated gets 404: the feed does not exist for
    them, the same answer the gateway gives."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("A feed or identity token is required (Authorization: Bearer ...)")
    settings = request.app.state.settings
    platform: PlatformSettings = settings.platform
    token = credentials.credentials
    if signing_key_id(token) in platform.feed_reader_public_keys:
        claims = verify_signed(
            token,
            platform.feed_reader_public_keys,
            audience=feed_audience(settings.service_name),
            issuer=FEED_ISSUER,
            what="feed token",
        )
        return str(claims["sub"])
    principal = verify_token(token, platform)
    if principal.role is not Role.ilo_global:
        raise NotFound("No such resource")
    return principal.subject


FeedReader = Annotated[str, Depends(feed_reader)]
