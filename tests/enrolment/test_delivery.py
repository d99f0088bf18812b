"""Delivering a cohort: participants, classroom days and attendance, visits, module progress."""

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.enrolment.delivery.models import Attendance
from shared.enums import Role
from shared.identity import Principal
from tests.enrolment.support import Api, World
from tests.enrolment.training_support import (
    as_trainer,
    audit_actions,
    enrolled_enterprises,
    events_of,
    new_cohort,
    new_trainer,
)


@pytest.fixture(autouse=True)
async def catalogue(enrolment_session: AsyncSession) -> None:
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()


async def participant(
    api: Api, cohort: dict[str, Any], enterprise_id: str, role: str, sex: str, *, as_: Principal
) -> dict[str, Any]:
    body = {"enterprise_id": enterprise_id, "name": f"{role} {sex}", "role": role, "sex": sex}
    created: dict[str, Any] = await api.created(
        f"/cohorts/{cohort['id']}/participants", body, as_=as_
    )
    return created


async def full_team(
    api: Api, cohort: dict[str, Any], enterprise_id: str, *, as_: Principal
) -> list[dict[str, Any]]:
    """Two managers and two workers, one woman and one man in each role."""
    return [
        await participant(api, cohort, enterprise_id, role, sex, as_=as_)
        for role in ("manager", "worker")
        for sex in ("female", "male")
    ]


async def staffed_cohort(
    api: Api, world: World, session: AsyncSession, enterprises: int = 2
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    enterprise_ids = await enrolled_enterprises(api, session, world, enterprises)
    trainer = await new_trainer(api, as_=world.efp_staff)
    cohort = await new_cohort(api, world, enterprise_ids, trainer_ids=[trainer["id"]])
    return cohort, enterprise_ids, trainer


async def test_participant_composition_warns_when_not_two_managers_and_two_workers(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (complete, short), _ = await staffed_cohort(api, world, enrolment_session)
    team = await full_team(api, cohort, complete, as_=world.efp_staff)
    await participant(api, cohort, short, "manager", "female", as_=world.efp_staff)
    roster = (await api.get(f"/cohorts/{cohort['id']}/participants", as_=world.efp_staff)).json()
    composition = {c["enterprise_id"]: c for c in roster["composition"]}
    assert composition[complete] == {
        "enterprise_id": complete,
        "managers": 2,
        "workers": 2,
        "female": 2,
        "male": 2,
    }
    assert (composition[short]["managers"], composition[short]["workers"]) == (1, 0)
    assert roster["warnings"] == [
        f"enterprise {short} sends 1 manager(s) and 0 worker(s); "
        "SCORE expects 2 managers and 2 workers"
    ]
    assert len(roster["items"]) == 5
    [event] = await events_of(enrolment_session, team[0]["id"])
    assert event["event_type"] == "participant.changed"
    assert (event["role"], event["sex"], event["removed"]) == ("manager", "female", False)
    counted = await api.get(f"/cohorts/{cohort['id']}", as_=world.efp_staff)
    assert counted.json()["participants_count"] == 5


async def test_participant_must_come_from_a_cohort_enterprise(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, _, _ = await staffed_cohort(api, world, enrolment_session)
    [outsider] = await enrolled_enterprises(api, enrolment_session, world, 1)
    response = await api.post(
        f"/cohorts/{cohort['id']}/participants",
        json={"enterprise_id": outsider, "name": "Omar Farooq", "role": "chef", "sex": "male"},
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.role"
    response = await api.post(
        f"/cohorts/{cohort['id']}/participants",
        json={"enterprise_id": outsider, "name": "Omar Farooq", "role": "worker", "sex": "male"},
        as_=world.efp_staff,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.enterprise_id"


async def test_removing_a_participant_emits_removal_unless_attendance_exists(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, _), _ = await staffed_cohort(api, world, enrolment_session)
    leaving, staying = [
        await participant(api, cohort, enterprise, "worker", sex, as_=world.efp_staff)
        for sex in ("female", "male")
    ]
    removed = await api.delete(
        f"/cohorts/{cohort['id']}/participants/{leaving['id']}", as_=world.efp_staff
    )
    assert removed.status_code == 204
    events = await events_of(enrolment_session, leaving["id"])
    assert [e["removed"] for e in events] == [False, True]
    assert await audit_actions(enrolment_session, leaving["id"]) == [
        "participant.registered",
        "participant.removed",
    ]
    day = await api.created(
        f"/cohorts/{cohort['id']}/sessions",
        {"day_number": 1, "held_on": "2019-02-04"},
        as_=world.efp_staff,
    )
    await api.put(
        f"/sessions/{day['id']}/attendance",
        json=[{"participant_id": staying["id"], "present": False}],
        as_=world.efp_staff,
    )
    kept = await api.delete(
        f"/cohorts/{cohort['id']}/participants/{staying['id']}", as_=world.efp_staff
    )
    assert kept.status_code == 409
    again = await api.delete(
        f"/cohorts/{cohort['id']}/participants/{leaving['id']}", as_=world.efp_staff
    )
    assert again.status_code == 404


async def test_one_classroom_session_per_day_inheriting_the_cohort_mode(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, _, trainer = await staffed_cohort(api, world, enrolment_session)
    me = as_trainer(trainer)
    day_1 = await api.created(
        f"/cohorts/{cohort['id']}/sessions",
        {"day_number": 1, "held_on": "2019-02-04", "topic": "Workplace cooperation"},
        as_=me,
    )
    assert day_1["delivery_mode"] == "on_site"
    online = await api.created(
        f"/cohorts/{cohort['id']}/sessions",
        {"day_number": 2, "held_on": "2019-02-05", "delivery_mode": "virtual"},
        as_=me,
    )
    assert online["delivery_mode"] == "virtual"
    clash = await api.post(
        f"/cohorts/{cohort['id']}/sessions",
        json={"day_number": 1, "held_on": "2019-02-06"},
        as_=me,
    )
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["field"] == "body.day_number"
    listed = await api.get(f"/cohorts/{cohort['id']}/sessions", as_=world.efp_staff)
    assert [s["day_number"] for s in listed.json()] == [1, 2]
    assert await audit_actions(enrolment_session, day_1["id"]) == ["classroom_session.created"]


async def test_attendance_refuses_participants_of_another_cohort_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, other_enterprise), trainer = await staffed_cohort(
        api, world, enrolment_session
    )
    [third] = await enrolled_enterprises(api, enrolment_session, world, 1)
    other = await new_cohort(api, world, [third], name="Other batch")
    stranger = await participant(api, other, third, "worker", "male", as_=world.efp_staff)
    team = await full_team(api, cohort, enterprise, as_=world.efp_staff)
    me = as_trainer(trainer)
    day = await api.created(
        f"/cohorts/{cohort['id']}/sessions", {"day_number": 1, "held_on": "2019-02-04"}, as_=me
    )
    refused = await api.put(
        f"/sessions/{day['id']}/attendance",
        json=[
            {"participant_id": team[0]["id"], "present": True},
            {"participant_id": stranger["id"], "present": True},
        ],
        as_=me,
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.1.participant_id", "cohort_participant")
    written = await enrolment_session.scalar(select(func.count()).select_from(Attendance))
    assert written == 0
    register = [{"participant_id": p["id"], "present": p["sex"] == "female"} for p in team]
    sheet = await api.put(f"/sessions/{day['id']}/attendance", json=register, as_=me)
    assert sheet.status_code == 200, sheet.text
    assert (sheet.json()["present"], sheet.json()["absent"]) == (2, 2)
    assert (sheet.json()["present_female"], sheet.json()["present_male"]) == (2, 0)
    corrected = await api.put(
        f"/sessions/{day['id']}/attendance",
        json=[{"participant_id": team[1]["id"], "present": True}],
        as_=me,
    )
    assert [r["participant_id"] for r in corrected.json()["records"]] == [team[1]["id"]]
    read = await api.get(f"/sessions/{day['id']}/attendance", as_=world.efp_staff)
    assert read.json() == corrected.json()
    assert other_enterprise not in [r["enterprise_id"] for r in read.json()["records"]]
    assert await audit_actions(enrolment_session, day["id"]) == [
        "classroom_session.created",
        "attendance.recorded",
        "attendance.recorded",
    ]


async def test_consulting_visits_store_on_site_and_virtual_delivery(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, _), trainer = await staffed_cohort(api, world, enrolment_session)
    me = as_trainer(trainer)
    on_site = await api.created(
        f"/cohorts/{cohort['id']}/visits",
        {
            "enterprise_id": enterprise,
            "visited_on": "2019-03-12",
            "delivery_mode": "on_site",
            "duration_hours": 4,
            "notes": "EIT formed; suggestion box installed",
        },
        as_=me,
    )
    assert on_site["trainer_id"] == trainer["id"]
    virtual = await api.created(
        f"/cohorts/{cohort['id']}/visits",
        {
            "enterprise_id": enterprise,
            "trainer_id": trainer["id"],
            "visited_on": "2020-04-20",
            "delivery_mode": "virtual",
            "duration_hours": 1.5,
        },
        as_=world.efp_staff,
    )
    listed = await api.get(
        f"/cohorts/{cohort['id']}/visits", params={"enterprise_id": enterprise}, as_=me
    )
    assert [(v["id"], v["delivery_mode"]) for v in listed.json()] == [
        (on_site["id"], "on_site"),
        (virtual["id"], "virtual"),
    ]
    assert listed.json()[1]["duration_hours"] == 1.5
    assert await audit_actions(enrolment_session, virtual["id"]) == ["consulting_visit.recorded"]


async def test_visit_needs_a_mode_and_a_trainer_of_the_cohort(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, _), trainer = await staffed_cohort(api, world, enrolment_session)
    unassigned = await new_trainer(api, as_=world.efp_staff, name="Bilal Ahmed", sex="male")
    body = {"enterprise_id": enterprise, "visited_on": "2019-03-12", "delivery_mode": "on_site"}
    no_mode = await api.post(
        f"/cohorts/{cohort['id']}/visits",
        json={**body, "delivery_mode": "carrier_pigeon", "trainer_id": trainer["id"]},
        as_=world.efp_staff,
    )
    assert no_mode.status_code == 422
    assert no_mode.json()["errors"][0]["field"] == "body.delivery_mode"
    foreign = await api.post(
        f"/cohorts/{cohort['id']}/visits",
        json={**body, "trainer_id": unassigned["id"]},
        as_=world.efp_staff,
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["rule"] == "cohort_trainer"
    for_colleague = await api.post(
        f"/cohorts/{cohort['id']}/visits",
        json={**body, "trainer_id": unassigned["id"]},
        as_=as_trainer(trainer),
    )
    assert for_colleague.status_code == 422
    assert for_colleague.json()["errors"][0]["field"] == "body.trainer_id"


async def test_progress_completed_without_date_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, _), trainer = await staffed_cohort(api, world, enrolment_session)
    url = f"/cohorts/{cohort['id']}/progress/{enterprise}"
    refused = await api.put(url, json={"status": "completed"}, as_=as_trainer(trainer))
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.completed_on", "required_when_completed")
    early_date = await api.put(
        url, json={"status": "enrolled", "completed_on": "2019-05-30"}, as_=world.efp_staff
    )
    assert early_date.status_code == 422
    assert early_date.json()["errors"][0]["rule"] == "only_when_completed"
    assert await events_of(enrolment_session, enterprise, "module_progress.changed") == []


async def test_progress_changes_emit_events_and_show_per_enterprise(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, classmate), trainer = await staffed_cohort(api, world, enrolment_session)
    me = as_trainer(trainer)
    url = f"/cohorts/{cohort['id']}/progress/{enterprise}"
    assert (await api.put(url, json={"status": "classroom_completed"}, as_=me)).status_code == 200
    done = await api.put(url, json={"status": "completed", "completed_on": "2019-05-30"}, as_=me)
    assert done.status_code == 200, done.text
    events = await events_of(enrolment_session, enterprise, "module_progress.changed")
    assert [(e["status"], e["completed_on"]) for e in events] == [
        ("classroom_completed", None),
        ("completed", "2019-05-30"),
    ]
    assert events[-1]["module_code"] == "workplace_cooperation"
    progress = await api.get(f"/enterprises/{enterprise}/progress", as_=world.efp_staff)
    [module_1] = progress.json()
    assert (module_1["module_code"], module_1["status"], module_1["completed_on"]) == (
        "workplace_cooperation",
        "completed",
        "2019-05-30",
    )
    quality = await new_cohort(api, world, [enterprise], module_code="quality_management")
    progress = await api.get(f"/enterprises/{enterprise}/progress", as_=world.efp_staff)
    assert [(m["module_code"], m["status"]) for m in progress.json()] == [
        ("workplace_cooperation", "completed"),
        ("quality_management", "enrolled"),
    ]
    assert progress.json()[1]["cohort_id"] == quality["id"]
    cohort_view = await api.get(f"/cohorts/{cohort['id']}/progress", as_=world.efp_staff)
    assert {(p["enterprise_id"], p["status"]) for p in cohort_view.json()} == {
        (enterprise, "completed"),
        (classmate, "enrolled"),
    }


async def test_progress_for_enterprise_outside_the_cohort_answers_404(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, _, _ = await staffed_cohort(api, world, enrolment_session)
    [outsider] = await enrolled_enterprises(api, enrolment_session, world, 1)
    response = await api.put(
        f"/cohorts/{cohort['id']}/progress/{outsider}",
        json={"status": "enrolled"},
        as_=world.efp_staff,
    )
    assert response.status_code == 404


async def test_trainer_cannot_record_on_a_cohort_not_assigned_to_them(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    _, _, trainer = await staffed_cohort(api, world, enrolment_session)
    other, (enterprise, _), _ = await staffed_cohort(api, world, enrolment_session)
    team = await full_team(api, other, enterprise, as_=world.efp_staff)
    day = await api.created(
        f"/cohorts/{other['id']}/sessions",
        {"day_number": 1, "held_on": "2019-02-04"},
        as_=world.efp_staff,
    )
    me = as_trainer(trainer)
    writes = [
        ("POST", f"/cohorts/{other['id']}/sessions", {"day_number": 2, "held_on": "2019-02-05"}),
        (
            "PUT",
            f"/sessions/{day['id']}/attendance",
            [{"participant_id": team[0]["id"], "present": True}],
        ),
        (
            "POST",
            f"/cohorts/{other['id']}/visits",
            {"enterprise_id": enterprise, "visited_on": "2019-03-01", "delivery_mode": "virtual"},
        ),
        ("PUT", f"/cohorts/{other['id']}/progress/{enterprise}", {"status": "classroom_completed"}),
        (
            "POST",
            f"/cohorts/{other['id']}/participants",
            {"enterprise_id": enterprise, "name": "Zara Ali", "role": "worker", "sex": "female"},
        ),
    ]
    for method, url, body in writes:
        response = await api.request(method, url, json=body, as_=me)
        assert response.status_code == 404, url
    for url in (
        f"/cohorts/{other['id']}/participants",
        f"/cohorts/{other['id']}/sessions",
        f"/cohorts/{other['id']}/visits",
        f"/cohorts/{other['id']}/progress",
        f"/sessions/{day['id']}/attendance",
        f"/enterprises/{enterprise}/progress",
    ):
        assert (await api.get(url, as_=me)).status_code == 404, url


async def test_other_partners_and_buyers_see_nothing_of_delivery(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (enterprise, _), _ = await staffed_cohort(api, world, enrolment_session)
    day = await api.created(
        f"/cohorts/{cohort['id']}/sessions",
        {"day_number": 1, "held_on": "2019-02-04"},
        as_=world.efp_staff,
    )
    for outsider in (world.mdpi_staff, world.inditex, world.ghana_manager):
        for url in (
            f"/cohorts/{cohort['id']}/participants",
            f"/cohorts/{cohort['id']}/visits",
            f"/sessions/{day['id']}/attendance",
            f"/enterprises/{enterprise}/progress",
        ):
            assert (await api.get(url, as_=outsider)).status_code == 404, (outsider.role, url)
        recorded = await api.post(
            f"/cohorts/{cohort['id']}/sessions",
            json={"day_number": 2, "held_on": "2019-02-05"},
            as_=outsider,
        )
        assert recorded.status_code == 404


async def test_enterprise_user_reads_own_delivery_only_and_never_writes(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    cohort, (own, classmate), trainer = await staffed_cohort(api, world, enrolment_session)
    await full_team(api, cohort, own, as_=world.efp_staff)
    await full_team(api, cohort, classmate, as_=world.efp_staff)
    for enterprise_id in (own, classmate):
        await api.created(
            f"/cohorts/{cohort['id']}/visits",
            {
                "enterprise_id": enterprise_id,
                "visited_on": "2019-03-01",
                "delivery_mode": "on_site",
            },
            as_=as_trainer(trainer),
        )
    user = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=UUID(own))
    roster = (await api.get(f"/cohorts/{cohort['id']}/participants", as_=user)).json()
    assert {p["enterprise_id"] for p in roster["items"]} == {own}
    assert [c["enterprise_id"] for c in roster["composition"]] == [own]
    visits = (await api.get(f"/cohorts/{cohort['id']}/visits", as_=user)).json()
    assert [v["enterprise_id"] for v in visits] == [own]
    assert (await api.get(f"/enterprises/{own}/progress", as_=user)).status_code == 200
    assert (await api.get(f"/enterprises/{classmate}/progress", as_=user)).status_code == 404
    writes = [
        ("POST", f"/cohorts/{cohort['id']}/sessions", {"day_number": 1, "held_on": "2019-02-04"}),
        ("PUT", f"/cohorts/{cohort['id']}/progress/{own}", {"status": "classroom_completed"}),
        (
            "POST",
            f"/cohorts/{cohort['id']}/participants",
            {"enterprise_id": own, "name": "Zara Ali", "role": "worker", "sex": "female"},
        ),
    ]
    for method, url, body in writes:
        assert (await api.request(method, url, json=body, as_=user)).status_code == 403, url
