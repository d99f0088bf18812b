"""Applies enrolment's events to the local replica; every handler is an idempotent upsert."""

from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaConsent,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from shared.columns import utcnow
from shared.events import (
    CohortChanged,
    ConsentChanged,
    EnterpriseSnapshot,
    EventEnvelope,
    ProjectChanged,
    StageChanged,
    parse_payload,
)
from shared.sql import upsert

CONSUMER_NAME = "indicators.enrolment-replica"


async def _upsert(session: AsyncSession, model: type[SQLModel], values: dict[str, Any]) -> None:
    # The replica keeps when it last heard of a row, not when the event happened.
    await upsert(session, model, [{**values, "updated_at": utcnow()}])


async def apply_enrolment_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    payload = parse_payload(envelope)
    match payload:
        case EnterpriseSnapshot():
            await _upsert(
                session,
                ReplicaEnterprise,
                {
                    "id": payload.enterprise_id,
                    "name": payload.name,
                    "country": payload.country,
                    "sector": payload.sector,
                    "sub_sector": payload.sub_sector,
                    "partner_id": payload.partner_id,
                    "workforce_total": payload.workforce_total,
                    "workforce_female": payload.workforce_female,
                    "workforce_male": payload.workforce_male,
                },
            )
        case StageChanged():
            await _upsert(
                session,
                ReplicaEnrolment,
                {
                    "id": payload.enrolment_id,
                    "enterprise_id": payload.enterprise_id,
                    "project_id": payload.project_id,
                    "partner_id": payload.partner_id,
                    "stage": payload.to_stage.value,
                },
            )
        case CohortChanged():
            await _upsert(
                session,
                ReplicaCohort,
                {
                    "id": payload.cohort_id,
                    "project_id": payload.project_id,
                    "partner_id": payload.partner_id,
                    "module_code": payload.module_code,
                    "name": payload.name,
                    "start_date": payload.start_date,
                    "enterprise_ids": payload.enterprise_ids,
                    "trainer_ids": payload.trainer_ids,
                },
            )
        case ProjectChanged():
            await _upsert(
                session,
                ReplicaProject,
                {
                    "id": payload.project_id,
                    "name": payload.name,
                    "country": payload.country,
                    "start_date": payload.start_date,
                    "end_date": payload.end_date,
                    "partner_ids": payload.partner_ids,
                    "funder_ids": payload.funder_ids,
                },
            )
        case ConsentChanged():
            await _upsert(
                session,
                ReplicaConsent,
                {
                    "id": payload.consent_id,
                    "enterprise_id": payload.enterprise_id,
                    "buyer_id": payload.buyer_id,
                    "status": payload.status.value,
                },
            )
        case _:
            # Events this service has no use for (applications, trainers ...) only advance
            # the cursor.
            return
