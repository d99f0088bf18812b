"""Tenancy as a rule of every query: which rows a principal may see.

Each function returns a SQL condition to put in a WHERE clause. Repositories always apply
one, so an object outside the caller's tenancy behaves exactly like a missing one (404).
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from services.enrolment.calls.models import Application, Call
from services.enrolment.cohorts.models import Cohort, CohortEnterprise, CohortTrainer
from services.enrolment.consent.models import Consent
from services.enrolment.enterprises.models import Enterprise
from services.enrolment.lifecycle.models import Enrolment
from services.enrolment.organisations.models import Project, ProjectOrganisation
from services.enrolment.programme_events.models import ProgrammeEvent
from services.enrolment.trainers.models import Trainer
from shared.enums import ConsentStatus, Role
from shared.identity import Principal


def _trainer_cohort_ids(trainer_id: Any) -> SelectOfScalar[UUID]:
    return select(CohortTrainer.cohort_id).where(CohortTrainer.trainer_id == trainer_id)


def visible_enterprise_ids(principal: Principal) -> SelectOfScalar[UUID] | None:
    """Ids of the enterprises the principal may see, or None for "all of them"."""
    return role_visible_enterprise_ids(principal.role, principal.tenant_id)


def role_visible_enterprise_ids(role: Role, tenant_id: Any) -> SelectOfScalar[UUID] | None:
    """``visible_enterprise_ids`` of a principal of ``role`` whose ``tenant_id`` is given:
    the id itself, or a bound parameter standing for it in a statement compiled once for
    every principal of the role (the same rule either way)."""
    match role:
        case Role.ilo_global | Role.service:
            return None
        case Role.programme_manager:
            return select(Enrolment.enterprise_id).where(Enrolment.project_id == tenant_id)
        case Role.partner_staff:
            return select(Enterprise.id).where(Enterprise.partner_id == tenant_id)
        case Role.trainer:
            return select(CohortEnterprise.enterprise_id).where(
                col(CohortEnterprise.cohort_id).in_(_trainer_cohort_ids(tenant_id))
            )
        case Role.enterprise_user:
            return select(Enterprise.id).where(Enterprise.id == tenant_id)
        case Role.lead_buyer:
            # The one buyer rule, the same in reporting (its read models), the partner feed
            # and webhooks: a buyer sees a supplier exactly while the supplier consents to
            # share with it (not because a profile names it among its buyers).
            return select(Consent.enterprise_id).where(
                Consent.buyer_id == tenant_id,
                Consent.status == ConsentStatus.given,
            )
    return select(Enterprise.id).where(false())


def sees_every_enterprise(principal: Principal) -> bool:
    """Whether no enterprise is hidden from the principal (the ILO, services)."""
    return visible_enterprise_ids(principal) is None


def enterprise_visible(principal: Principal, column: Any = Enterprise.id) -> ColumnElement[bool]:
    """The row's enterprise (``column``, the enterprise's own id by default) is visible.

    Rows about one enterprise in a shared record (a cohort's participants, visits) are
    narrowed by it too, so an enterprise user reads its own, not its classmates'.
    """
    return role_enterprise_visible(principal.role, principal.tenant_id, column)


def role_enterprise_visible(
    role: Role, tenant_id: Any, column: Any = Enterprise.id
) -> ColumnElement[bool]:
    """``enterprise_visible`` by role and tenant id (``role_visible_enterprise_ids``)."""
    ids = role_visible_enterprise_ids(role, tenant_id)
    return true() if ids is None else col(column).in_(ids)


def enterprise_enrollable(principal: Principal, project_id: UUID) -> ColumnElement[bool]:
    """The enterprise may be enrolled by the caller in the project (one it may see).

    A programme manager sees an enterprise only once it is enrolled in their project, so
    they may also enrol enterprises recruited by one of their project's partners - and no
    other, or enrolling would expose another country's enterprise to them.
    """
    condition = enterprise_visible(principal)
    if principal.role is Role.programme_manager:
        project_partners = select(ProjectOrganisation.organisation_id).where(
            ProjectOrganisation.project_id == project_id,
            ProjectOrganisation.relation == "partner",
        )
        condition = or_(condition, col(Enterprise.partner_id).in_(project_partners))
    return condition


def enrolment_visible(principal: Principal) -> ColumnElement[bool]:
    """An enrolment is visible with its enterprise; a programme manager's only in their project.

    Without the project rule a manager would see the enterprise's enrolments in other
    countries' projects, because the enterprise itself is visible to them.
    """
    ids = visible_enterprise_ids(principal)
    condition: ColumnElement[bool] = (
        true() if ids is None else col(Enrolment.enterprise_id).in_(ids)
    )
    if principal.role is Role.programme_manager:
        condition = and_(condition, col(Enrolment.project_id) == principal.project_id)
    return condition


def project_visible(principal: Principal) -> ColumnElement[bool]:
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(Project.id) == principal.project_id
        case Role.partner_staff | Role.lead_buyer:
            return col(Project.id).in_(
                select(ProjectOrganisation.project_id).where(
                    ProjectOrganisation.organisation_id == principal.organisation_id
                )
            )
        case Role.enterprise_user:
            return col(Project.id).in_(
                select(Enrolment.project_id).where(
                    Enrolment.enterprise_id == principal.enterprise_id
                )
            )
        case Role.trainer:
            return col(Project.id).in_(
                select(Cohort.project_id).where(
                    col(Cohort.id).in_(_trainer_cohort_ids(principal.trainer_id))
                )
            )
    return false()


def programme_event_visible(principal: Principal) -> ColumnElement[bool]:
    """A programme event is visible with its project; who attended is narrowed further by
    enterprise (``enterprise_visible``), so a caller reads its own enterprises' people."""
    return col(ProgrammeEvent.project_id).in_(select(Project.id).where(project_visible(principal)))


def call_visible(principal: Principal) -> ColumnElement[bool]:
    """Calls for expression of interest are public announcements: any caller may read them."""
    del principal
    return col(Call.id).is_not(None)


def application_visible(principal: Principal) -> ColumnElement[bool]:
    """An application is visible with its enterprise; a programme manager's only in their project.

    Without the project rule a manager would see the enterprise's applications to other
    countries' calls, because the enterprise itself is visible to them.
    """
    ids = visible_enterprise_ids(principal)
    condition: ColumnElement[bool] = (
        true() if ids is None else col(Application.enterprise_id).in_(ids)
    )
    if principal.role is Role.programme_manager:
        own_calls = select(Call.id).where(Call.project_id == principal.project_id)
        condition = and_(condition, col(Application.call_id).in_(own_calls))
    return condition


def cohort_visible(principal: Principal) -> ColumnElement[bool]:
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(Cohort.project_id) == principal.project_id
        case Role.partner_staff:
            return col(Cohort.partner_id) == principal.organisation_id
        case Role.trainer:
            return col(Cohort.id).in_(_trainer_cohort_ids(principal.trainer_id))
        case Role.enterprise_user:
            return col(Cohort.id).in_(
                select(CohortEnterprise.cohort_id).where(
                    CohortEnterprise.enterprise_id == principal.enterprise_id
                )
            )
    return false()


def trainer_visible(principal: Principal) -> ColumnElement[bool]:
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(Trainer.id).in_(
                select(CohortTrainer.trainer_id)
                .join(Cohort, col(Cohort.id) == col(CohortTrainer.cohort_id))
                .where(Cohort.project_id == principal.project_id)
            )
        case Role.partner_staff:
            return col(Trainer.organisation_id) == principal.organisation_id
        case Role.trainer:
            return col(Trainer.id) == principal.trainer_id
        case Role.enterprise_user:
            # An enterprise knows who trains it: the trainers of its cohorts.
            return col(Trainer.id).in_(
                select(CohortTrainer.trainer_id).where(
                    col(CohortTrainer.cohort_id).in_(
                        select(CohortEnterprise.cohort_id).where(
                            CohortEnterprise.enterprise_id == principal.enterprise_id
                        )
                    )
                )
            )
    return false()


def shown_buyer_ids(principal: Principal, buyer_ids: Sequence[UUID]) -> list[UUID]:
    """The buyers of an enterprise the caller may know of: a lead buyer only itself (a
    buyer never learns which other buyers a supplier works with); others all of them."""
    if principal.role is Role.lead_buyer:
        return [buyer for buyer in buyer_ids if buyer == principal.organisation_id]
    return list(buyer_ids)
