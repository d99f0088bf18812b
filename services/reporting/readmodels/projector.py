"""Projects enrolment's and indicators' events onto the read models, one upsert per event.

Every handler writes the state the event describes, never an increment, and takes its
timestamps from the event, so re-applying any event (a replay from position 0) converges
on exactly the same rows.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.feed.publisher import publish
from services.reporting.impact import repository as impact_repository
from services.reporting.readmodels.models import (
    RmCohort,
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmImprovementPlan,
    RmImprovementProject,
    RmImprovementTeam,
    RmIndicator,
    RmModuleProgress,
    RmOrganisation,
    RmParticipant,
    RmProgrammeEvent,
    RmProject,
    RmRound,
    RmSatisfaction,
    RmSuggestion,
    RmTrainerCertification,
)
from services.reporting.readmodels.repository import (
    VALIDATED,
    VALUE_SLOT,
    read_model_repository,
)
from shared.events import (
    CohortChanged,
    ConsentChanged,
    EitChanged,
    EnterpriseRegistered,
    EnterpriseSnapshot,
    EventEnvelope,
    ImprovementPlanChanged,
    ImprovementProjectChanged,
    IndicatorSnapshot,
    IndicatorValueFact,
    MeasurementRoundCreated,
    ModuleProgressChanged,
    OrganisationChanged,
    ParticipantChanged,
    ProgrammeEventAttendance,
    ProgrammeEventChanged,
    ProjectChanged,
    SatisfactionRecorded,
    StageChanged,
    SuggestionChanged,
    TrainerCertified,
    TrainerUpdated,
    ValuesSubmitted,
    ValueValidated,
    ValueWithdrawn,
    parse_payload,
)
from shared.sql import upsert

ENROLMENT_CONSUMER = "reporting.enrolment"
INDICATORS_CONSUMER = "reporting.indicators"

# Rows keyed by a natural key get an id derived from it, identical on every replay.
_DERIVED_IDS = uuid5(NAMESPACE_URL, "https://score.ilo.org/reporting/read-models")

# Values of these rounds make matched pairs (impact.repository.refresh_pairs).
PAIRED_ROUNDS = frozenset({"baseline", "endline"})


def derived_id(*parts: object) -> UUID:
    return uuid5(_DERIVED_IDS, "/".join(str(part) for part in parts))


# --- enrolment ---------------------------------------------------------------------------


async def apply_enrolment_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    """Project the event, then publish what it means to partners (services/reporting/feed)
    in the same transaction."""
    await _project_enrolment_event(session, envelope)
    await publish(session, envelope)


async def _project_enrolment_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    payload = parse_payload(envelope)
    at = envelope.occurred_at
    match payload:
        case OrganisationChanged():
            await upsert(
                session,
                RmOrganisation,
                [
                    {
                        "id": payload.organisation_id,
                        "name": payload.name,
                        "short_name": payload.short_name,
                        "kind": payload.kind.value,
                        "country": payload.country,
                        "updated_at": at,
                    }
                ],
            )
        case ProjectChanged():
            await upsert(
                session,
                RmProject,
                [
                    {
                        "id": payload.project_id,
                        "name": payload.name,
                        "country": payload.country,
                        "start_date": payload.start_date,
                        "end_date": payload.end_date,
                        "partner_ids": payload.partner_ids,
                        "funder_ids": payload.funder_ids,
                        "updated_at": at,
                    }
                ],
            )
        case EnterpriseSnapshot():
            await upsert(
                session,
                RmEnterprise,
                [
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
                        "buyer_ids": payload.buyer_ids,
                        "registered_at": at,
                        "updated_at": at,
                    }
                ],
                # Only the registration dates the enterprise; an update that arrives for
                # an unseen enterprise dates it provisionally.
                keep=() if isinstance(payload, EnterpriseRegistered) else ("registered_at",),
            )
        case StageChanged():
            await upsert(
                session,
                RmEnrolment,
                [
                    {
                        "id": payload.enrolment_id,
                        "enterprise_id": payload.enterprise_id,
                        "project_id": payload.project_id,
                        "partner_id": payload.partner_id,
                        "stage": payload.to_stage.value,
                        "stage_changed_at": at,
                        "updated_at": at,
                    }
                ],
            )
        case ConsentChanged():
            await upsert(
                session,
                RmConsent,
                [
                    {
                        "id": payload.consent_id,
                        "enterprise_id": payload.enterprise_id,
                        "buyer_id": payload.buyer_id,
                        "status": payload.status.value,
                        "changed_at": at,
                    }
                ],
            )
        case CohortChanged():
            await upsert(
                session,
                RmCohort,
                [
                    {
                        "id": payload.cohort_id,
                        "project_id": payload.project_id,
                        "partner_id": payload.partner_id,
                        "module_code": payload.module_code,
                        "name": payload.name,
                        "start_date": payload.start_date,
                        "enterprise_ids": payload.enterprise_ids,
                        "trainer_ids": payload.trainer_ids,
                        "updated_at": at,
                    }
                ],
            )
        case ParticipantChanged():
            await upsert(
                session,
                RmParticipant,
                [
                    {
                        "id": payload.participant_id,
                        "cohort_id": payload.cohort_id,
                        "enterprise_id": payload.enterprise_id,
                        "role": payload.role.value,
                        "sex": payload.sex.value,
                        "removed": payload.removed,
                        "updated_at": at,
                    }
                ],
            )
        case ModuleProgressChanged():
            await upsert(
                session,
                RmModuleProgress,
                [
                    {
                        "id": derived_id(
                            "module-progress",
                            payload.enterprise_id,
                            payload.cohort_id,
                            payload.module_code,
                        ),
                        "enterprise_id": payload.enterprise_id,
                        "cohort_id": payload.cohort_id,
                        "module_code": payload.module_code,
                        "status": payload.status,
                        "completed_on": payload.completed_on,
                        "updated_at": at,
                    }
                ],
                key=("enterprise_id", "cohort_id", "module_code"),
            )
        case TrainerCertified():
            await upsert(
                session,
                RmTrainerCertification,
                [
                    {
                        "id": derived_id("certification", payload.trainer_id, payload.module_code),
                        "trainer_id": payload.trainer_id,
                        "organisation_id": payload.organisation_id,
                        "module_code": payload.module_code,
                        "level": payload.level.value,
                        "sex": payload.sex.value,
                        "country": payload.country,
                        "certified_at": at,
                        "certified_on": payload.certified_on,
                    }
                ],
                key=("trainer_id", "module_code"),
                # A promotion to expert keeps the date the trainer was first certified; an
                # event that does not carry the day awarded keeps the one known.
                keep=("certified_at",)
                if payload.certified_on
                else ("certified_at", "certified_on"),
            )
        case TrainerUpdated():
            await read_model_repository.update_trainer(
                session,
                payload.trainer_id,
                organisation_id=payload.organisation_id,
                sex=payload.sex.value,
                country=payload.country,
            )
        case ProgrammeEventChanged():
            await upsert(
                session,
                RmProgrammeEvent,
                [
                    {
                        "id": payload.programme_event_id,
                        "project_id": payload.project_id,
                        "kind": payload.kind,
                        "held_on": payload.held_on,
                        "cancelled": payload.cancelled,
                        "updated_at": at,
                    }
                ],
            )
        case ProgrammeEventAttendance():
            await read_model_repository.replace_event_attendees(
                session,
                payload.programme_event_id,
                [
                    {
                        "id": person.attendee_id,
                        "event_id": payload.programme_event_id,
                        "enterprise_id": person.enterprise_id,
                        "role": person.role.value,
                        "sex": person.sex.value,
                        "updated_at": at,
                    }
                    for person in payload.attendees
                ],
            )
        case _:
            # Applications and anything newer than this code only advance the cursor.
            return


# --- indicators --------------------------------------------------------------------------


def _value_row(fact: IndicatorValueFact, at: datetime) -> dict[str, Any]:
    return {
        "value_id": fact.value_id,
        "enterprise_id": fact.enterprise_id,
        "project_id": fact.project_id,
        "indicator_id": fact.indicator_id,
        "indicator_code": fact.indicator_code,
        "indicator_version": fact.indicator_version,
        "round_id": fact.round_id,
        "round_kind": fact.round_kind,
        "round_sequence": fact.round_sequence,
        "month": fact.month,
        "sex": fact.sex.value if fact.sex else None,
        "role": fact.role.value if fact.role else None,
        "value": fact.value,
        "value_bool": fact.value_bool,
        "currency": fact.currency,
        "status": fact.status,
        "value_version": fact.value_version,
        "derived": fact.derived,
        "pending_value_id": None,
        "pending_status": None,
        "updated_at": at,
    }


async def _values(
    session: AsyncSession,
    facts: Sequence[IndicatorValueFact],
    at: datetime,
    *,
    counted: bool = False,
) -> None:
    """The newest fact per slot takes the slot's row (see ``upsert_values``)."""
    rows = list(
        {
            tuple(row[c] for c in VALUE_SLOT): row for row in (_value_row(f, at) for f in facts)
        }.values()
    )
    await read_model_repository.upsert_values(session, rows, counted=counted)
    # The pairs these values may make or break, paired anew in the same transaction: totals,
    # sex parts, and role parts (which may add up to a total no one entered). Pairs are made
    # of validated values only, and ``upsert_values`` keeps a slot's validated version until
    # a fact that counts arrives: so only a validated fact or one that counts (a validation,
    # a withdrawal) can change them. A batch submitted for review re-paired nothing, yet
    # paid for pairing every enterprise and indicator in it.
    paired = [
        f
        for f in facts
        if f.round_kind in PAIRED_ROUNDS
        and (f.role is None or f.sex is None)
        and (counted or f.status == VALIDATED)
    ]
    if paired:
        await impact_repository.refresh_pairs(
            session,
            enterprise_ids={f.enterprise_id for f in paired},
            indicator_codes={f.indicator_code for f in paired},
        )


async def apply_indicators_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    """As ``apply_enrolment_event``, for indicators' events."""
    await _project_indicators_event(session, envelope)
    await publish(session, envelope)


async def _project_indicators_event(session: AsyncSession, envelope: EventEnvelope) -> None:
    payload = parse_payload(envelope)
    at = envelope.occurred_at
    match payload:
        case ValuesSubmitted():
            await _values(session, payload.values, at)
        case ValueValidated() | ValueWithdrawn():
            # What counts changes: the validated version, or none once it is withdrawn.
            await _values(session, [payload], at, counted=True)
        case IndicatorValueFact():
            # value.returned and value.corrected carry the whole (pending) version.
            await _values(session, [payload], at)
        case IndicatorSnapshot():
            await upsert(
                session,
                RmIndicator,
                [
                    {
                        "id": payload.indicator_id,
                        "code": payload.code,
                        "definition_version": payload.definition_version,
                        "name_en": payload.name_en,
                        "name_fr": payload.name_fr,
                        "name_es": payload.name_es,
                        "kind": payload.kind,
                        "unit": payload.unit,
                        "direction": payload.direction,
                        "module_code": payload.module_code,
                        "disaggregations": list(payload.disaggregations),
                        "active": payload.active,
                        "updated_at": at,
                    }
                ],
            )
        case MeasurementRoundCreated():
            await upsert(
                session,
                RmRound,
                [
                    {
                        "id": payload.round_id,
                        "project_id": payload.project_id,
                        "kind": payload.kind,
                        "sequence": payload.sequence,
                        "name": payload.name,
                        "starts_on": payload.starts_on,
                        "ends_on": payload.ends_on,
                    }
                ],
            )
        case EitChanged():
            await upsert(
                session,
                RmImprovementTeam,
                [
                    {
                        "id": payload.team_id,
                        "enterprise_id": payload.enterprise_id,
                        "formed_on": payload.formed_on,
                        "in_place": payload.in_place,
                        "managers_female": payload.managers_female,
                        "managers_male": payload.managers_male,
                        "workers_female": payload.workers_female,
                        "workers_male": payload.workers_male,
                        "meeting_count": payload.meeting_count,
                        "last_meeting_on": payload.last_meeting_on,
                        "updated_at": at,
                    }
                ],
            )
        case ImprovementProjectChanged():
            await upsert(
                session,
                RmImprovementProject,
                [
                    {
                        "id": payload.project_id,
                        "enterprise_id": payload.enterprise_id,
                        "module_code": payload.module_code,
                        "title": payload.title,
                        "category": payload.category,
                        "status": payload.status,
                        "started_on": payload.started_on,
                        "completed_on": payload.completed_on,
                        "cost": payload.cost,
                        "savings": payload.savings,
                        "currency": payload.currency,
                        "updated_at": at,
                    }
                ],
            )
        case ImprovementPlanChanged():
            await upsert(
                session,
                RmImprovementPlan,
                [
                    {
                        "id": payload.plan_id,
                        "enterprise_id": payload.enterprise_id,
                        "module_code": payload.module_code,
                        "status": payload.status,
                        "agreed_on": payload.agreed_on,
                        "completed_on": payload.completed_on,
                        "actions": payload.actions,
                        "actions_done": payload.actions_done,
                        "updated_at": at,
                    }
                ],
            )
        case SuggestionChanged():
            await upsert(
                session,
                RmSuggestion,
                [
                    {
                        "id": payload.suggestion_id,
                        "enterprise_id": payload.enterprise_id,
                        "role": payload.role,
                        "sex": payload.sex,
                        "status": payload.status,
                        "submitted_on": payload.submitted_on,
                        "decided_on": payload.decided_on,
                        "reward_paid": payload.reward_paid,
                        "savings": payload.savings,
                        "currency": payload.currency,
                        "updated_at": at,
                    }
                ],
            )
        case SatisfactionRecorded():
            await upsert(
                session,
                RmSatisfaction,
                [
                    {
                        "id": payload.response_id,
                        "enterprise_id": payload.enterprise_id,
                        "cohort_id": payload.cohort_id,
                        "participant_id": payload.participant_id,
                        "module_code": payload.module_code,
                        "role": payload.role.value,
                        "sex": payload.sex.value,
                        "rating": payload.rating,
                        "would_recommend": payload.would_recommend,
                        "rated_on": payload.rated_on,
                        "recorded_at": at,
                    }
                ],
            )
        case _:
            return
