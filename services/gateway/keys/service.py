"""API keys: created (the secret shown once), listed, revoked, and checked on every request.

Keys are 256-bit random tokens, so a fast keyed hash (HMAC-SHA256 under a server-side
pepper) is as safe as a slow password hash and costs microseconds per request. The short
public prefix finds the row; the hash comparison is constant-time.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pydantic import SecretStr
from sqlmodel.ext.asyncio.session import AsyncSession

from services.gateway.db import changes
from services.gateway.keys.models import ApiKey
from services.gateway.keys.repository import api_key_repository
from services.gateway.keys.schemas import (
    KEY_PREFIX,
    ApiKeyCreate,
    ApiKeyPublic,
    CreatedApiKey,
)
from shared.columns import utcnow
from shared.identity import Principal
from shared.problems import Conflict, NotFound, Unauthenticated

_PREFIX_BYTES = 6  # 12 hex characters: collisions are checked, and rare enough to retry
_SECRET_BYTES = 32
_PREFIX_PATTERN = re.compile(r"^[0-9a-f]{12}$")


def hash_key(presented: str, pepper: SecretStr) -> str:
    return hmac.new(
        pepper.get_secret_value().encode(), presented.encode(), hashlib.sha256
    ).hexdigest()


def key_prefix(presented: str) -> str | None:
    """The public prefix of a well-formed key (``score_<prefix>_<secret>``), else None."""
    if not presented.startswith(KEY_PREFIX):
        return None
    prefix, separator, secret = presented[len(KEY_PREFIX) :].partition("_")
    if not separator or not secret or not _PREFIX_PATTERN.match(prefix):
        return None
    return prefix


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


@dataclass(frozen=True)
class VerifiedKey:
    key_id: UUID
    principal: Principal
    expires_at: datetime | None


class ApiKeyService:
    async def create(
        self,
        session: AsyncSession,
        data: ApiKeyCreate,
        *,
        principal: Principal,
        pepper: SecretStr,
    ) -> CreatedApiKey:
        prefix = secrets.token_hex(_PREFIX_BYTES)
        while await api_key_repository.get_by_prefix(session, prefix) is not None:
            prefix = secrets.token_hex(_PREFIX_BYTES)
        secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        key = await api_key_repository.add(
            session,
            ApiKey(
                prefix=prefix,
                secret_hash=hash_key(secret, pepper),
                name=data.name,
                role=data.role,
                organisation_id=data.organisation_id,
                project_id=data.project_id,
                enterprise_id=data.enterprise_id,
                trainer_id=data.trainer_id,
                scopes=data.scopes,
                created_by=principal.actor,
                expires_at=data.expires_at,
            ),
        )
        public = ApiKeyPublic.build(key)
        await changes.audit(
            session,
            principal=principal,
            action="api_key.created",
            entity_type="api_key",
            entity_id=key.id,
            after=public,
        )
        return CreatedApiKey(key=public, secret=secret)

    async def get_all(
        self, session: AsyncSession, *, organisation_id: UUID | None = None
    ) -> list[ApiKeyPublic]:
        now = utcnow()
        keys = await api_key_repository.get_all(session, organisation_id=organisation_id)
        return [ApiKeyPublic.build(key, now=now) for key in keys]

    async def get_or_404(self, session: AsyncSession, reference: str) -> ApiKey:
        """A key by its id, its public prefix (``score_ab12...``) or the bare prefix."""
        reference = reference.strip()
        key: ApiKey | None = None
        try:
            key = await api_key_repository.get(session, UUID(reference))
        except ValueError:
            bare = reference.removeprefix(KEY_PREFIX)
            if _PREFIX_PATTERN.match(bare):
                key = await api_key_repository.get_by_prefix(session, bare)
        if key is None:
            raise NotFound(f"No API key with id or prefix {reference!r}")
        return key

    async def revoke(
        self,
        session: AsyncSession,
        reference: str,
        *,
        principal: Principal,
        reason: str | None = None,
    ) -> ApiKeyPublic:
        key = await self.get_or_404(session, reference)
        if key.revoked_at is not None:
            raise Conflict(
                f"API key {KEY_PREFIX}{key.prefix} was already revoked at "
                f"{key.revoked_at.isoformat()} by {key.revoked_by}"
            )
        before = ApiKeyPublic.build(key)
        key.revoked_at = utcnow()
        key.revoked_by = principal.actor
        session.add(key)
        await session.flush()
        after = ApiKeyPublic.build(key)
        await changes.audit(
            session,
            principal=principal,
            action="api_key.revoked",
            entity_type="api_key",
            entity_id=key.id,
            before=before,
            after=after,
            reason=reason,
        )
        return after

    async def verify(
        self, session: AsyncSession, presented: str, *, pepper: SecretStr
    ) -> VerifiedKey:
        """The caller a presented key stands for; 401 for anything not a live key."""
        prefix = key_prefix(presented)
        key = await api_key_repository.get_by_prefix(session, prefix) if prefix else None
        if key is None or not hmac.compare_digest(key.secret_hash, hash_key(presented, pepper)):
            raise Unauthenticated("The API key is not valid")
        # Only the key's holder gets this far, so telling them why it stopped working
        # reveals nothing to anyone else.
        if key.revoked_at is not None:
            raise Unauthenticated("The API key has been revoked")
        if key.expires_at is not None and key.expires_at <= utcnow():
            raise Unauthenticated("The API key has expired")
        principal = Principal(
            subject=f"api-key:{key.prefix}",
            role=key.role,
            organisation_id=key.organisation_id,
            project_id=key.project_id,
            enterprise_id=key.enterprise_id,
            trainer_id=key.trainer_id,
            scopes=frozenset(key.scopes),
        )
        return VerifiedKey(key_id=key.id, principal=principal, expires_at=key.expires_at)


api_key_service = ApiKeyService()
