"""Tenancy in the indicators service, decided on the enrolment replica.

Partner staff see their organisation's enterprises, trainers those of their cohorts, an
enterprise user their own, a programme manager those enrolled in their project; lead
buyers see nothing here (their view is reporting's supplier status).

Project records (measurement rounds) follow the project, never an enterprise: a partner
reads the rounds of the projects it takes part in, and only the ILO, the project's manager
and its partners plan them. A partner whose enterprise is enrolled in another partner's
project gains nothing of that project.
"""

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, func, or_, true
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaConsent,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from services.indicators.values.models import IndicatorValue
from shared.enums import ConsentStatus, Role
from shared.identity import Principal
from shared.sql import array_holds, column_of


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
        case Role.lead_buyer:
            # What a consenting supplier shares with a buyer is its SCORE status (stage,
            # modules, EIT, key indicator changes), which reporting serves by the one consent
            # rule; the raw records kept here are not part of it, for any buyer.
            return select(ReplicaEnterprise.id).where(false())
    return select(ReplicaEnterprise.id).where(false())


def enterprise_visible(enterprise_id_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the row's enterprise is one the principal may see."""
    ids = visible_enterprise_ids(principal)
    if ids is None:
        return true()
    return column_of(enterprise_id_column).in_(ids)


def shared_with_buyer(enterprise_id_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition for what a supplier shares with its buyers (business cases): seen
    with the enterprise, and by a lead buyer exactly while the supplier consents to share
    with it. The one buyer rule, consent alone, as in enrolment and reporting."""
    if principal.role is not Role.lead_buyer:
        return enterprise_visible(enterprise_id_column, principal)
    return column_of(enterprise_id_column).in_(
        select(ReplicaConsent.enterprise_id).where(
            ReplicaConsent.buyer_id == principal.organisation_id,
            ReplicaConsent.status == ConsentStatus.given.value,
        )
    )


def enterprise_data_visible(
    enterprise_id_column: Any, project_column: Any, principal: Principal
) -> ColumnElement[bool]:
    """A WHERE condition for an enterprise's data recorded in one project (its values):
    visible with the enterprise, and to a programme manager only within their project.
    The enterprise of a manager's project may be in other projects too; those are not theirs.
    The same rule as enrolment's enrolments, applied alike by REST and the graph."""
    condition = enterprise_visible(enterprise_id_column, principal)
    if principal.role is Role.programme_manager:
        return and_(condition, column_of(project_column) == principal.project_id)
    return condition


def value_visible(principal: Principal) -> ColumnElement[bool]:
    """Values of enterprises the caller may see; a manager's only within their project."""
    return enterprise_data_visible(
        IndicatorValue.enterprise_id, IndicatorValue.project_id, principal
    )


def _is_member(organisation_id: UUID | None, ids_column: Any) -> ColumnElement[bool]:
    return array_holds(ids_column, organisation_id)


def project_visible(project_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the caller may see the project's records (its rounds).

    The ILO every project; a manager their own; partner staff (and buyers, who are refused
    here anyway) the projects their organisation takes part in; a trainer the projects of
    their cohorts; an enterprise user the projects its enterprise is enrolled in. The same
    rule as enrolment's ``project_visible``.
    """
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return column_of(project_column) == principal.project_id
        case Role.partner_staff | Role.lead_buyer:
            return column_of(project_column).in_(
                select(ReplicaProject.id).where(
                    or_(
                        _is_member(principal.organisation_id, ReplicaProject.partner_ids),
                        _is_member(principal.organisation_id, ReplicaProject.funder_ids),
                    )
                )
            )
        case Role.trainer:
            return column_of(project_column).in_(
                select(ReplicaCohort.project_id).where(
                    array_holds(ReplicaCohort.trainer_ids, principal.trainer_id)
                )
            )
        case Role.enterprise_user:
            return column_of(project_column).in_(
                select(ReplicaEnrolment.project_id).where(
                    ReplicaEnrolment.enterprise_id == principal.enterprise_id
                )
            )
    return false()


def cohort_visible(principal: Principal) -> ColumnElement[bool]:
    """A cohort is its partner's, its project manager's, its trainers' and its members'
    (an enterprise user's exports still hold only its own values)."""
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(ReplicaCohort.project_id) == principal.project_id
        case Role.partner_staff:
            return col(ReplicaCohort.partner_id) == principal.organisation_id
        case Role.trainer:
            return col(ReplicaCohort.trainer_ids).contains([principal.trainer_id])
        case Role.enterprise_user:
            return col(ReplicaCohort.enterprise_ids).contains([principal.enterprise_id])
    return false()


def project_role(project_column: Any, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the caller has a role in the project, so may write its records.

    The ILO, the project's programme manager, and staff of one of the project's
    implementation partners.
    """
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return column_of(project_column) == principal.project_id
        case Role.partner_staff:
            return column_of(project_column).in_(
                select(ReplicaProject.id).where(
                    _is_member(principal.organisation_id, ReplicaProject.partner_ids)
                )
            )
    return false()


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
