"""Webhook endpoints: registered by anyone with a tenancy, for the partner events that
tenancy may read (services/reporting/tenancy.py decides, at every delivery)."""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.reporting.webhooks.repository import webhook_repository
from services.reporting.webhooks.schemas import (
    AttemptPublic,
    DeliveryPublic,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from services.reporting.webhooks.targets import TargetRefused, check_target
from shared.columns import utcnow
from shared.enums import Role
from shared.identity import Principal
from shared.problems import Forbidden, InvalidInput, NotFound, field_error


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def owner_of(endpoint: WebhookEndpoint) -> Principal:
    """The tenancy deliveries are decided by: the one that registered the endpoint."""
    return Principal(
        subject=endpoint.created_by,
        role=Role(endpoint.owner_role),
        organisation_id=endpoint.owner_organisation_id,
        project_id=endpoint.owner_project_id,
        enterprise_id=endpoint.owner_enterprise_id,
        trainer_id=endpoint.owner_trainer_id,
    )


def public(endpoint: WebhookEndpoint) -> WebhookPublic:
    return WebhookPublic.model_validate(endpoint, from_attributes=True)


async def _checked_url(url: str, *, allow_private: bool) -> str:
    try:
        await check_target(url, allow_private=allow_private)
    except TargetRefused as exc:
        raise InvalidInput(
            "Webhooks cannot be sent there",
            errors=[field_error("body.url", "webhook_target", str(exc), url)],
        ) from exc
    return url


class WebhookService:
    async def register(
        self,
        session: AsyncSession,
        body: WebhookCreate,
        *,
        principal: Principal,
        allow_private: bool,
    ) -> WebhookCreated:
        if principal.role is Role.service:
            raise Forbidden("Services read the feeds; webhooks are for people's systems")
        url = await _checked_url(body.url, allow_private=allow_private)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            owner_role=principal.role.value,
            owner_organisation_id=principal.organisation_id,
            owner_project_id=principal.project_id,
            owner_enterprise_id=principal.enterprise_id,
            owner_trainer_id=principal.trainer_id,
            created_by=principal.subject,
            url=url,
            description=body.description,
            event_types=[str(kind) for kind in dict.fromkeys(body.event_types)],
            secret=secret,
            # From now on: a new endpoint receives what is published after it exists.
            cursor=await webhook_repository.feed_head(session),
        )
        session.add(endpoint)
        await session.flush()
        return WebhookCreated.model_validate({**public(endpoint).model_dump(), "secret": secret})

    async def get_or_404(
        self, session: AsyncSession, webhook_id: UUID, *, principal: Principal
    ) -> WebhookEndpoint:
        endpoint = await webhook_repository.get(session, webhook_id, principal=principal)
        if endpoint is None:
            raise NotFound(f"Webhook {webhook_id} not found")
        return endpoint

    async def get(
        self, session: AsyncSession, webhook_id: UUID, *, principal: Principal
    ) -> WebhookPublic:
        return public(await self.get_or_404(session, webhook_id, principal=principal))

    async def get_all(self, session: AsyncSession, *, principal: Principal) -> list[WebhookPublic]:
        return [public(e) for e in await webhook_repository.get_all(session, principal=principal)]

    async def update(
        self,
        session: AsyncSession,
        webhook_id: UUID,
        body: WebhookUpdate,
        *,
        principal: Principal,
        allow_private: bool,
    ) -> WebhookPublic:
        endpoint = await self.get_or_404(session, webhook_id, principal=principal)
        now = utcnow()
        if body.url is not None:
            endpoint.url = await _checked_url(body.url, allow_private=allow_private)
        if body.event_types is not None:
            endpoint.event_types = [str(kind) for kind in dict.fromkeys(body.event_types)]
        if "description" in body.model_fields_set:
            endpoint.description = body.description
        if body.status == "active" and endpoint.status != "active":
            endpoint.status, endpoint.disabled_reason, endpoint.disabled_at = "active", None, None
            endpoint.failing_since = None
            await webhook_repository.resume(session, endpoint.id, now)
        elif body.status == "disabled" and endpoint.status != "disabled":
            endpoint.status, endpoint.disabled_at = "disabled", now
            endpoint.disabled_reason = f"Disabled by {principal.subject}"
        endpoint.updated_at = now
        session.add(endpoint)
        await session.flush()
        return public(endpoint)

    async def delete(
        self, session: AsyncSession, webhook_id: UUID, *, principal: Principal
    ) -> None:
        endpoint = await self.get_or_404(session, webhook_id, principal=principal)
        await webhook_repository.delete(session, endpoint)

    async def rotate_secret(
        self,
        session: AsyncSession,
        webhook_id: UUID,
        *,
        overlap_seconds: int,
        principal: Principal,
    ) -> SecretRotated:
        """A new secret signs from now on; the current one signs too (both signatures are
        sent) for ``overlap_seconds``, so receivers switch without losing a delivery."""
        endpoint = await self.get_or_404(session, webhook_id, principal=principal)
        now = utcnow()
        endpoint.previous_secret = endpoint.secret if overlap_seconds > 0 else None
        endpoint.previous_secret_expires_at = (
            now + timedelta(seconds=overlap_seconds) if overlap_seconds > 0 else None
        )
        endpoint.secret = new_secret()
        endpoint.updated_at = now
        session.add(endpoint)
        await session.flush()
        return SecretRotated(
            secret=endpoint.secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
        )

    async def deliveries(
        self,
        session: AsyncSession,
        webhook_id: UUID,
        *,
        principal: Principal,
        limit: int,
        status: str | None,
    ) -> list[DeliveryPublic]:
        """The delivery log, newest first, each with its attempts."""
        endpoint = await self.get_or_404(session, webhook_id, principal=principal)
        rows = await webhook_repository.deliveries(session, endpoint.id, limit=limit, status=status)
        attempts = await webhook_repository.attempts(session, [row.id for row in rows])
        return [_delivery(row, attempts[row.id]) for row in rows]

    async def redeliver(
        self,
        session: AsyncSession,
        webhook_id: UUID,
        delivery_id: UUID,
        *,
        principal: Principal,
    ) -> DeliveryPublic:
        """Send an event again (same webhook-id: receivers may tell it is the same event),
        queued behind the endpoint's pending deliveries."""
        endpoint = await self.get_or_404(session, webhook_id, principal=principal)
        original = await webhook_repository.delivery(session, endpoint.id, delivery_id)
        if original is None:
            raise NotFound(f"Delivery {delivery_id} not found")
        again = WebhookDelivery(
            endpoint_id=endpoint.id,
            event_position=original.event_position,
            event_id=original.event_id,
            event_type=original.event_type,
            redelivery_of=original.redelivery_of or original.id,
            next_attempt_at=utcnow(),
        )
        await webhook_repository.enqueue_one(session, again)
        return _delivery(again, [])


def _delivery(row: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> DeliveryPublic:
    return DeliveryPublic.model_validate(
        {
            **row.model_dump(),
            "next_attempt_at": row.next_attempt_at if row.status == "pending" else None,
            "attempt_log": [
                AttemptPublic.model_validate(attempt, from_attributes=True) for attempt in attempts
            ],
        }
    )


def expired(at: datetime | None, now: datetime) -> bool:
    return at is None or at <= now


webhook_service = WebhookService()
