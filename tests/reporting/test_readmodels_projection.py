"""Every event enrolment and indicators emit lands in reporting's read models, as told
through the producers' public APIs and then applied by reporting's two consumers."""

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import plumbing as enrolment_plumbing
from services.reporting.db import Table
from services.reporting.readmodels.models import (
    RmCohort,
    RmConsent,
    RmEnrolment,
    RmEnterprise,
    RmImprovementProject,
    RmImprovementTeam,
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
from tests.conftest import Baseline
from tests.enrolment.support import ILO, Api, World, unique
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import accepted_ids, make_indicator, value
from tests.reporting.fixtures import Story, sync_reporting
from tests.reporting.story_baseline import projected_story_baseline
from tests.sql_support import statements

# Every test here stands on the module's story (told and projected once): one that doesn't
# name it would otherwise wait forever on the outbox lock the story's open transaction holds.
pytestmark = pytest.mark.usefixtures("projected_story_baseline")
__all__ = ["projected_story_baseline"]


@pytest.fixture
def story(projected_story_baseline: Baseline[Story]) -> Story:
    return projected_story_baseline.data


T = TypeVar("T", bound=Table)


async def rows(session: AsyncSession, model: type[T], **where: Any) -> list[T]:
    statement = select(model)
    for name, wanted in where.items():
        statement = statement.where(col(getattr(model, name)) == wanted)
    return list((await session.exec(statement)).all())


async def test_organisations_and_projects_are_named_with_their_links(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, world: World
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    [efp] = await rows(reporting_session, RmOrganisation, id=world.efp_id)
    assert efp.name.startswith("Employers' Federation of Pakistan")
    assert (efp.kind, efp.country) == ("implementation_partner", "PK")
    [inditex] = await rows(reporting_session, RmOrganisation, id=world.inditex_id)
    assert (inditex.kind, inditex.country) == ("lead_buyer", "ES")
    [pakistan] = await rows(reporting_session, RmProject, id=world.pakistan_project_id)
    assert (pakistan.name, pakistan.country) == ("ILES Pakistan", "PK")
    assert pakistan.partner_ids == [world.efp_id]
    [funder] = pakistan.funder_ids
    [seco] = await rows(reporting_session, RmOrganisation, id=funder)
    assert seco.kind == "funder"
    [ghana] = await rows(reporting_session, RmProject, id=world.ghana_project_id)
    assert (ghana.partner_ids, ghana.funder_ids) == ([world.mdpi_id], [])


async def test_enterprise_profile_stage_and_consents_follow_enrolment(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    world = story.world
    [enterprise] = await rows(reporting_session, RmEnterprise, id=story.enterprise_id)
    # The profile as updated after registration.
    assert (enterprise.workforce_total, enterprise.workforce_female) == (480, 230)
    assert (enterprise.country, enterprise.sector) == ("PK", "textile")
    assert enterprise.partner_id == world.efp_id
    [enrolment] = await rows(reporting_session, RmEnrolment, enterprise_id=story.enterprise_id)
    assert (enrolment.project_id, enrolment.partner_id) == (world.pakistan_project_id, world.efp_id)
    assert enrolment.stage == "level1"
    consents = {
        c.buyer_id: c.status
        for c in await rows(reporting_session, RmConsent, enterprise_id=story.enterprise_id)
    }
    assert consents == {world.inditex_id: "given", world.adidas_id: "withdrawn"}


async def test_training_reaches_cohorts_participants_progress_and_trainers(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    world = story.world
    [cohort] = await rows(reporting_session, RmCohort, id=story.cohort_id)
    assert (cohort.project_id, cohort.partner_id) == (world.pakistan_project_id, world.efp_id)
    assert cohort.module_code == "workplace_cooperation"
    assert cohort.start_date == date(2019, 2, 4)
    assert set(cohort.enterprise_ids) == {story.enterprise_id, story.classmate_id}
    assert cohort.trainer_ids == [story.trainer_id]
    participants = await rows(reporting_session, RmParticipant, cohort_id=story.cohort_id)
    assert sorted((p.role, p.sex, p.removed) for p in participants) == [
        ("manager", "female", False),
        ("manager", "male", False),
        ("worker", "female", False),
        ("worker", "male", True),
    ]
    [progress] = await rows(reporting_session, RmModuleProgress, enterprise_id=story.enterprise_id)
    assert (progress.cohort_id, progress.module_code) == (story.cohort_id, "workplace_cooperation")
    assert (progress.status, progress.completed_on) == ("completed", date(2019, 5, 30))
    [certification] = await rows(
        reporting_session, RmTrainerCertification, trainer_id=story.trainer_id
    )
    assert (certification.module_code, certification.level) == (
        "workplace_cooperation",
        "certified",
    )
    assert (certification.sex, certification.country) == ("female", "PK")
    assert certification.organisation_id == world.efp_id


async def test_a_trainer_counts_from_the_day_certified_until_back_to_candidate(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    story: Story,
) -> None:
    async def certified_in(year: int) -> int:
        response = await reporting_api.get(
            "/reach",
            params={"from": f"{year}-01-01", "to": f"{year}-12-31", "country": "PK"},
            as_=ILO,
        )
        assert response.status_code == 200, response.text
        [row] = response.json()["rows"]
        return int(row["trainers_certified"])

    await sync_reporting(api, indicators_api, reporting_session)
    # Certified on 2018-09-20 (the later of ToT and ToE), whenever that was recorded.
    [certification] = await rows(
        reporting_session, RmTrainerCertification, trainer_id=story.trainer_id
    )
    assert certification.certified_on == date(2018, 9, 20)
    assert await certified_in(2018) == 1

    # The day awarded, corrected into the next year: counted once, in that year.
    redated = await api.put(
        f"/trainers/{story.trainer_id}/certifications/workplace_cooperation",
        json={"level": "certified", "certified_on": "2019-01-15"},
        as_=story.world.efp_staff,
    )
    assert redated.status_code == 200, redated.text
    await sync_reporting(api, indicators_api, reporting_session)
    assert (await certified_in(2018), await certified_in(2019)) == (0, 1)

    withdrawn = await api.put(
        f"/trainers/{story.trainer_id}/certifications/workplace_cooperation",
        json={"level": "candidate"},
        as_=story.world.efp_staff,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    await sync_reporting(api, indicators_api, reporting_session)
    reporting_session.expire_all()  # the row read above, as the projection left it

    [certification] = await rows(
        reporting_session, RmTrainerCertification, trainer_id=story.trainer_id
    )
    assert certification.level == "candidate"
    assert (await certified_in(2018), await certified_in(2019)) == (0, 0)


async def test_a_corrected_trainer_record_moves_its_certifications_figures(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    story: Story,
) -> None:
    async def trainers(country: str) -> tuple[int, int, int]:
        response = await reporting_api.get(
            "/reach",
            params={"from": "2018-01-01", "to": "2018-12-31", "country": country},
            as_=ILO,
        )
        assert response.status_code == 200, response.text
        rows = response.json()["rows"]
        if not rows:
            return (0, 0, 0)
        row = rows[0]
        return (row["trainers_certified"], row["trainers_female"], row["trainers_male"])

    await sync_reporting(api, indicators_api, reporting_session)
    assert await trainers("PK") == (1, 1, 0)

    corrected = await api.patch(
        f"/trainers/{story.trainer_id}",
        json={"sex": "male", "country": "GH"},
        as_=ILO,
    )
    assert corrected.status_code == 200, corrected.text
    await sync_reporting(api, indicators_api, reporting_session)

    assert await trainers("PK") == (0, 0, 0)
    assert await trainers("GH") == (1, 0, 1)


async def test_catalogue_and_rounds_reach_the_read_models(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    [indicator] = await rows(reporting_session, RmIndicator, id=story.indicator_id)
    assert (indicator.code, indicator.kind, indicator.direction) == (
        story.indicator_code,
        "count",
        "down",
    )
    # The change made a second version with the new name.
    assert (indicator.definition_version, indicator.name_en) == (
        2,
        "Rejected garments per line per day",
    )
    rounds = await rows(reporting_session, RmRound, project_id=story.world.pakistan_project_id)
    assert {(r.id, r.kind, r.sequence) for r in rounds} >= {
        (story.baseline_id, "baseline", 1),
        (story.endline_id, "endline", 1),
    }


async def test_values_follow_submission_validation_return_and_correction(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    values = {
        v.value_id: v
        for v in await rows(reporting_session, RmValue, indicator_id=story.indicator_id)
    }
    # The corrected endline replaced its first version in the slot: three slots, three rows.
    assert set(values) == {
        story.baseline_value_id,
        story.endline_value_id,
        story.returned_value_id,
    }
    baseline = values[story.baseline_value_id]
    assert (baseline.status, baseline.value, baseline.value_version) == (
        "validated",
        Decimal(12),
        1,
    )
    assert (baseline.round_kind, baseline.round_id) == ("baseline", story.baseline_id)
    assert (baseline.project_id, baseline.indicator_code) == (
        story.world.pakistan_project_id,
        story.indicator_code,
    )
    endline = values[story.endline_value_id]
    assert (endline.status, endline.value, endline.value_version) == ("validated", Decimal(6), 2)
    assert endline.round_kind == "endline"
    assert values[story.returned_value_id].status == "returned"


async def test_implementation_records_reach_the_read_models(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    [team] = await rows(reporting_session, RmImprovementTeam, id=story.team_id)
    assert team.enterprise_id == story.enterprise_id
    assert (team.managers_female, team.workers_male, team.in_place) == (1, 1, True)
    assert (team.meeting_count, team.last_meeting_on) == (1, date(2019, 3, 15))
    [project] = await rows(reporting_session, RmImprovementProject, id=story.improvement_project_id)
    assert (project.title, project.category, project.status) == (
        "5S in the warehouse",
        "five_s",
        "in_progress",
    )
    [rating] = await rows(reporting_session, RmSatisfaction, id=story.satisfaction_id)
    assert (rating.enterprise_id, rating.cohort_id) == (story.enterprise_id, story.cohort_id)
    assert (rating.role, rating.sex, rating.rating, rating.would_recommend) == (
        "manager",
        "female",
        5,
        True,
    )


async def enrolment_events(session: AsyncSession, aggregate_id: UUID) -> list[tuple[str, Any]]:
    outbox = enrolment_plumbing.outbox
    rows = await session.execute(
        sa_select(outbox.c.event_type, outbox.c.payload)
        .where(outbox.c.aggregate_id == aggregate_id)
        .order_by(outbox.c.position)
    )
    return [(row.event_type, row.payload) for row in rows]


async def test_enrolment_emits_organisation_and_project_events_with_their_audit(
    api: Api, enrolment_session: AsyncSession
) -> None:
    npcc = await api.created(
        "/organisations",
        {"name": unique("NPCC"), "short_name": "NPCC", "kind": "implementation_partner",
         "country": "MU"},
    )  # fmt: skip
    [(event_type, payload)] = await enrolment_events(enrolment_session, UUID(npcc["id"]))
    assert event_type == "organisation.changed"
    assert payload == {
        "organisation_id": npcc["id"],
        "name": npcc["name"],
        "short_name": "NPCC",
        "kind": "implementation_partner",
        "country": "MU",
    }
    project = await api.created(
        "/projects",
        {"name": "SCORE Mauritius", "country": "MU", "start_date": "2019-01-01",
         "end_date": "2021-12-31", "partner_ids": [npcc["id"]]},
    )  # fmt: skip
    [(event_type, payload)] = await enrolment_events(enrolment_session, UUID(project["id"]))
    assert event_type == "project.changed"
    assert payload == {
        "project_id": project["id"],
        "name": "SCORE Mauritius",
        "country": "MU",
        "start_date": "2019-01-01",
        "end_date": "2021-12-31",
        "partner_ids": [npcc["id"]],
        "funder_ids": [],
    }
    audit = enrolment_plumbing.audit
    actions = await enrolment_session.execute(
        sa_select(audit.c.action).where(
            audit.c.entity_id.in_([UUID(npcc["id"]), UUID(project["id"])])
        )
    )
    assert sorted(actions.scalars()) == ["organisation.created", "project.created"]


async def test_refused_project_emits_nothing(api: Api, enrolment_session: AsyncSession) -> None:
    head = await enrolment_session.scalar(sa_select(func.max(enrolment_plumbing.outbox.c.position)))
    response = await api.post(
        "/projects", json={"name": "Nowhere", "country": "MU", "partner_ids": [str(uuid4())]}
    )
    assert response.status_code == 422
    after = await enrolment_session.scalar(
        sa_select(func.max(enrolment_plumbing.outbox.c.position))
    )
    assert after == head


async def test_a_big_batch_is_projected_with_one_statement_per_part(
    api: Api,
    indicators_api: Api,
    indicators_session: AsyncSession,
    reporting_session: AsyncSession,
    indicators_world: IndicatorsWorld,
) -> None:
    """600 values travel as two values.submitted parts (500 + 100); each is one INSERT."""
    await sync_reporting(api, indicators_api, reporting_session)
    indicators = [await make_indicator(indicators_session) for _ in range(4)]
    enterprises = (indicators_world.efp_enterprise_id, indicators_world.efp_other_enterprise_id)
    months = [date(2010 + n // 12, n % 12 + 1, 1) for n in range(75)]
    batch = [
        value(enterprise, indicator, n % 40, month=month)
        for enterprise in enterprises
        for indicator in indicators
        for n, month in enumerate(months)
    ]
    assert len(batch) == 600
    await accepted_ids(indicators_api, batch, as_=indicators_world.world.efp_staff, submit=True)

    with statements(reporting_session) as seen:
        assert await sync_reporting(api, indicators_api, reporting_session) == 2
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO RM_VALUE")]
    assert len(inserts) == 2
    stored = await reporting_session.scalar(
        sa_select(func.count())
        .select_from(RmValue)
        .where(col(RmValue.indicator_id).in_([i.id for i in indicators]))
    )
    assert stored == 600
