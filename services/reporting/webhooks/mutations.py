"""Webhooks in the graph (the REST routes' service calls, shared/mutations.py): partners'
systems read their endpoints with the delivery log, and register and manage them."""

import enum
from datetime import datetime
from typing import Annotated, Self

import strawberry
from pydantic import ValidationError

from services.reporting.graphql.types import Info
from services.reporting.webhooks.schemas import (
    DEFAULT_OVERLAP_SECONDS,
    AttemptPublic,
    DeliveryPublic,
    SecretRotated,
    SecretRotation,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from services.reporting.webhooks.service import webhook_service
from shared.graphql import list_size, parse_id
from shared.mutations import Failure, mutate, parse_model
from shared.problems import InvalidInput, NotFound, field_error, invalid_from_pydantic

# The delivery log's page, as over REST (GET .../deliveries?limit=).
MAX_DELIVERIES = 500


@strawberry.enum(name="WebhookDeliveryStatus")
class DeliveryStatus(enum.Enum):
    pending = "pending"
    delivered = "delivered"
    suppressed = "suppressed"


@strawberry.type(name="WebhookAttempt", description="One HTTP attempt of a delivery")
class Attempt:
    attempted_at: datetime
    status_code: int | None = strawberry.field(description="The receiver's answer; null: none")
    error: str | None
    duration_ms: int

    @classmethod
    def from_model(cls, attempt: AttemptPublic) -> Self:
        return cls(
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


@strawberry.type(
    name="WebhookDelivery",
    description="One event for the endpoint: its status and every attempt (the delivery log)",
)
class Delivery:
    id: strawberry.ID
    event_id: strawberry.ID = strawberry.field(description="The webhook-id of every attempt")
    event_type: str
    status: DeliveryStatus = strawberry.field(
        description="suppressed: no longer yours to receive when its turn came (e.g. consent "
        "withdrawn), so never sent"
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    redelivery_of: strawberry.ID | None
    created_at: datetime
    attempt_log: list[Attempt] = strawberry.field(description="Oldest first")

    @classmethod
    def from_model(cls, delivery: DeliveryPublic) -> Self:
        return cls(
            id=strawberry.ID(str(delivery.id)),
            event_id=strawberry.ID(str(delivery.event_id)),
            event_type=delivery.event_type,
            status=DeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            delivered_at=delivery.delivered_at,
            redelivery_of=(
                None
                if delivery.redelivery_of is None
                else strawberry.ID(str(delivery.redelivery_of))
            ),
            created_at=delivery.created_at,
            attempt_log=[Attempt.from_model(attempt) for attempt in delivery.attempt_log],
        )


async def _deliveries(
    root: "Webhook", info: Info, first: int = 100, status: DeliveryStatus | None = None
) -> list[Delivery]:
    if not 1 <= first <= MAX_DELIVERIES:
        raise InvalidInput(
            f"first must be between 1 and {MAX_DELIVERIES}",
            errors=[field_error("first", "range", f"must be 1..{MAX_DELIVERIES}", first)],
        )
    context = info.context
    async with context.database() as session:
        log = await webhook_service.deliveries(
            session,
            parse_id(root.id, "id"),
            principal=context.principal,
            limit=first,
            status=None if status is None else status.value,
        )
    return [Delivery.from_model(delivery) for delivery in log]


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

    deliveries: list[Delivery] = strawberry.field(
        resolver=_deliveries,
        description=(
            "The delivery log, newest first: status, response codes, attempt times "
            "(GET /reporting/webhooks/{id}/deliveries)"
        ),
        directives=[list_size(slicing=["first"])],
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
            overlap_seconds=_overlap(overlap_seconds),
            principal=context.principal,
        ),
        WebhookSecret.from_model,
    )


def _overlap(overlap_seconds: int) -> int:
    """The overlap checked by the REST body's own rule (0 to 7 days), naming the argument."""
    try:
        return SecretRotation(overlap_seconds=overlap_seconds).overlap_seconds
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, prefix="query") from exc


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


async def webhook_endpoints(info: Info) -> list[Webhook]:
    context = info.context
    async with context.database() as session:
        endpoints = await webhook_service.get_all(session, principal=context.principal)
    return [Webhook.from_model(endpoint) for endpoint in endpoints]


async def webhook_endpoint(info: Info, id: strawberry.ID) -> Webhook | None:
    context = info.context
    webhook_id = parse_id(id, "id")
    try:
        async with context.database() as session:
            endpoint = await webhook_service.get(session, webhook_id, principal=context.principal)
    except NotFound:
        return None  # another tenancy's endpoint is no endpoint at all
    return Webhook.from_model(endpoint)


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
