"""Bearer JWTs from the configured OpenID Connect issuer: signature against its JWKS (cached),
algorithm pinned, issuer, audience and expiry checked, claims mapped to a SCORE principal."""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import httpx
import jwt

from services.gateway.problems import ServiceUnavailable
from services.gateway.settings import KNOWN_SCOPES, GatewaySettings
from shared.enums import Role
from shared.identity import Principal
from shared.problems import Forbidden, Unauthenticated

log = logging.getLogger(__name__)

_ROLE_VALUES = frozenset(role.value for role in Role)


class OidcVerifier:
    def __init__(
        self,
        settings: GatewaySettings,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.oidc_issuer is None or settings.oidc_audience is None:
            raise ValueError("OIDC needs an issuer and an audience")
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.algorithms = list(settings.oidc_algorithms)
        self.claims = settings.oidc_claims
        self.default_scopes = frozenset(settings.oidc_default_scopes)
        self.leeway = settings.oidc_leeway
        self.cache_ttl = settings.oidc_jwks_cache_ttl
        self.http = http
        self.clock = clock
        self.min_refresh_interval = settings.oidc_jwks_min_refresh_interval
        self._jwks_url = settings.oidc_jwks_url
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The bearer token is not a valid JWT") from exc
        algorithm = header.get("alg")
        if algorithm not in self.algorithms:
            raise Unauthenticated(
                f"The bearer token's algorithm {algorithm!r} is not accepted "
                f"(accepted: {', '.join(self.algorithms)})"
            )
        jwk = await self._signing_key(header.get("kid"), algorithm)
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm)
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The bearer token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("The bearer token is not meant for the SCORE platform") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("The bearer token comes from an issuer not trusted") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The bearer token is not valid: {exc}") from exc
        return self.principal(claims)

    def principal(self, claims: dict[str, Any]) -> Principal:
        """The SCORE caller a verified token stands for; 403 when it names none."""
        names = self.claims
        subject = claims.get(names.subject)
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated(f"The bearer token has no '{names.subject}' claim")
        role = _role(claims.get(names.role), names.role)
        anchors = {
            field: _uuid(claims.get(claim), claim)
            for field, claim in (
                ("organisation_id", names.organisation),
                ("project_id", names.project),
                ("enterprise_id", names.enterprise),
                ("trainer_id", names.trainer),
            )
        }
        granted = _scopes(claims.get(names.scopes)) & KNOWN_SCOPES
        try:
            return Principal(
                subject=f"oidc:{subject}",
                role=role,
                scopes=frozenset(granted or self.default_scopes),
                **anchors,
            )
        except ValueError as exc:
            raise Forbidden(f"The bearer token's claims do not make a SCORE caller: {exc}") from exc

    async def _signing_key(self, kid: Any, algorithm: str) -> dict[str, Any]:
        fresh = self._fetched_at is None or self.clock() - self._fetched_at >= self.cache_ttl
        if fresh:
            await self._refresh(reason="cache expired")
        key = self._find(kid, algorithm)
        if (
            key is None
            and not fresh
            and self.clock() - (self._fetched_at or 0) >= self.min_refresh_interval
        ):
            # The issuer may have rotated its keys since the last fetch: look once more.
            await self._refresh(reason=f"unknown kid {kid!r}")
            key = self._find(kid, algorithm)
        if key is None:
            raise Unauthenticated("The bearer token is signed with a key the issuer does not list")
        return key

    def _find(self, kid: Any, algorithm: str) -> dict[str, Any] | None:
        usable = [
            key
            for key in self._keys
            if key.get("use", "sig") == "sig" and key.get("alg", algorithm) == algorithm
        ]
        if kid is None:
            # Without a kid the choice is only unambiguous when the issuer has one key.
            return usable[0] if len(usable) == 1 else None
        return next((key for key in usable if key.get("kid") == kid), None)

    async def _refresh(self, *, reason: str) -> None:
        started = self.clock()
        async with self._lock:
            if self._fetched_at is not None and self._fetched_at >= started:
                return  # another request refreshed while this one waited
            try:
                keys = await self._fetch_keys()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                if self._keys:
                    log.warning("keeping the cached JWKS; refresh failed: %s", exc)
                    self._fetched_at = self.clock()
                    return
                raise ServiceUnavailable(
                    "The identity provider's signing keys could not be fetched; try again"
                ) from exc
            log.info("JWKS fetched (%s): %d keys", reason, len(keys))
            self._keys = keys
            self._fetched_at = self.clock()

    async def _fetch_keys(self) -> list[dict[str, Any]]:
        if self._jwks_url is None:
            discovery = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            response = await self.http.get(discovery, follow_redirects=True)
            response.raise_for_status()
            document = response.json()
            if document.get("issuer") != self.issuer:
                raise ValueError(
                    f"the discovery document names issuer {document.get('issuer')!r}, "
                    f"not {self.issuer!r}"
                )
            self._jwks_url = str(document["jwks_uri"])
        response = await self.http.get(self._jwks_url, follow_redirects=True)
        response.raise_for_status()
        self.fetches += 1
        keys = response.json()["keys"]
        if not isinstance(keys, list):
            raise TypeError("the JWKS 'keys' member is not a list")
        return [key for key in keys if isinstance(key, dict)]


def _role(value: Any, claim: str) -> Role:
    values = value if isinstance(value, list) else [value]
    # Identity providers often put several application roles in one claim: exactly one
    # of them has to be a SCORE role.
    roles = [Role(v) for v in values if isinstance(v, str) and v in _ROLE_VALUES]
    if len(roles) != 1:
        found = "none" if not roles else ", ".join(r.value for r in roles)
        raise Forbidden(
            f"The bearer token's '{claim}' claim must name exactly one SCORE role (found {found})"
        )
    if roles[0] is Role.service:
        raise Forbidden("The service role is for the platform's own services")
    return roles[0]


def _uuid(value: Any, claim: str) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise Forbidden(f"The bearer token's '{claim}' claim is not an id") from exc


def _scopes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()
