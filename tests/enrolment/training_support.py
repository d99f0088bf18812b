"""Factories for training tests: enrolled enterprises, trainers, cohorts, finished Module 1."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import plumbing
from services.enrolment.lifecycle.models import Enrolment
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World, register


async def enrolled_enterprise(
    api: Api,
    session: AsyncSession,
    *,
    as_: Principal,
    project_id: UUID,
    stage: LifecycleStage = LifecycleStage.level1,
    **overrides: Any,
) -> str:
    """An enterprise registered by ``as_`` and enrolled in the project at ``stage``."""
    enterprise = await register(api, as_, **overrides)
    session.add(Enrolment(project_id=project_id, enterprise_id=enterprise["id"], stage=stage))
    # A savepoint release in tests: a later refused request's rollback must not undo it.
    await session.commit()
    return str(enterprise["id"])


async def enrolled_enterprises(
    api: Api, session: AsyncSession, world: World, count: int, *, ghana: bool = False
) -> list[str]:
    staff = world.mdpi_staff if ghana else world.efp_staff
    project = world.ghana_project_id if ghana else world.pakistan_project_id
    return [
        await enrolled_enterprise(
            api, session, as_=staff, project_id=project, country="GH" if ghana else "PK"
        )
        for _ in range(count)
    ]


async def new_trainer(api: Api, *, as_: Principal, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Ayesha Khan", "sex": "female", "country": "PK"}
    body.update(overrides)
    trainer: dict[str, Any] = await api.created("/trainers", body, as_=as_)
    return trainer


# A one-page PDF: what an assignment upload needs to pass the sniffer.
ASSIGNMENT_PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


async def record_evidence(
    api: Api,
    trainer_id: str,
    *,
    as_: Principal,
    module: str = "workplace_cooperation",
    assignment: bool = True,
) -> str | None:
    """A passed quiz for every session of the module's certification path and (unless
    ``assignment`` is false) an assignment, whose id it returns: what certification asks
    for."""
    path = f"/trainers/{trainer_id}/certifications/{module}"
    evidence = await api.get(f"{path}/evidence", as_=as_)
    assert evidence.status_code == 200, evidence.text
    for number in range(1, evidence.json()["sessions"] + 1):
        quiz = await api.put(
            f"{path}/quizzes/{number}",
            json={"score": 85, "pass_mark": 70, "taken_on": "2018-03-09"},
            as_=as_,
        )
        assert quiz.status_code == 200, quiz.text
    if assignment:
        submitted = await api.post(
            f"{path}/assignments",
            files={"file": ("assignment.pdf", ASSIGNMENT_PDF, "application/pdf")},
            as_=as_,
        )
        assert submitted.status_code == 201, submitted.text
        return str(submitted.json()["id"])
    return None


async def certified_trainer(
    api: Api, *, as_: Principal, module: str = "workplace_cooperation", **overrides: Any
) -> dict[str, Any]:
    """A trainer certified in ``module``, so it may lead the module's cohorts."""
    trainer = await new_trainer(api, as_=as_, **overrides)
    await record_evidence(api, trainer["id"], as_=as_, module=module)
    response = await api.put(
        f"/trainers/{trainer['id']}/certifications/{module}",
        json={
            "level": "certified",
            "tot_completed_on": "2018-03-10",
            "toe_completed_on": "2018-09-20",
        },
        as_=as_,
    )
    assert response.status_code == 200, response.text
    return trainer


def as_trainer(trainer: dict[str, Any]) -> Principal:
    return Principal(
        subject=f"trainer-{trainer['id']}", role=Role.trainer, trainer_id=trainer["id"]
    )


def cohort_body(
    world: World,
    enterprise_ids: list[str],
    *,
    trainer_ids: list[str] | None = None,
    module_code: str = "workplace_cooperation",
    ghana: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": str(world.ghana_project_id if ghana else world.pakistan_project_id),
        "module_code": module_code,
        "name": "Karachi batch 1",
        "start_date": "2019-02-04",
        "end_date": "2019-05-31",
        "trainer_ids": trainer_ids or [],
        "enterprise_ids": enterprise_ids,
    }
    body.update(overrides)
    return body


async def new_cohort(
    api: Api,
    world: World,
    enterprise_ids: list[str],
    *,
    as_: Principal | None = None,
    ghana: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    staff = as_ or (world.mdpi_staff if ghana else world.efp_staff)
    cohort: dict[str, Any] = await api.created(
        "/cohorts", cohort_body(world, enterprise_ids, ghana=ghana, **overrides), as_=staff
    )
    return cohort


async def complete_module_1(api: Api, world: World, enterprise_ids: list[str]) -> None:
    """Put the enterprises through a Workplace Cooperation cohort to completion."""
    cohort = await new_cohort(api, world, enterprise_ids, as_=ILO, partner_id=str(world.efp_id))
    for enterprise_id in enterprise_ids:
        response = await api.put(
            f"/cohorts/{cohort['id']}/progress/{enterprise_id}",
            json={"status": "completed", "completed_on": "2019-05-30"},
        )
        assert response.status_code == 200, response.text


async def ready_for_level_2(
    api: Api, session: AsyncSession, world: World, enterprise_ids: list[str]
) -> None:
    """Module 1 completed and the enterprises shortlisted for Level 2 in the Pakistan project."""
    await complete_module_1(api, world, enterprise_ids)
    await shortlist_for_level_2(session, world, enterprise_ids)


async def shortlist_for_level_2(
    session: AsyncSession, world: World, enterprise_ids: list[str]
) -> None:
    enrolments = await session.execute(
        select(Enrolment).where(
            col(Enrolment.project_id) == world.pakistan_project_id,
            col(Enrolment.enterprise_id).in_([UUID(e) for e in enterprise_ids]),
        )
    )
    for enrolment in enrolments.scalars().all():
        enrolment.stage = LifecycleStage.level2_shortlisted
        session.add(enrolment)
    await session.commit()


async def events_of(
    session: AsyncSession, aggregate_id: str, event_type: str | None = None
) -> list[dict[str, Any]]:
    outbox = plumbing.outbox
    statement = (
        select(outbox.c.event_type, outbox.c.payload)
        .where(outbox.c.aggregate_id == aggregate_id)
        .order_by(outbox.c.position)
    )
    if event_type is not None:
        statement = statement.where(outbox.c.event_type == event_type)
    rows = (await session.execute(statement)).all()
    return [{"event_type": row.event_type, **row.payload} for row in rows]


async def audit_actions(session: AsyncSession, entity_id: str) -> list[str]:
    audit = plumbing.audit
    rows = await session.execute(
        select(audit.c.action).where(audit.c.entity_id == entity_id).order_by(audit.c.id)
    )
    return [row.action for row in rows]
