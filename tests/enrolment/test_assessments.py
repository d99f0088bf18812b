"""Assessments: recording one moves the enrolment to its stage (a bare transition is
refused), with its event and audit entry; its priorities suggest the next module."""

from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.assessments.models import Assessment
from shared.enums import LifecycleStage, Role
from shared.identity import Principal
from tests.enrolment.assessments_support import assessment_body
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import Api, World
from tests.enrolment.test_graphql import data_of, graphql
from tests.enrolment.test_lifecycle import efp_enrolment, move
from tests.enrolment.training_support import audit_actions, complete_module_1, events_of

S = LifecycleStage


async def record(
    api: Api, enrolment_id: str, kind: str, *, as_: Principal, **overrides: Any
) -> Any:
    return await api.post(
        f"/enrolments/{enrolment_id}/assessments",
        json=assessment_body(kind, **overrides),
        as_=as_,
    )


async def test_baseline_assessment_moves_the_stage_with_its_event_and_audit(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(
        api, world, enrolment_session, S.initial_assessment
    )
    response = await record(api, enrolment_id, "baseline", as_=world.efp_staff)
    assert response.status_code == 201, response.text
    assessment = response.json()
    assert assessment["stage"] == "baseline_assessment"
    assert assessment["priority_modules"] == ["quality_management", "osh"]
    enrolment = (await api.get(f"/enrolments/{enrolment_id}")).json()
    assert enrolment["stage"] == "baseline_assessment"
    [transition] = (await api.get(f"/enrolments/{enrolment_id}/transitions")).json()["items"]
    assert transition["reason"].startswith("baseline assessment of 2018-09-12 by Ayesha")
    [event] = await events_of(enrolment_session, assessment["id"])
    assert event["event_type"] == "assessment.recorded"
    assert event["enterprise_id"] == enterprise_id
    assert await audit_actions(enrolment_session, assessment["id"]) == ["assessment.recorded"]
    listed = (await api.get(f"/enrolments/{enrolment_id}/assessments")).json()["items"]
    assert [a["id"] for a in listed] == [assessment["id"]]


async def test_a_bare_transition_to_an_assessment_stage_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.initial_assessment)
    response = await move(api, enrolment_id, S.baseline_assessment, as_=world.efp_staff)
    assert response.status_code == 409
    assert "recording the assessment" in response.json()["detail"]
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "initial_assessment"


async def test_an_assessment_out_of_order_is_refused_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.shortlisted)
    before = await count_rows(enrolment_session, Assessment)
    response = await record(api, enrolment_id, "comprehensive_baseline", as_=world.efp_staff)
    assert response.status_code == 409
    assert response.json()["current_stage"] == "shortlisted"
    assert await count_rows(enrolment_session, Assessment) == before
    # A repeat baseline later on is kept without moving the stage back.
    later, _ = await efp_enrolment(api, world, enrolment_session, S.level1)
    repeat = await record(api, later, "baseline", as_=world.efp_staff)
    assert repeat.status_code == 201
    assert repeat.json()["stage"] == "level1"


async def test_bad_assessments_name_each_field_and_rule(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.initial_assessment)
    response = await record(
        api,
        enrolment_id,
        "baseline",
        as_=world.efp_staff,
        assessed_on="2999-01-01",
        priority_modules=["osh", "juggling", "osh"],
        assessor_trainer_id="01a23c03-5faf-7625-9998-f5f29c7003d6",
    )
    assert response.status_code == 422
    rules = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert rules == {
        ("body.assessed_on", "not_future"),
        ("body.priority_modules.1", "module"),
        ("body.priority_modules.2", "duplicate"),
        ("body.assessor_trainer_id", "partner_trainer"),
    }
    empty = await record(api, enrolment_id, "baseline", as_=world.efp_staff, findings=[])
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "body.findings"
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "initial_assessment"


async def test_other_tenants_and_read_only_roles_cannot_record_or_see_assessments(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(
        api, world, enrolment_session, S.initial_assessment
    )
    assessment = (await record(api, enrolment_id, "baseline", as_=world.efp_staff)).json()
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        refused = await record(api, enrolment_id, "baseline", as_=outsider)
        assert refused.status_code == 404, refused.text
        assert (await api.get(f"/assessments/{assessment['id']}", as_=outsider)).status_code == 404
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=UUID(enterprise_id))
    assert (await api.get(f"/assessments/{assessment['id']}", as_=owner)).status_code == 200
    assert (await record(api, enrolment_id, "baseline", as_=owner)).status_code == 403


async def test_next_module_is_module_1_then_the_baselines_priorities_not_yet_taken(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(
        api, world, enrolment_session, S.initial_assessment
    )
    await record(api, enrolment_id, "baseline", as_=world.efp_staff)
    first = (await api.get(f"/enrolments/{enrolment_id}/next-module")).json()
    assert first["module_code"] == "workplace_cooperation"
    signed = await move(api, enrolment_id, S.consent_signed, consent_form_reference="CF-1.pdf")
    assert signed.status_code == 200, signed.text
    await complete_module_1(api, world, [enterprise_id])
    second = (await api.get(f"/enrolments/{enrolment_id}/next-module")).json()
    assert second["module_code"] == "quality_management"
    assert second["reason"].startswith("priority 1 of the baseline assessment of 2018-09-12")
    assert second["assessment_id"] is not None


async def test_graphql_lists_an_enrolments_assessments_for_its_tenants_only(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.initial_assessment)
    assessment = (await record(api, enrolment_id, "baseline", as_=world.efp_staff)).json()
    query = (
        "query($id: ID!) { assessments(enrolmentId: $id) "
        "{ items { id kind assessedOn priorityModules findings { area score } } } }"
    )
    mine = await data_of(api, query, as_=world.efp_staff, id=enrolment_id)
    assert mine["assessments"]["items"] == [
        {
            "id": assessment["id"],
            "kind": "baseline",
            "assessedOn": "2018-09-12",
            "priorityModules": ["quality_management", "osh"],
            "findings": [{"area": "Quality management", "score": 2}],
        }
    ]
    for outsider in (world.mdpi_staff, world.inditex):
        theirs = await data_of(api, query, as_=outsider, id=enrolment_id)
        assert theirs["assessments"]["items"] == []
    bad = await graphql(api, query, id="not-an-id")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
