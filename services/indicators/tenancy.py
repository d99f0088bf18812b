"""Tenancy in the indicators service, decided on the enrolment replica.

Partner staff see their organisation's enterprises, trainers those of their cohorts, an
enterprise user their own, a programme manager those enrolled in their project; lead
buyers see nothing here (their view is reporting's supplier status).
"""

from uuid import UUID

from sqlalchemy import ColumnElement, false, func, true
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from services.indicators.replica.models import ReplicaCohort, ReplicaEnrolment, ReplicaEnterprise
from shared.enums import Role
from shared.identity import Principal


def visible_enterprise_ids(principal: Principal) -> SelectOfScalar[UUID] | None:
    """Ids of the enterprises the principal may see here, or None for all of them."""
    match principal.role:
        case Role.ilo_global | Role.service:
            return None
        case Role.programme_manager:
            return select(ReplicaEnrolment.enterprise_id).where(
                ReplicaEnrolment.project_id == principal.project_id
            )
        case Role.partner_staff:
            return select(ReplicaEnterprise.id).where(
                ReplicaEnterprise.partner_id == principal.organisation_id
            )
        case Role.trainer:
            return select(func.unnest(ReplicaCohort.enterprise_ids)).where(
                col(ReplicaCohort.trainer_ids).contains([principal.trainer_id])
            )
        case Role.enterprise_user:
            return select(ReplicaEnterprise.id).where(
                ReplicaEnterprise.id == principal.enterprise_id
            )
    return select(ReplicaEnterprise.id).where(false())


def enterprise_visible(enterprise_id_column: UUID, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the row's enterprise is one the principal may see."""
    ids = visible_enterprise_ids(principal)
    if ids is None:
        return true()
    return col(enterprise_id_column).in_(ids)


def can_enter_values(principal: Principal) -> bool:
    """Who records data (tenancy still narrows it to their enterprises)."""
    return principal.role in (
        Role.ilo_global,
        Role.partner_staff,
        Role.trainer,
        Role.enterprise_user,
    )


def can_review_values(principal: Principal) -> bool:
    """Who validates or returns submitted values: the partner, the project's manager, ILO."""
    return principal.role in (Role.ilo_global, Role.programme_manager, Role.partner_staff)
