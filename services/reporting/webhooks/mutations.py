"""GraphQL mutations for webhooks (the REST routes' service calls, shared/mutations.py):
partners' systems register and manage their endpoints through the graph too."""

from datetime import datetime
from typing import Annotated, Self

import strawberry

from services.reporting.graphql.types import Info
from services.reporting.webhooks.schemas import (
    DEFAULT_OVERLAP_SECONDS,
    DeliveryPublic,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from services.reporting.webhooks.service import webhook_service
from shared.graphql import parse_id
from shared.mutations import Failure, mutate, parse_model


@strawberry.type(description="A webhook endpoint (REST: /reporting/webhooks/{id})")
class Webhook:
    id: strawberry.ID
    url: str
    description: str | None
    event_types: list[str]
    status: str = strawberry.field(description="active | disabled")
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, webhook: WebhookPublic) -> Self:
        return cls(
            id=strawberry.ID(str(webhook.id)),
            url=webhook.url,
            description=webhook.description,
            event_types=list(webhook.event_types),
            status=webhook.status,
            disabled_reason=webhook.disabled_reason,
            disabled_at=webhook.disabled_at,
            failing_since=webhook.failing_since,
            previous_secret_expires_at=webhook.previous_secret_expires_at,
            created_at=webhook.created_at,
        )


@strawberry.type(description="A registered endpoint and its signing secret, shown once")
class WebhookRegistration:
    webhook: Webhook
    secret: str

    @classmethod
    def from_model(cls, created: WebhookCreated) -> Self:
        return cls(webhook=Webhook.from_model(created), secret=created.secret)


@strawberry.type(description="A new signing secret, shown once; the previous one signs too until")
class WebhookSecret:
    secret: str
    previous_secret_expires_at: datetime | None

    @classmethod
    def from_model(cls, rotated: SecretRotated) -> Self:
        return cls(
            secret=rotated.secret, previous_secret_expires_at=rotated.previous_secret_expires_at
        )


@strawberry.type(description="A delivery queued again (same webhook-id)")
class WebhookRedelivery:
    id: strawberry.ID
    event_id: strawberry.ID
    event_type: str
    status: str

    @classmethod
    def from_model(cls, delivery: DeliveryPublic) -> Self:
        return cls(
            id=strawberry.ID(str(delivery.id)),
            event_id=strawberry.ID(str(delivery.event_id)),
            event_type=delivery.event_type,
            status=delivery.status,
        )


@strawberry.type(description="The endpoint was removed")
class WebhookDeleted:
    id: strawberry.ID


WebhookResult = Annotated[Webhook | Failure, strawberry.union("WebhookResult")]
WebhookRegistrationResult = Annotated[
    WebhookRegistration | Failure, strawberry.union("WebhookRegistrationResult")
]
WebhookSecretResult = Annotated[WebhookSecret | Failure, strawberry.union("WebhookSecretResult")]
WebhookRedeliveryResult = Annotated[
    WebhookRedelivery | Failure, strawberry.union("WebhookRedeliveryResult")
]
WebhookDeletedResult = Annotated[WebhookDeleted | Failure, strawberry.union("WebhookDeletedResult")]


@strawberry.input(description="A webhook endpoint to register (POST /reporting/webhooks)")
class RegisterWebhookInput:
    url: str
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


@strawberry.input(description="What to change (PATCH /reporting/webhooks/{id})")
class UpdateWebhookInput:
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: str | None = strawberry.UNSET


async def register_webhook(info: Info, input: RegisterWebhookInput) -> WebhookRegistrationResult:
    context = info.context
    return await mutate(
        context,
        lambda session: webhook_service.register(
            session,
            parse_model(WebhookCreate, input),
            principal=context.principal,
            allow_private=context.allow_private_targets,
        ),
        WebhookRegistration.from_model,
    )


async def update_webhook(info: Info, id: strawberry.ID, input: UpdateWebhookInput) -> WebhookResult:
    context = info.context
    return await mutate(
        context,
        lambda session: webhook_service.update(
            session,
            parse_id(id, "id"),
            parse_model(WebhookUpdate, input),
            principal=context.principal,
            allow_private=context.allow_private_targets,
        ),
        Webhook.from_model,
    )


async def rotate_webhook_secret(
    info: Info, id: strawberry.ID, overlap_seconds: int = DEFAULT_OVERLAP_SECONDS
) -> WebhookSecretResult:
    context = info.context
    return await mutate(
        context,
        lambda session: webhook_service.rotate_secret(
            session,
            parse_id(id, "id"),
            overlap_seconds=max(0, min(overlap_seconds, 7 * 86_400)),
            principal=context.principal,
        ),
        WebhookSecret.from_model,
    )


async def redeliver_webhook(
    info: Info, id: strawberry.ID, delivery_id: strawberry.ID
) -> WebhookRedeliveryResult:
    context = info.context
    return await mutate(
        context,
        lambda session: webhook_service.redeliver(
            session,
            parse_id(id, "id"),
            parse_id(delivery_id, "deliveryId"),
            principal=context.principal,
        ),
        WebhookRedelivery.from_model,
    )


async def delete_webhook(info: Info, id: strawberry.ID) -> WebhookDeletedResult:
    context = info.context
    webhook_id = parse_id(id, "id")
    return await mutate(
        context,
        lambda session: webhook_service.delete(session, webhook_id, principal=context.principal),
        lambda _: WebhookDeleted(id=strawberry.ID(str(webhook_id))),
    )


@strawberry.type
class Mutation:
    register_webhook: WebhookRegistrationResult = strawberry.mutation(
        resolver=register_webhook,
        description=(
            "Register a webhook endpoint for the partner events you may read "
            "(POST /reporting/webhooks): Standard Webhooks signatures, at least once, in order"
        ),
    )
    update_webhook: WebhookResult = strawberry.mutation(
        resolver=update_webhook,
        description=(
            "Change the URL or event types, disable or re-enable (PATCH /reporting/webhooks/{id})"
        ),
    )
    rotate_webhook_secret: WebhookSecretResult = strawberry.mutation(
        resolver=rotate_webhook_secret,
        description=(
            "A new signing secret; the previous one keeps signing for overlapSeconds "
            "(POST /reporting/webhooks/{id}/rotate-secret)"
        ),
    )
    redeliver_webhook: WebhookRedeliveryResult = strawberry.mutation(
        resolver=redeliver_webhook,
        description=(
            "Send a delivery's event again "
            "(POST /reporting/webhooks/{id}/deliveries/{deliveryId}/redeliver)"
        ),
    )
    delete_webhook: WebhookDeletedResult = strawberry.mutation(
        resolver=delete_webhook,
        description="Remove a webhook endpoint and its log (DELETE /reporting/webhooks/{id})",
    )
