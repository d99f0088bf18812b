"""Read-model rows written straight into reporting's (rolled-back) test session, for the
analytics tests that pin down one SQL rule at a time; the known-answer test goes through the
public APIs instead."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.app import create_app
from services.reporting.impact.repository import refresh_pairs
from services.reporting.readmodels.models import (
    RmCohort,
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmIndicator,
    RmModuleProgress,
    RmOrganisation,
    RmParticipant,
    RmProject,
    RmRound,
    RmSatisfaction,
    RmTrainerCertification,
    RmValue,
)
from shared.db import Database
from shared.enums import Role
from shared.identity import Principal
from shared.ids import new_id
from tests.conftest import APPS, asgi_api
from tests.enrolment.support import Api
from tests.reporting.fixtures import reporting_settings

AT = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class Rows:
    """A small world of read-model rows, added to ``session`` as they are made."""

    session: AsyncSession
    rounds: dict[tuple[UUID, str, int], UUID] = field(default_factory=dict)
    buyer_links: list[tuple[UUID, UUID]] = field(default_factory=list)

    def add(self, row: Any) -> Any:
        self.session.add(row)
        return row

    def organisation(self, name: str, kind: str = "implementation_partner") -> UUID:
        return self.add(RmOrganisation(id=new_id(), name=name, kind=kind, updated_at=AT)).id  # type: ignore[no-any-return]

    def project(
        self, name: str, country: str, partner_ids: list[UUID], *, start: date | None = None
    ) -> UUID:
        return self.add(  # type: ignore[no-any-return]
            RmProject(
                id=new_id(),
                name=name,
                country=country,
                partner_ids=partner_ids,
                start_date=start,
                updated_at=AT,
            )
        ).id

    def enterprise(
        self,
        *,
        partner_id: UUID | None,
        project_id: UUID | None = None,
        country: str = "PK",
        sector: str = "textile",
        workforce: int | None = 300,
        stage: str = "level1",
        enrolment_partner_id: UUID | None = None,
        buyer_ids: list[UUID] | None = None,
    ) -> UUID:
        enterprise = self.add(
            RmEnterprise(
                id=new_id(),
                name=f"Enterprise {new_id().hex[:6]}",
                country=country,
                sector=sector,
                partner_id=partner_id,
                workforce_total=workforce,
                buyer_ids=buyer_ids or [],
                registered_at=AT,
                updated_at=AT,
            )
        )
        if project_id is not None:
            self.enrol(enterprise.id, project_id, enrolment_partner_id or partner_id, stage=stage)
        return enterprise.id  # type: ignore[no-any-return]

    def enrol(
        self, enterprise_id: UUID, project_id: UUID, partner_id: UUID | None, *, stage: str
    ) -> None:
        self.add(
            RmEnrolment(
                id=new_id(),
                enterprise_id=enterprise_id,
                project_id=project_id,
                partner_id=partner_id,
                stage=stage,
                stage_changed_at=AT,
                updated_at=AT,
            )
        )

    def consent(self, enterprise_id: UUID, buyer_id: UUID, status: str = "given") -> None:
        # A supplier names its buyer in its profile, as the buyers' tenancy requires.
        self.buyer_links.append((enterprise_id, buyer_id))
        self.add(
            RmConsent(
                id=new_id(),
                enterprise_id=enterprise_id,
                buyer_id=buyer_id,
                status=status,
                changed_at=AT,
            )
        )

    def indicator(
        self,
        code: str,
        *,
        kind: str = "rate",
        direction: str = "up",
        unit: str = "%",
        disaggregations: tuple[str, ...] = (),
    ) -> str:
        self.add(
            RmIndicator(
                id=new_id(),
                code=code,
                definition_version=1,
                name_en=f"{code} (test)",
                name_fr=code,
                name_es=code,
                kind=kind,
                unit=unit,
                direction=direction,
                disaggregations=list(disaggregations),
                updated_at=AT,
            )
        )
        return code

    def round(
        self, project_id: UUID, kind: str, sequence: int = 1, *, ends_on: date = date(2024, 6, 30)
    ) -> UUID:
        key = (project_id, kind, sequence)
        if key not in self.rounds:
            self.rounds[key] = self.add(
                RmRound(
                    id=new_id(),
                    project_id=project_id,
                    kind=kind,
                    sequence=sequence,
                    name=f"{kind} {sequence}",
                    starts_on=date(ends_on.year, 1, 1),
                    ends_on=ends_on,
                )
            ).id
        return self.rounds[key]

    async def value(
        self,
        enterprise_id: UUID,
        project_id: UUID,
        code: str,
        kind: str,
        amount: float | bool | None,
        *,
        sequence: int = 1,
        status: str = "validated",
        sex: str | None = None,
        role: str | None = None,
        currency: str | None = None,
        ends_on: date = date(2024, 6, 30),
        month: date | None = None,
    ) -> None:
        indicator = (
            await self.session.exec(select(RmIndicator).where(RmIndicator.code == code))
        ).one()
        round_id = None if month else self.round(project_id, kind, sequence, ends_on=ends_on)
        self.add(
            RmValue(
                value_id=new_id(),
                enterprise_id=enterprise_id,
                project_id=project_id,
                indicator_id=indicator.id,
                indicator_code=code,
                indicator_version=1,
                round_id=round_id,
                round_kind=None if month else kind,
                round_sequence=None if month else sequence,
                month=month,
                sex=sex,
                role=role,
                value=None if isinstance(amount, bool) or amount is None else Decimal(str(amount)),
                value_bool=amount if isinstance(amount, bool) else None,
                currency=currency,
                status=status,
                value_version=1,
                updated_at=AT,
            )
        )

    async def pair(
        self,
        enterprise_id: UUID,
        project_id: UUID,
        code: str,
        base: float | bool,
        end: float | bool,
        **extra: Any,
    ) -> None:
        await self.value(enterprise_id, project_id, code, "baseline", base, **extra)
        await self.value(enterprise_id, project_id, code, "endline", end, **extra)

    def cohort(
        self,
        project_id: UUID,
        partner_id: UUID,
        module: str,
        enterprise_ids: list[UUID],
        *,
        trainer_ids: list[UUID] | None = None,
        start: date = date(2024, 2, 1),
    ) -> UUID:
        return self.add(  # type: ignore[no-any-return]
            RmCohort(
                id=new_id(),
                project_id=project_id,
                partner_id=partner_id,
                module_code=module,
                name=f"{module} cohort",
                start_date=start,
                enterprise_ids=enterprise_ids,
                trainer_ids=trainer_ids or [],
                updated_at=AT,
            )
        ).id

    def completed(self, enterprise_id: UUID, cohort_id: UUID, module: str, on: date | None) -> None:
        self.add(
            RmModuleProgress(
                id=new_id(),
                enterprise_id=enterprise_id,
                cohort_id=cohort_id,
                module_code=module,
                status="completed" if on else "in_progress",
                completed_on=on,
                updated_at=AT,
            )
        )

    def participant(
        self, cohort_id: UUID, enterprise_id: UUID, role: str, sex: str, *, removed: bool = False
    ) -> UUID:
        return self.add(  # type: ignore[no-any-return]
            RmParticipant(
                id=new_id(),
                cohort_id=cohort_id,
                enterprise_id=enterprise_id,
                role=role,
                sex=sex,
                removed=removed,
                updated_at=AT,
            )
        ).id

    def trainer(
        self,
        sex: str,
        *,
        organisation_id: UUID | None,
        module: str = "WCOOP",
        country: str = "PK",
        level: str = "certified",
        at: datetime = AT,
    ) -> UUID:
        return self.add(  # type: ignore[no-any-return]
            RmTrainerCertification(
                id=new_id(),
                trainer_id=new_id(),
                organisation_id=organisation_id,
                module_code=module,
                level=level,
                sex=sex,
                country=country,
                certified_at=at,
            )
        ).id

    def rating(
        self,
        enterprise_id: UUID,
        cohort_id: UUID | None,
        rating: int,
        *,
        module: str = "WCOOP",
        sex: str = "female",
        role: str = "worker",
    ) -> None:
        self.add(
            RmSatisfaction(
                id=new_id(),
                enterprise_id=enterprise_id,
                cohort_id=cohort_id,
                participant_id=new_id(),
                module_code=module,
                role=role,
                sex=sex,
                rating=rating,
                recorded_at=AT,
            )
        )

    async def flush(self) -> None:
        """Commit (to the test's savepoint): a refused request's rollback keeps the rows."""
        await self.session.flush()
        for enterprise_id, buyer_id in self.buyer_links:
            await self.session.execute(
                update(RmEnterprise)
                .where(col(RmEnterprise.id) == enterprise_id)
                .values(buyer_ids=func.array_append(RmEnterprise.buyer_ids, buyer_id))
            )
        self.buyer_links.clear()
        # Values written as rows, not events: pair them as the projector does.
        await refresh_pairs(self.session, enterprise_ids=None, indicator_codes=None)
        await self.session.commit()


ILO_ANALYST = Principal(subject="ilo-analyst", role=Role.ilo_global)


def partner_staff(organisation_id: UUID) -> Principal:
    return Principal(subject="partner", role=Role.partner_staff, organisation_id=organisation_id)


def programme_manager(project_id: UUID) -> Principal:
    return Principal(subject="manager", role=Role.programme_manager, project_id=project_id)


def lead_buyer(organisation_id: UUID) -> Principal:
    return Principal(subject="buyer", role=Role.lead_buyer, organisation_id=organisation_id)


def enterprise_user(enterprise_id: UUID) -> Principal:
    return Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise_id)


def trainer_user(trainer_id: UUID) -> Principal:
    return Principal(subject="trainer", role=Role.trainer, trainer_id=trainer_id)


@asynccontextmanager
async def reporting_api_with(
    session: AsyncSession, database: Database, **settings: Any
) -> AsyncIterator[Api]:
    """The reporting app with other settings (a minimum group size...), over ``session``."""

    def build() -> FastAPI:
        return create_app(reporting_settings(**settings), database=database)

    with APPS.lend(("reporting", database, *sorted(settings.items())), build) as app:
        async with asgi_api(app, session) as client:
            yield client


async def report(api: Api, path: str, as_: Principal, **params: Any) -> dict[str, Any]:
    """GET a report that must succeed."""
    response = await api.get(path, params=params, as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
