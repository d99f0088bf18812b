"""Tenancy and statistical disclosure control in reporting, decided on the read models.

Every report narrows its rows with these conditions; every aggregate shown to someone
outside the owning partner and the ILO is disclosure-controlled (``disclosure.py``).
"""

from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, and_, any_, exists, false, func, literal, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from services.reporting.feed.models import PartnerEvent
from services.reporting.feed.schemas import (
    BUYER_EVENT_TYPES,
    WHOLE_ENTERPRISE_TYPES,
    EventType,
)
from services.reporting.readmodels.models import (
    RmCohort,
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmProject,
    RmTrainerCertification,
)
from services.reporting.webhooks.models import WebhookEndpoint
from shared.enums import ConsentStatus, Role
from shared.identity import Principal
from shared.sql import column_of


def visible_enterprise_ids(principal: Principal) -> SelectOfScalar[UUID] | None:
    """Ids of the enterprises whose data the principal may see, or None for all of them."""
    match principal.role:
        case Role.ilo_global | Role.service:
            return None
        case Role.programme_manager:
            return select(RmEnrolment.enterprise_id).where(
                RmEnrolment.project_id == principal.project_id
            )
        case Role.partner_staff:
            # An enterprise belongs to the partner that registered it, and to any partner
            # that enrolled it in a project.
            return select(RmEnterprise.id).where(
                or_(
                    col(RmEnterprise.partner_id) == principal.organisation_id,
                    col(RmEnterprise.id).in_(
                        select(RmEnrolment.enterprise_id).where(
                            RmEnrolment.partner_id == principal.organisation_id
                        )
                    ),
                )
            )
        case Role.lead_buyer:
            return consenting_supplier_ids(principal.organisation_id)
        case Role.trainer:
            return select(func.unnest(RmCohort.enterprise_ids)).where(
                col(RmCohort.trainer_ids).contains([principal.trainer_id])
            )
        case Role.enterprise_user:
            return select(RmEnterprise.id).where(RmEnterprise.id == principal.enterprise_id)
    return select(RmEnterprise.id).where(false())


def consenting_supplier_ids(buyer_id: UUID | None) -> SelectOfScalar[UUID]:
    """The one rule for lead buyers, as in enrolment: a buyer sees a supplier exactly while
    the supplier's current consent to share with that buyer is given. Nothing else counts
    (not the buyers a profile names); a withdrawal is a consent event like any other, so
    the supplier disappears from reports, the partner feed and webhooks once it is applied."""
    return select(RmConsent.enterprise_id).where(
        RmConsent.buyer_id == buyer_id, RmConsent.status == ConsentStatus.given.value
    )


def consenting_buyers(enterprise_id: UUID) -> SelectOfScalar[UUID]:
    """The same rule from the supplier's side: the buyers that may see the enterprise now."""
    return select(RmConsent.buyer_id).where(
        RmConsent.enterprise_id == enterprise_id, RmConsent.status == ConsentStatus.given.value
    )


def enterprise_visible(enterprise_id_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the row's enterprise is one the principal may see.

    ``enterprise_id_column`` is a model attribute or any SQL column (a CTE's, say).
    """
    ids = visible_enterprise_ids(principal)
    if ids is None:
        return true()
    return column_of(enterprise_id_column).in_(ids)


def project_visible(project_id_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition on a project-scoped row (values, enrolments, cohorts, targets).

    A programme manager sees their project's rows only, even for an enterprise that is
    also enrolled elsewhere; the other roles are narrowed by enterprise.
    """
    if principal.role is Role.programme_manager:
        return column_of(project_id_column) == principal.project_id
    return true()


def sees_every_pair(principal: Principal) -> bool:
    """Whether ``row_visible`` keeps every row for the principal (the ILO, services)."""
    return (
        visible_enterprise_ids(principal) is None and principal.role is not Role.programme_manager
    )


def row_visible(
    enterprise_id_column: Any, project_id_column: Any | None, principal: Principal
) -> ColumnElement[bool]:
    """Both rules at once, for rows that carry an enterprise and (maybe) a project."""
    condition = enterprise_visible(enterprise_id_column, principal)
    if project_id_column is not None:
        condition = and_(condition, project_visible(project_id_column, principal))
    return condition


def projects_of_partner(organisation_id: UUID | None) -> SelectOfScalar[UUID]:
    """Projects a partner delivers: those listing it among their implementation partners.

    Not the projects its enterprises are enrolled in: an enterprise shared with another
    partner's project gives its own partner no role in that project."""
    return select(RmProject.id).where(col(RmProject.partner_ids).contains([organisation_id]))


async def partner_delivers(
    session: AsyncSession, organisation_id: UUID | None, project_id: UUID
) -> bool:
    """Whether the organisation is one of the project's delivering partners."""
    delivered = projects_of_partner(organisation_id).where(col(RmProject.id) == project_id)
    return bool(await session.scalar(select(exists(delivered))))


def project_records_visible(project_id_column: Any, principal: Principal) -> ColumnElement[bool]:
    """Project-level records (targets, training costs, cost recovery): the ILO all, a
    programme manager their project's, partner staff the projects their organisation is a
    partner of; nobody else (they are not tenant data of buyers, enterprises or trainers)."""
    column = column_of(project_id_column)
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return column == principal.project_id
        case Role.partner_staff:
            return column.in_(projects_of_partner(principal.organisation_id))
    return false()


def cohort_visible(principal: Principal) -> ColumnElement[bool]:
    """Whose cohorts the caller may name (id and name), as enrolment decides: the ILO all,
    a programme manager their project's, partner staff their organisation's, a trainer
    theirs, an enterprise user its own; never a buyer. An enterprise's completed modules
    stay visible with the enterprise; only the cohort behind them is hidden."""
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(RmCohort.project_id) == principal.project_id
        case Role.partner_staff:
            return col(RmCohort.partner_id) == principal.organisation_id
        case Role.trainer:
            return col(RmCohort.trainer_ids).contains([principal.trainer_id])
        case Role.enterprise_user:
            return col(RmCohort.enterprise_ids).contains([principal.enterprise_id])
    return false()


def trainer_certification_visible(principal: Principal) -> ColumnElement[bool]:
    """Certified trainers are counted by the ILO everywhere, by a partner for its own
    trainers, by a programme manager for the trainers of the project's cohorts."""
    trainer = col(RmTrainerCertification.trainer_id)
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.partner_staff:
            return col(RmTrainerCertification.organisation_id) == principal.organisation_id
        case Role.programme_manager:
            return trainer.in_(
                select(func.unnest(RmCohort.trainer_ids)).where(
                    RmCohort.project_id == principal.project_id
                )
            )
        case Role.trainer:
            return trainer == principal.trainer_id
    return false()


def sees_whole_enterprise(principal: Principal) -> bool:
    """Whether the caller may see an enterprise's status across all its projects (the
    supplier status): not a programme manager or a trainer, who see one project's part."""
    return principal.role not in (Role.programme_manager, Role.trainer)


def partner_event_visible(principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition on ``partner_event``: the events the caller may read (the feed) or
    receive (its webhooks), decided again at every read and every delivery.

    A lead buyer receives the buyer-facing events of a supplier that consented to share
    with it both when the event was published and now, so a withdrawal stops its events at
    once, even those already published and not yet delivered. Everyone else reads the
    events of the enterprises they see, a programme manager its project's only; the
    whole-enterprise status is not theirs to receive (it spans every project)."""
    event_type = col(PartnerEvent.event_type)
    enterprise = col(PartnerEvent.enterprise_id)
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.lead_buyer:
            # Consent given now, and not withdrawn since the event was published: once
            # withdrawn and given again, what was published in between stays the
            # supplier's (positions, not clocks, tell what came after).
            withdrawal = cast(Any, PartnerEvent).__table__.alias("withdrawal").c
            withdrawn_since = exists().where(
                withdrawal.enterprise_id == enterprise,
                withdrawal.event_type == str(EventType.consent_changed),
                withdrawal.position > col(PartnerEvent.position),
                withdrawal.payload["buyer_id"].astext == str(principal.organisation_id),
                withdrawal.payload["status"].astext == "withdrawn",
            )
            consents_since = and_(
                enterprise.in_(consenting_supplier_ids(principal.organisation_id)),
                ~withdrawn_since,
            )
            return and_(
                event_type.in_([str(kind) for kind in BUYER_EVENT_TYPES]),
                literal(principal.organisation_id, Uuid) == any_(col(PartnerEvent.buyer_ids)),
                consents_since,
            )
        case Role.programme_manager | Role.trainer:
            project = col(PartnerEvent.project_id)
            return and_(
                event_type.not_in([str(kind) for kind in WHOLE_ENTERPRISE_TYPES]),
                enterprise_visible(enterprise, principal),
                or_(project.is_(None), project_visible(project, principal)),
            )
        case Role.partner_staff | Role.enterprise_user:
            return enterprise_visible(enterprise, principal)
    return false()


def webhook_endpoint_visible(principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition on ``webhook_endpoint``: the endpoints a caller manages and reads
    the log of. Its owner's tenancy (same role, same organisation, project, enterprise or
    trainer), whoever of that tenancy registered it; the ILO sees every endpoint."""
    if principal.role is Role.ilo_global:
        return true()
    if principal.role is Role.service:
        return false()
    anchors = (
        (WebhookEndpoint.owner_organisation_id, principal.organisation_id),
        (WebhookEndpoint.owner_project_id, principal.project_id),
        (WebhookEndpoint.owner_enterprise_id, principal.enterprise_id),
        (WebhookEndpoint.owner_trainer_id, principal.trainer_id),
    )
    return and_(
        col(WebhookEndpoint.owner_role) == principal.role.value,
        *[
            col(column).is_(None) if value is None else col(column) == value
            for column, value in anchors
        ],
    )


def suppression_applies(principal: Principal) -> bool:
    """Whether small groups are hidden from this caller.

    The ILO sees everything; partner staff see only their own enterprises' data, which
    is theirs to see in any detail. Everyone else (a programme manager looking across
    partners, a buyer, an enterprise user, a trainer) sees small groups suppressed.
    """
    return principal.role not in (Role.ilo_global, Role.service, Role.partner_staff)
