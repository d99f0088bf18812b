"""Reach counts what the seeds count (seeds 000-002): programme events held by kind, the
enterprises and people that attended them by sex, Enterprise Improvement Plans completed
and workers' suggestions adopted, by project, country and programme-wide, with the same
tenancy and small-group suppression as every other reach figure.

The figures are worked out by hand from the rows below."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.models import (
    RmEventAttendee,
    RmImprovementPlan,
    RmProgrammeEvent,
    RmSuggestion,
)
from shared.ids import new_id
from tests.enrolment.support import Api
from tests.reporting.analytics_support import (
    AT,
    ILO_ANALYST,
    Rows,
    partner_staff,
    programme_manager,
    report,
)
from tests.reporting.fixtures import Story, sync_reporting
from tests.reporting.story_baseline import story, story_baseline

# Every test here stands on the module's story (told once): one that doesn't name it
# would otherwise wait forever on the outbox lock the story's open transaction holds.
pytestmark = pytest.mark.usefixtures("story_baseline")
__all__ = ["story", "story_baseline"]


def event(rows: Rows, project: UUID, kind: str, on: date, *, cancelled: bool = False) -> UUID:
    row = rows.add(
        RmProgrammeEvent(
            id=new_id(),
            project_id=project,
            kind=kind,
            held_on=on,
            cancelled=cancelled,
            updated_at=AT,
        )
    )
    return row.id  # type: ignore[no-any-return]


def attended(rows: Rows, event_id: UUID, enterprise: UUID, *sexes: str) -> None:
    for sex in sexes:
        rows.add(
            RmEventAttendee(
                id=new_id(),
                event_id=event_id,
                enterprise_id=enterprise,
                role="manager",
                sex=sex,
                updated_at=AT,
            )
        )


def plan(rows: Rows, enterprise: UUID, status: str, on: date | None) -> None:
    rows.add(
        RmImprovementPlan(
            id=new_id(),
            enterprise_id=enterprise,
            module_code="WCOOP",
            status=status,
            agreed_on=date(2021, 1, 10),
            completed_on=on,
            actions=3,
            actions_done=3 if status == "completed" else 1,
            updated_at=AT,
        )
    )


def suggestion(rows: Rows, enterprise: UUID, status: str, sex: str) -> None:
    rows.add(
        RmSuggestion(
            id=new_id(),
            enterprise_id=enterprise,
            role="worker",
            sex=sex,
            status=status,
            submitted_on=date(2021, 2, 1),
            decided_on=date(2021, 3, 1) if status != "submitted" else None,
            updated_at=AT,
        )
    )


async def karachi_and_accra(rows: Rows) -> dict[str, Any]:
    """EFP's Pakistan project with six enterprises (one also enrolled in Ghana), MDPI's Ghana
    project with one."""
    efp, mdpi = rows.organisation("EFP"), rows.organisation("MDPI")
    pk = rows.project("ILES Pakistan", "PK", [efp])
    gh = rows.project("SCORE Ghana", "GH", [mdpi])
    khi = [rows.enterprise(partner_id=efp, project_id=pk, stage="alumni") for _ in range(6)]
    acc = rows.enterprise(partner_id=mdpi, project_id=gh, country="GH")
    rows.enrol(khi[0], gh, mdpi, stage="level1")
    await rows.flush()

    # Pakistan: a mobilisation event (7 people of 6 enterprises), an alumni meeting
    # (2 people of 2), a cancelled event and one still to come (neither counts).
    mobilisation = event(rows, pk, "mobilisation", date(2021, 9, 21))
    for enterprise in khi[:5]:
        attended(rows, mobilisation, enterprise, "female")
    attended(rows, mobilisation, khi[5], "male", "other")
    alumni = event(rows, pk, "alumni_meeting", date(2021, 6, 3))
    attended(rows, alumni, khi[0], "male")
    attended(rows, alumni, khi[1], "not_disclosed")
    cancelled = event(rows, pk, "other", date(2021, 7, 1), cancelled=True)
    attended(rows, cancelled, khi[2], "female")
    event(rows, pk, "buyer_supplier_meeting", date.today() + timedelta(days=60))
    # Ghana: a buyer-supplier meeting with one person of its enterprise.
    accra = event(rows, gh, "buyer_supplier_meeting", date(2021, 11, 5))
    attended(rows, accra, acc, "female")

    # Plans: 5 completed in Pakistan (one of them the enterprise enrolled in both projects),
    # one still open; 1 completed in Ghana.
    for enterprise in khi[:5]:
        plan(rows, enterprise, "completed", date(2021, 5, 1))
    plan(rows, khi[5], "open", None)
    plan(rows, acc, "completed", date(2021, 8, 1))
    # Suggestions: 6 adopted in Pakistan (women 4, men 2), a rejected and a pending one;
    # 1 adopted in Ghana.
    for enterprise, sex in zip(khi, ["female"] * 4 + ["male"] * 2, strict=True):
        suggestion(rows, enterprise, "adopted", sex)
    suggestion(rows, khi[0], "rejected", "male")
    suggestion(rows, khi[1], "submitted", "female")
    suggestion(rows, acc, "adopted", "male")
    await rows.flush()
    return {"efp": efp, "mdpi": mdpi, "pk": pk, "gh": gh, "khi": khi, "acc": acc}


FIGURES = (
    "events_held",
    "events_mobilisation",
    "events_alumni_meeting",
    "events_buyer_supplier_meeting",
    "events_other",
    "event_enterprises",
    "event_attendees",
    "event_attendees_female",
    "event_attendees_male",
    "event_attendees_other_sex",
    "event_attendees_sex_not_disclosed",
    "improvement_plans_completed",
    "suggestions_adopted",
)


def figures(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[key] for key in FIGURES)


async def test_reach_counts_events_attendance_plans_and_suggestions_by_project_and_programme(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    world = await karachi_and_accra(Rows(reporting_session))
    by_project = await report(reporting_api, "/reach", ILO_ANALYST, group_by="project")
    rows = {row["project"]: figures(row) for row in by_project["rows"]}
    # held: mobilisation + alumni (the cancelled and the future ones do not count);
    # attendance 5 women + 1 man + 1 other, then 1 man + 1 not disclosed: 9 people of 6
    # enterprises; plans 5; suggestions 4 + 2.
    assert rows["ILES Pakistan"] == (2, 1, 1, 0, 0, 6, 9, 5, 2, 1, 1, 5, 6)
    # Ghana: its meeting and its person; its own plan and suggestion, plus those of the
    # Pakistani enterprise also enrolled in Ghana (1 plan, 1 suggestion adopted).
    assert rows["SCORE Ghana"] == (1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 2, 2)
    [programme] = (await report(reporting_api, "/reach", ILO_ANALYST))["rows"]
    # Programme-wide, the enterprise in both projects counts once.
    assert figures(programme) == (3, 1, 1, 1, 0, 7, 10, 6, 2, 1, 1, 6, 7)
    parts = programme["event_attendees_female"] + programme["event_attendees_male"]
    parts += programme["event_attendees_other_sex"] + programme["event_attendees_sex_not_disclosed"]
    assert parts == programme["event_attendees"]

    by_country = await report(reporting_api, "/reach", ILO_ANALYST, group_by="country")
    countries = {row["country"]: row for row in by_country["rows"]}
    assert countries["GH"]["event_attendees"] == 1
    assert countries["PK"]["improvement_plans_completed"] == 5
    # The enterprise's country: the Pakistani enterprise's Ghana plan counts in PK.
    assert countries["GH"]["improvement_plans_completed"] == 1

    by_sex = await report(
        reporting_api, "/reach", ILO_ANALYST, group_by="sex", project=str(world["pk"])
    )
    attendees = {row["sex"]: row["event_attendees"] for row in by_sex["rows"]}
    adopted = {row["sex"]: row["suggestions_adopted"] for row in by_sex["rows"]}
    assert attendees == {"female": 5, "male": 2, "not_disclosed": 1, "other": 1}
    assert adopted == {"female": 4, "male": 2, "not_disclosed": 0, "other": 0}
    # Events have no sex: empty in a breakdown by sex, like the enterprise counts.
    assert {row["events_held"] for row in by_sex["rows"]} == {None}


async def test_a_partner_counts_its_own_projects_and_a_manager_sees_small_groups_suppressed(
    reporting_api: Api, reporting_session: AsyncSession
) -> None:
    world = await karachi_and_accra(Rows(reporting_session))
    [efp] = (await report(reporting_api, "/reach", partner_staff(world["efp"])))["rows"]
    # EFP: its Pakistan events; its six enterprises' people and results wherever enrolled.
    assert (efp["events_held"], efp["event_attendees"], efp["event_enterprises"]) == (2, 9, 6)
    assert (efp["improvement_plans_completed"], efp["suggestions_adopted"]) == (5, 6)
    assert efp["suppressed"] is False

    [ghana] = (await report(reporting_api, "/reach", programme_manager(world["gh"])))["rows"]
    # Ghana's manager: one enterprise attended, and two had plans and suggestions: below
    # the minimum group, so hidden; event counts are project records and stay.
    assert ghana["events_held"] == 1
    assert ghana["event_attendees"] is None
    assert ghana["improvement_plans_completed"] is None
    assert ghana["suggestions_adopted"] is None
    assert "event_attendance" in ghana["suppression_reason"]

    [pakistan] = (await report(reporting_api, "/reach", programme_manager(world["pk"])))["rows"]
    # Six enterprises attended and made suggestions; five completed plans: all shown.
    assert (pakistan["event_attendees"], pakistan["event_enterprises"]) == (9, 6)
    assert pakistan["suggestions_adopted"] == 6
    assert pakistan["improvement_plans_completed"] == 5


async def test_an_event_register_recorded_in_enrolment_reaches_reach_and_a_new_one_replaces_it(
    api: Api,
    indicators_api: Api,
    reporting_api: Api,
    reporting_session: AsyncSession,
    story: Story,
) -> None:
    world = story.world
    made = await api.created(
        "/programme-events",
        {
            "project_id": str(world.pakistan_project_id),
            "kind": "mobilisation",
            "title": "Mobilisation event",
            "held_on": "2021-09-21",
            "venue": "Karachi",
            "organiser": "ILO Pakistan",
        },
    )
    url = f"/programme-events/{made['id']}/attendance"

    def person(enterprise: UUID, name: str, sex: str) -> dict[str, str]:
        return {"enterprise_id": str(enterprise), "name": name, "role": "worker", "sex": sex}

    first = [
        person(story.enterprise_id, "Imran Sheikh", "male"),
        person(story.classmate_id, "Sana Malik", "female"),
        person(story.classmate_id, "Hina Baig", "female"),
    ]
    assert (await api.put(url, json={"attendees": first})).status_code == 200
    # Corrected: Hina Baig was not there after all.
    assert (await api.put(url, json={"attendees": first[:2]})).status_code == 200
    await sync_reporting(api, indicators_api, reporting_session)

    register = await reporting_session.exec(
        select(RmEventAttendee).where(RmEventAttendee.event_id == UUID(made["id"]))
    )
    assert sorted(row.sex for row in register.all()) == ["female", "male"]
    [row] = (
        await report(reporting_api, "/reach", ILO_ANALYST, project=str(world.pakistan_project_id))
    )["rows"]
    assert (row["events_held"], row["events_mobilisation"]) == (1, 1)
    assert (row["event_attendees"], row["event_enterprises"]) == (2, 2)
    assert (row["event_attendees_female"], row["event_attendees_male"]) == (1, 1)

    # Cancelled afterwards: it no longer counts as held, nor do its people.
    cancelled = await api.post(f"/programme-events/{made['id']}/cancel", json={"reason": "Void"})
    assert cancelled.status_code == 200
    await sync_reporting(api, indicators_api, reporting_session)
    [row] = (
        await report(reporting_api, "/reach", ILO_ANALYST, project=str(world.pakistan_project_id))
    )["rows"]
    assert (row["events_held"], row["event_attendees"]) == (0, 0)
