"""Publishes partner events from the upstream events reporting applies: in the consumer's
transaction, after the read models took the event, so an event and the read models it was
published against commit together (none lost, none twice on a replay: ids are derived)."""

from collections.abc import Sequence
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.repository import partner_feed_repository
from services.reporting.feed.schemas import (
    ConsentChangedData,
    EitData,
    EnterpriseData,
    EventType,
    ImprovementProjectData,
    ModuleProgressData,
    SatisfactionData,
    StageChangedData,
    SupplierStatusData,
    ValueChangeData,
    ValueData,
    ValuesSubmittedData,
)
from shared import events as upstream
from shared.enums import ConsentStatus

_IDS = uuid5(NAMESPACE_URL, "https://score.ilo.org/reporting/partner-events")
# What a supplier status is made of, in the order ``changed`` lists them.
_SECTIONS = {
    "stage": ("stages",),
    "modules": ("modules_completed",),
    "eit": ("eit_in_place",),
    "improvement_projects": ("improvement_projects_completed",),
    "indicators": ("indicators",),
}
_VALUE_EVENTS: dict[type[upstream.IndicatorValueSnapshot], EventType] = {
    upstream.ValueValidated: EventType.value_validated,
    upstream.ValueReturned: EventType.value_returned,
    upstream.ValueCorrected: EventType.value_corrected,
    upstream.ValueWithdrawn: EventType.value_withdrawn,
}


class _Batch:
    """The events one upstream event publishes, in order."""

    def __init__(self, envelope: upstream.EventEnvelope) -> None:
        self.envelope = envelope
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        event_type: EventType,
        data: BaseModel,
        *,
        enterprise_id: UUID,
        project_id: UUID | None = None,
        buyer_ids: Sequence[UUID] = (),
        part: str = "",
    ) -> None:
        self.rows.append(
            {
                "id": uuid5(_IDS, f"{self.envelope.event_id}/{event_type}/{enterprise_id}{part}"),
                "event_type": str(event_type),
                "version": 1,
                "occurred_at": self.envelope.occurred_at,
                "enterprise_id": enterprise_id,
                "project_id": project_id,
                "buyer_ids": list(buyer_ids),
                "payload": data.model_dump(mode="json"),
            }
        )


def _value(fact: upstream.IndicatorValueFact) -> dict[str, Any]:
    """The fact's fields a partner event carries (ValueData's), as JSON."""
    return fact.model_dump(mode="json", include=set(ValueData.model_fields))


def _enterprise(payload: upstream.EnterpriseSnapshot) -> EnterpriseData:
    # Not the buyers it names: a buyer never learns of the others, and the partner reads
    # them from the enterprise itself.
    return EnterpriseData(
        enterprise_id=payload.enterprise_id,
        name=payload.name,
        country=payload.country,
        sector=payload.sector,
        sub_sector=payload.sub_sector,
        partner_id=payload.partner_id,
        workforce_total=payload.workforce_total,
        workforce_female=payload.workforce_female,
        workforce_male=payload.workforce_male,
    )


def _direct(batch: _Batch, payload: upstream.EventPayload | None) -> UUID | None:
    """The events that restate the upstream event for partners; the enterprise whose
    supplier status may have changed with it, if any."""
    match payload:
        case upstream.EnterpriseRegistered() | upstream.EnterpriseUpdated():
            kind = (
                EventType.enterprise_registered
                if isinstance(payload, upstream.EnterpriseRegistered)
                else EventType.enterprise_updated
            )
            batch.add(kind, _enterprise(payload), enterprise_id=payload.enterprise_id)
            return payload.enterprise_id
        case upstream.StageChanged():
            data = StageChangedData(
                enrolment_id=payload.enrolment_id,
                enterprise_id=payload.enterprise_id,
                project_id=payload.project_id,
                from_stage=payload.from_stage.value if payload.from_stage else None,
                to_stage=payload.to_stage.value,
                reason=payload.reason,
            )
            batch.add(
                EventType.enrolment_stage_changed,
                data,
                enterprise_id=payload.enterprise_id,
                project_id=payload.project_id,
            )
            return payload.enterprise_id
        case upstream.ConsentChanged():
            data_ = ConsentChangedData(
                enterprise_id=payload.enterprise_id,
                buyer_id=payload.buyer_id,
                status="given" if payload.status is ConsentStatus.given else "withdrawn",
            )
            batch.add(EventType.consent_changed, data_, enterprise_id=payload.enterprise_id)
            return None  # handled by the caller: a new buyer needs the current status
        case upstream.ModuleProgressChanged():
            progress = ModuleProgressData(
                enterprise_id=payload.enterprise_id,
                module_code=payload.module_code,
                status=payload.status,
                completed_on=payload.completed_on,
            )
            # One cohort's progress; the cohort itself is not named (not every reader of
            # the enterprise may see it).
            batch.add(
                EventType.module_progress_changed,
                progress,
                enterprise_id=payload.enterprise_id,
                part=f"/{payload.cohort_id}/{payload.module_code}",
            )
            return payload.enterprise_id
        case upstream.ValuesSubmitted():
            groups: dict[tuple[UUID, UUID], list[dict[str, Any]]] = {}
            for fact in payload.values:
                groups.setdefault((fact.enterprise_id, fact.project_id), []).append(_value(fact))
            # Per enterprise and project: each reader gets exactly the values it may see.
            for (enterprise_id, project_id), values in groups.items():
                submitted = ValuesSubmittedData.model_validate(
                    {
                        "submission_id": payload.submission_id,
                        "enterprise_id": enterprise_id,
                        "values": values,
                    }
                )
                batch.add(
                    EventType.values_submitted,
                    submitted,
                    enterprise_id=enterprise_id,
                    project_id=project_id,
                    part=f"/{project_id}/{payload.part}",
                )
            return None
        case upstream.IndicatorValueSnapshot():
            value_event = _VALUE_EVENTS.get(type(payload))
            if value_event is None:
                return None
            fields = _value(payload)
            reason = getattr(payload, "reason", None)
            value = (
                ValueData.model_validate(fields)
                if value_event is EventType.value_validated
                else ValueChangeData.model_validate({**fields, "reason": reason})
            )
            batch.add(
                value_event,
                value,
                enterprise_id=payload.enterprise_id,
                project_id=payload.project_id,
            )
            counts = value_event in (EventType.value_validated, EventType.value_withdrawn)
            return payload.enterprise_id if counts else None
        case upstream.ImprovementProjectChanged():
            project = ImprovementProjectData(
                project_id=payload.project_id,
                enterprise_id=payload.enterprise_id,
                module_code=payload.module_code,
                title=payload.title,
                category=payload.category,
                status=payload.status,
                started_on=payload.started_on,
                completed_on=payload.completed_on,
                cost=payload.cost,
                savings=payload.savings,
                currency=payload.currency,
            )
            batch.add(
                EventType.improvement_project_changed, project, enterprise_id=payload.enterprise_id
            )
            return payload.enterprise_id
        case upstream.EitChanged():
            team = EitData.model_validate(payload.model_dump(exclude={"meeting_frequency"}))
            batch.add(EventType.eit_changed, team, enterprise_id=payload.enterprise_id)
            return payload.enterprise_id
        case upstream.SatisfactionRecorded():
            rating = SatisfactionData(
                response_id=payload.response_id,
                enterprise_id=payload.enterprise_id,
                module_code=payload.module_code,
                role=payload.role.value,
                sex=payload.sex.value,
                rating=payload.rating,
                would_recommend=payload.would_recommend,
                rated_on=payload.rated_on,
            )
            batch.add(EventType.satisfaction_recorded, rating, enterprise_id=payload.enterprise_id)
            return None
    return None


def _changed(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [
        section
        for section, keys in _SECTIONS.items()
        if any(previous.get(key) != current.get(key) for key in keys)
    ]


async def _supplier_status(
    session: AsyncSession, batch: _Batch, enterprise_id: UUID, *, new_buyer: UUID | None
) -> None:
    """``supplier.status_changed`` when the status differs from the one last published,
    to every consenting buyer; to ``new_buyer`` alone (its first) when only that changed."""
    # Imported here: the supplier service reaches the projector (through the read
    # models' status), which publishes through this module.
    from services.reporting.suppliers.service import snapshot_of

    snapshot = await snapshot_of(session, enterprise_id)
    if snapshot is None:
        return  # not in the read models yet: its registration will come
    current = snapshot.model_dump(mode="json", exclude={"changed"})
    previous = await partner_feed_repository.published_status(session, enterprise_id)
    changed = _changed(previous, current) if previous is not None else []
    if previous is not None and not changed and new_buyer is None:
        return
    if previous is None or changed:
        buyers = await partner_feed_repository.consenting_buyers(session, enterprise_id)
    else:
        buyers = [new_buyer] if new_buyer is not None else []
    data = SupplierStatusData.model_validate({**current, "changed": changed})
    batch.add(
        EventType.supplier_status_changed, data, enterprise_id=enterprise_id, buyer_ids=buyers
    )
    await partner_feed_repository.save_status(session, enterprise_id, current)


async def publish(session: AsyncSession, envelope: upstream.EventEnvelope) -> None:
    """Publish what ``envelope`` (already applied to the read models) means to partners."""
    payload = upstream.parse_payload(envelope)
    batch = _Batch(envelope)
    status_of = _direct(batch, payload)
    if batch.rows and await partner_feed_repository.exists(session, batch.rows[0]["id"]):
        # A replayed upstream event (a consumer cursor reset): published already. Its
        # status is not compared again either: the read models may be replaying an older
        # state, which is no change to tell anyone about.
        return
    if isinstance(payload, upstream.ConsentChanged) and payload.status is ConsentStatus.given:
        await _supplier_status(session, batch, payload.enterprise_id, new_buyer=payload.buyer_id)
    elif status_of is not None:
        await _supplier_status(session, batch, status_of, new_buyer=None)
    await partner_feed_repository.publish(session, batch.rows)
