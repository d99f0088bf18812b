"""The identity tokens the gateway forwards are signed once per caller and audience and
reused for at most half their lifetime: a service never receives one near its expiry."""

import jwt

from services.gateway.auth.tokens import IdentityTokens
from shared.enums import Role
from shared.identity import Principal
from shared.keys import SigningKey
from tests.enrolment.support import IDENTITY_KEY, platform_settings

TTL = 60
PLATFORM = platform_settings()
PARTNER = Principal(subject="key-1", role=Role.ilo_global, scopes=frozenset({"read"}))
OTHER = Principal(subject="key-2", role=Role.ilo_global, scopes=frozenset({"read"}))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tokens(clock: Clock, signings: list[int]) -> IdentityTokens:
    def key() -> SigningKey:
        signings.append(1)
        return IDENTITY_KEY

    return IdentityTokens(key, PLATFORM, ttl_seconds=TTL, clock=clock)


def claims(token: str, audience: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(
        token, IDENTITY_KEY.public, algorithms=["EdDSA"], audience=audience
    )
    return decoded


def test_a_callers_token_is_signed_once_and_reused_within_half_its_lifetime() -> None:
    clock, signings = Clock(), list[int]()
    cache = tokens(clock, signings)
    first = cache.token(PARTNER, PLATFORM.identity_audience)
    clock.now += TTL / 2 - 1
    assert cache.token(PARTNER, PLATFORM.identity_audience) == first
    assert len(signings) == 1
    assert claims(first, PLATFORM.identity_audience)["sub"] == "key-1"


def test_a_token_past_half_its_lifetime_is_replaced_by_a_fresh_one() -> None:
    clock, signings = Clock(), list[int]()
    cache = tokens(clock, signings)
    cache.token(PARTNER, PLATFORM.identity_audience)
    clock.now += TTL / 2
    renewed = cache.token(PARTNER, PLATFORM.identity_audience)
    assert len(signings) == 2
    decoded = claims(renewed, PLATFORM.identity_audience)
    assert decoded["exp"] == decoded["iat"] + TTL  # type: ignore[operator]


def test_each_caller_and_audience_gets_a_token_of_its_own() -> None:
    clock, signings = Clock(), list[int]()
    cache = tokens(clock, signings)
    rest = cache.token(PARTNER, PLATFORM.identity_audience)
    graph = cache.token(PARTNER, PLATFORM.identity_graph_audience)
    other = cache.token(OTHER, PLATFORM.identity_audience)
    assert len(signings) == 3
    assert claims(rest, PLATFORM.identity_audience)["sub"] == "key-1"
    assert claims(graph, PLATFORM.identity_graph_audience)["sub"] == "key-1"
    assert claims(other, PLATFORM.identity_audience)["sub"] == "key-2"


def test_the_cache_holds_a_bounded_number_of_callers_the_least_recent_going_first() -> None:
    clock, signings = Clock(), list[int]()
    cache = tokens(clock, signings)
    cache.max_entries = 2
    callers = [Principal(subject=f"key-{n}", role=Role.ilo_global) for n in range(3)]
    for caller in callers:
        cache.token(caller, PLATFORM.identity_audience)
    cache.token(callers[2], PLATFORM.identity_audience)
    assert len(signings) == 3
    cache.token(callers[0], PLATFORM.identity_audience)  # forgotten: signed anew
    assert len(signings) == 4
