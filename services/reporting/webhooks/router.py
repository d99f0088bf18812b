"""REST endpoints of webhooks: register, manage, rotate the secret, read the delivery log,
redeliver. Deliveries carry the partner feed's events (GET /reporting/feed documents them)."""

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from services.reporting.settings import ReportingSettings
from services.reporting.webhooks.schemas import (
    DeliveryPublic,
    SecretRotated,
    SecretRotation,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)
from services.reporting.webhooks.service import webhook_service
from shared.db import SessionDep
from shared.identity import CurrentPrincipal

router = APIRouter(tags=["webhooks"])

REGISTER_DESCRIPTION = """Events you may read (`GET /reporting/feed`: same objects, same
rule) are POSTed to `url` as they are published, signed per
[Standard Webhooks](https://www.standardwebhooks.com/) (`webhook-id`, `webhook-timestamp`,
`webhook-signature`; verify with any Standard Webhooks library and the `secret` answered
here, once). At least once (deduplicate by `webhook-id`), in feed order per endpoint: a
failed delivery is retried with exponential backoff and jitter, and later ones wait for it.
An endpoint whose every attempt fails for a day is disabled, the reason shown; PATCH
`status: active` resumes it. Lead buyers receive `supplier.status_changed` of suppliers
consenting to share with them, stopped at once by a withdrawal."""


def _allow_private(request: Request) -> bool:
    settings: ReportingSettings = request.app.state.settings
    return settings.private_targets_allowed


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook endpoint",
    description=REGISTER_DESCRIPTION,
)
async def register_webhook(
    body: WebhookCreate, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> WebhookCreated:
    return await webhook_service.register(
        session, body, principal=principal, allow_private=_allow_private(request)
    )


@router.get("/webhooks", summary="Your webhook endpoints")
async def list_webhooks(session: SessionDep, principal: CurrentPrincipal) -> list[WebhookPublic]:
    return await webhook_service.get_all(session, principal=principal)


@router.get("/webhooks/{webhook_id}", summary="A webhook endpoint (why it is disabled, if it is)")
async def get_webhook(
    webhook_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> WebhookPublic:
    return await webhook_service.get(session, webhook_id, principal=principal)


@router.patch(
    "/webhooks/{webhook_id}", summary="Change the URL or the event types; disable or re-enable"
)
async def update_webhook(
    webhook_id: UUID,
    body: WebhookUpdate,
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> WebhookPublic:
    return await webhook_service.update(
        session, webhook_id, body, principal=principal, allow_private=_allow_private(request)
    )


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a webhook endpoint and its delivery log",
)
async def delete_webhook(
    webhook_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    await webhook_service.delete(session, webhook_id, principal=principal)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    summary="A new signing secret; the old one keeps signing during the overlap",
)
async def rotate_webhook_secret(
    webhook_id: UUID, body: SecretRotation, session: SessionDep, principal: CurrentPrincipal
) -> SecretRotated:
    return await webhook_service.rotate_secret(
        session, webhook_id, overlap_seconds=body.overlap_seconds, principal=principal
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="The delivery log, newest first: status, response codes, attempt times",
)
async def list_webhook_deliveries(
    webhook_id: UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    delivery_status: Annotated[
        Literal["pending", "delivered", "suppressed"] | None, Query(alias="status")
    ] = None,
) -> list[DeliveryPublic]:
    return await webhook_service.deliveries(
        session, webhook_id, principal=principal, limit=limit, status=delivery_status
    )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivered (or any) event again, after the pending ones",
)
async def redeliver_webhook(
    webhook_id: UUID, delivery_id: UUID, session: SessionDep, principal: CurrentPrincipal
) -> DeliveryPublic:
    return await webhook_service.redeliver(session, webhook_id, delivery_id, principal=principal)
