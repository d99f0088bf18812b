"""The caller's identity: the signed token the gateway forwards and every service verifies.

Services never trust a header that merely claims an identity; only a token signed with
the platform identity secret, for the services' audience, not expired, is accepted. The
``kid`` header names the signing secret, so a rotated-out secret keeps verifying while
``SCORE_IDENTITY_PREVIOUS_SECRETS`` lists it.
"""

import time
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.enums import Role
from shared.problems import Unauthenticated
from shared.settings import PlatformSettings

ALGORITHM = "HS256"


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
        needs = {
            Role.programme_manager: ("project_id", self.project_id),
            Role.partner_staff: ("organisation_id", self.organisation_id),
            Role.lead_buyer: ("organisation_id", self.organisation_id),
            Role.enterprise_user: ("enterprise_id", self.enterprise_id),
            Role.trainer: ("trainer_id", self.trainer_id),
        }
        if self.role in needs:
            field, value = needs[self.role]
            if value is None:
                raise ValueError(f"role {self.role.value} requires {field}")
        return self

    @property
    def actor(self) -> str:
        """How history and audit name the caller: "role:subject"."""
        return f"{self.role.value}:{self.subject}"

    @property
    def is_global(self) -> bool:
        return self.role in (Role.ilo_global, Role.service)


def issue_token(
    principal: Principal, settings: PlatformSettings, *, ttl_seconds: int | None = None
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.identity_issuer,
        "aud": settings.identity_audience,
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
    return jwt.encode(
        claims,
        settings.identity_secret.get_secret_value(),
        algorithm=ALGORITHM,
        headers={"kid": settings.identity_key_id},
    )


def _candidate_secrets(token: str, settings: PlatformSettings) -> list[str]:
    """The secrets the token may be signed with: the one its ``kid`` names, or (a token
    from before key ids) every accepted one."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"The identity token is not valid: {exc}") from exc
    keys = settings.identity_verification_keys()
    if kid is None:
        return [secret.get_secret_value() for secret in keys.values()]
    if not isinstance(kid, str) or kid not in keys:
        raise Unauthenticated("The identity token is signed with a key that is not accepted")
    return [keys[kid].get_secret_value()]


def _decode(token: str, settings: PlatformSettings) -> dict[str, Any]:
    bad_signature: jwt.InvalidSignatureError | None = None
    for secret in _candidate_secrets(token, settings):
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],  # pinned: never let the token choose its algorithm
                audience=settings.identity_audience,
                issuer=settings.identity_issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
            return claims
        except jwt.InvalidSignatureError as exc:
            bad_signature = exc  # another accepted secret may still match
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("The identity token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"The identity token is not valid: {exc}") from exc
    raise Unauthenticated(f"The identity token is not valid: {bad_signature}")


def verify_token(token: str, settings: PlatformSettings) -> Principal:
    claims = _decode(token, settings)
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


_bearer = HTTPBearer(auto_error=False, description="Identity token signed for the services")


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the verified caller, or 401 as problem details."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("An identity token is required (Authorization: Bearer ...)")
    settings: PlatformSettings = request.app.state.settings.platform
    return verify_token(credentials.credentials, settings)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
