"""The caller's identity: the signed token the gateway forwards and every service verifies.

Services never trust a header that merely claims an identity; only a token signed with the
gateway's private key (Ed25519), for the right audience, not expired, is accepted. Services
hold only public keys (``SCORE_IDENTITY_JWKS``), so a breached service cannot mint an
identity. The ``kid`` header names the key, so the previous key keeps verifying during a
rotation while the JWKS still lists it.
"""

import threading
import time
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from uuid import UUID

import jwt
from cachetools import TLRUCache
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import HTTPConnection

from shared.enums import Role
from shared.keys import ALGORITHM, SigningKey
from shared.problems import Unauthenticated
from shared.settings import PlatformSettings

# The field naming the tenant each role belongs to: a principal of the role must carry it.
TENANT_ANCHORS: dict[Role, str] = {
    Role.programme_manager: "project_id",
    Role.partner_staff: "organisation_id",
    Role.lead_buyer: "organisation_id",
    Role.enterprise_user: "enterprise_id",
    Role.trainer: "trainer_id",
}


class Principal(BaseModel):
    """Who is calling and which tenant they belong to."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="Stable id of the person, API key or service")
    role: Role
    organisation_id: UUID | None = None
    project_id: UUID | None = None
    enterprise_id: UUID | None = None
    trainer_id: UUID | None = None
    scopes: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _tenant_anchor_present(self) -> "Principal":
        # A role without its anchor would silently see nothing (or, worse, everything).
        field = TENANT_ANCHORS.get(self.role)
        if field is not None and getattr(self, field) is None:
            raise ValueError(f"role {self.role.value} requires {field}")
        return self

    @property
    def tenant_id(self) -> UUID | None:
        """The id the role's tenancy is anchored on (``TENANT_ANCHORS``); None for the roles
        that see every tenant."""
        field = TENANT_ANCHORS.get(self.role)
        return None if field is None else getattr(self, field)

    @property
    def actor(self) -> str:
        """How history and audit name the caller: "role:subject"."""
        return f"{self.role.value}:{self.subject}"

    @property
    def is_global(self) -> bool:
        return self.role in (Role.ilo_global, Role.service)


def issue_token(
    principal: Principal,
    key: SigningKey,
    settings: PlatformSettings,
    *,
    audience: str | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """An identity token for ``principal``, signed with ``key`` (only the gateway holds the
    real one). ``audience`` defaults to the services' REST audience."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.identity_issuer,
        "aud": audience or settings.identity_audience,
        "iat": now,
        "exp": now + (ttl_seconds if ttl_seconds is not None else settings.identity_token_ttl),
        "sub": principal.subject,
        "role": principal.role.value,
        "scopes": sorted(principal.scopes),
    }
    for claim, value in (
        ("org", principal.organisation_id),
        ("project", principal.project_id),
        ("enterprise", principal.enterprise_id),
        ("trainer", principal.trainer_id),
    ):
        if value is not None:
            claims[claim] = str(value)
    return key.sign(claims)


def signing_key_id(token: str) -> str | None:
    """The ``kid`` a token names (unverified: only for choosing the key to verify with)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


def verify_signed(
    token: str,
    keys: Mapping[str, Ed25519PublicKey],
    *,
    audience: str,
    issuer: str,
    what: str = "identity token",
) -> dict[str, Any]:
    """The claims of a token signed with one of ``keys`` (chosen by its ``kid``) for
    ``audience``; ``Unauthenticated`` naming ``what`` otherwise."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"The {what} is not valid: {exc}") from exc
    if not isinstance(kid, str) or kid not in keys:
        raise Unauthenticated(f"The {what} is signed with a key that is not accepted")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            keys[kid],
            algorithms=[ALGORITHM],  # pinned: never let the token choose its algorithm
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated(f"The {what} has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"The {what} is not valid: {exc}") from exc
    return claims


class _Verified:
    """A token already verified: its principal, until its expiry, with the key it was
    verified with (accepted again only while that very key is the one its ``kid`` names)."""

    __slots__ = ("expires_at", "key", "kid", "principal")

    def __init__(
        self, principal: Principal, *, kid: str, key: Ed25519PublicKey, expires_at: float
    ) -> None:
        self.principal, self.kid, self.key, self.expires_at = principal, kid, key, expires_at


# The gateway forwards the same token for a caller's many requests (for half its life), and
# checking a signature costs more than the rest of a small request's identity work: each
# token is verified once and then recognised by its text until it expires. Bounded (least
# recently used go first); a lock, as sync dependencies verify from worker threads.
_VERIFIED: TLRUCache[tuple[str, str, str], _Verified, float] = TLRUCache(
    maxsize=10_000, ttu=lambda _key, verified, _now: verified.expires_at, timer=time.time
)
_VERIFIED_LOCK = threading.Lock()


def verify_token(
    token: str, settings: PlatformSettings, *, audience: str | None = None
) -> Principal:
    """The principal of a gateway-signed identity token for ``audience`` (default: REST)."""
    keys = settings.identity_public_keys
    audience = audience or settings.identity_audience
    cache_key = (token, audience, settings.identity_issuer)
    with _VERIFIED_LOCK:
        verified = _VERIFIED.get(cache_key)
    # A key dropped from (or replaced in) the accepted ones stops its tokens at once.
    if verified is not None and keys.get(verified.kid) is verified.key:
        return verified.principal
    claims = verify_signed(token, keys, audience=audience, issuer=settings.identity_issuer)
    principal = _principal(claims)
    kid = signing_key_id(token)
    if kid is not None:  # verify_signed accepted it, so it names one of ``keys``
        entry = _Verified(principal, kid=kid, key=keys[kid], expires_at=float(claims["exp"]))
        with _VERIFIED_LOCK:
            _VERIFIED[cache_key] = entry
    return principal


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            subject=claims["sub"],
            role=Role(claims["role"]),
            organisation_id=claims.get("org"),
            project_id=claims.get("project"),
            enterprise_id=claims.get("enterprise"),
            trainer_id=claims.get("trainer"),
            scopes=frozenset(claims.get("scopes", [])),
        )
    except (KeyError, ValueError) as exc:
        raise Unauthenticated(f"The identity token's claims are not valid: {exc}") from exc


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("An identity token is required (Authorization: Bearer ...)")
    return credentials.credentials


class _IdentityBearer(HTTPBearer):
    """The verified caller, read from ``Authorization: Bearer``: FastAPI's bearer scheme
    (so every route documents it, under the same name) and the token's verification in one
    dependency. Two, the scheme and a verifier depending on it, were solved again wherever
    the principal is declared (the routes' guard and the route): a tenth of a small
    request's dependency work (benchmarks.layers)."""

    def __init__(self, *, audience: Callable[[PlatformSettings], str | None]) -> None:
        super().__init__(
            auto_error=False,
            scheme_name="HTTPBearer",
            description="Identity token signed by the gateway",
        )
        self.audience = audience

    async def __call__(self, request: HTTPConnection) -> Principal:  # type: ignore[override]
        settings: PlatformSettings = request.app.state.settings.platform
        credentials = await super().__call__(request)
        return verify_token(_bearer_token(credentials), settings, audience=self.audience(settings))


class _SubgraphBearer(_IdentityBearer):
    async def __call__(self, request: HTTPConnection) -> Principal:  # type: ignore[override]
        try:
            return await super().__call__(request)
        except Unauthenticated as exc:
            raise Unauthenticated(
                "This GraphQL endpoint serves the gateway only; query the gateway's /graphql "
                f"({exc.detail})"
            ) from exc


# FastAPI dependency: the verified caller of a REST route, or 401 as problem details.
current_principal = _IdentityBearer(audience=lambda _settings: None)
# FastAPI dependency of the subgraph endpoint: only the gateway calls it, with a token it
# minted for the graph audience. REST tokens (and so any caller who is not the gateway
# composing or planning the graph) get 401.
subgraph_principal = _SubgraphBearer(audience=lambda settings: settings.identity_graph_audience)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
SubgraphPrincipal = Annotated[Principal, Depends(subgraph_principal)]
