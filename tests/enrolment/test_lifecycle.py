"""Enrolment lifecycle over REST: the state machine, its history, and who may move it."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.models import TrainingModule
from services.enrolment.cohorts.models import Cohort, CohortEnterprise, CohortTrainer
from services.enrolment.consent.models import Consent
from services.enrolment.db import plumbing
from services.enrolment.lifecycle.machine import SYSTEM_STAGES, TRANSITIONS, allowed_next
from services.enrolment.lifecycle.models import Enrolment, StageTransition
from services.enrolment.trainers.models import Trainer
from shared.enums import ConsentStatus, LifecycleStage, Role, Sex
from shared.identity import Principal
from tests.enrolment.support import ILO, Api, World, register, unique

S = LifecycleStage

# Stages an enrolment can only be at once the consent form has been recorded.
_AFTER_CONSENT = frozenset(
    {
        S.consent_signed,
        S.level1,
        S.level1_completed,
        S.level2_interest,
        S.comprehensive_baseline,
        S.level2_shortlisted,
        S.level2,
        S.level2_completed,
        S.alumni,
    }
)

PEOPLE_TRANSITIONS = [
    (current, target)
    for current in TRANSITIONS
    for target in allowed_next(current)
    if target not in SYSTEM_STAGES
]


async def count(session: AsyncSession, table: Any, *where: Any) -> int:
    statement = select(func.count()).select_from(table)
    for condition in where:
        statement = statement.where(condition)
    return int(await session.scalar(statement) or 0)


async def enrolment_at(
    session: AsyncSession,
    stage: LifecycleStage,
    *,
    project_id: UUID,
    enterprise_id: UUID | str,
    consent_form_reference: str | None = None,
) -> str:
    """An enrolment put straight at ``stage``, committed so a refused request cannot undo it."""
    enrolment = Enrolment(
        project_id=project_id,
        enterprise_id=UUID(str(enterprise_id)),
        stage=stage,
        consent_form_reference=consent_form_reference,
    )
    session.add(enrolment)
    await session.commit()
    return str(enrolment.id)


async def efp_enrolment(
    api: Api, world: World, session: AsyncSession, stage: LifecycleStage
) -> tuple[str, str]:
    """An EFP enterprise enrolled in the Pakistan project at ``stage``: (enrolment, enterprise)."""
    enterprise = await register(api, world.efp_staff)
    enrolment_id = await enrolment_at(
        session,
        stage,
        project_id=world.pakistan_project_id,
        enterprise_id=enterprise["id"],
        consent_form_reference="CF-PK-0001" if stage in _AFTER_CONSENT else None,
    )
    return enrolment_id, enterprise["id"]


async def move(
    api: Api, enrolment_id: str, to_stage: LifecycleStage, *, as_: Principal = ILO, **body: Any
) -> Any:
    return await api.post(
        f"/enrolments/{enrolment_id}/transitions",
        json={"to_stage": to_stage.value, **body},
        as_=as_,
    )


def body_for(target: LifecycleStage) -> dict[str, Any]:
    if target is S.consent_signed:
        return {"consent_form_reference": "CF-PK-2018-0042.pdf"}
    if target in (S.withdrawn, S.dropped):
        return {"reason": "CEO no longer available for the workshops"}
    return {}


# ------------------------------------------------------------------ allowed transitions


@pytest.mark.parametrize(
    ("current", "target"),
    PEOPLE_TRANSITIONS,
    ids=[f"{c.value}->{t.value}" for c, t in PEOPLE_TRANSITIONS],
)
async def test_every_allowed_transition_for_people_succeeds_and_is_recorded(
    api: Api,
    world: World,
    enrolment_session: AsyncSession,
    current: LifecycleStage,
    target: LifecycleStage,
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, current)
    response = await move(api, enrolment_id, target, as_=world.efp_staff, **body_for(target))
    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["stage"] == target.value
    history = (await api.get(f"/enrolments/{enrolment_id}/transitions")).json()["items"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [(current.value, target.value)]
    assert history[0]["actor"] == "partner_staff:efp-officer"
    assert history[0]["reason"] == body_for(target).get("reason")


def test_the_parametrised_transitions_cover_every_stage_people_can_reach() -> None:
    reached = {target for _, target in PEOPLE_TRANSITIONS}
    people_stages = set(LifecycleStage) - SYSTEM_STAGES - {S.expression_of_interest}
    assert reached == people_stages
    assert (S.baseline_assessment, S.consent_signed) in PEOPLE_TRANSITIONS
    assert (S.level1_completed, S.alumni) in PEOPLE_TRANSITIONS


async def test_full_journey_from_shortlist_to_alumni_keeps_history_in_order(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.shortlisted)
    journey = [
        S.initial_assessment,
        S.baseline_assessment,
        S.consent_signed,
        S.level1,
        S.level1_completed,
        S.level2_interest,
        S.comprehensive_baseline,
        S.level2_shortlisted,
        S.level2,
        S.level2_completed,
        S.alumni,
    ]
    for index, target in enumerate(journey):
        form = body_for(S.consent_signed) if target is S.consent_signed else {}
        response = await move(
            api, enrolment_id, target, as_=world.pakistan_manager, reason=f"step {index}", **form
        )
        assert response.status_code == 200, response.text
    history = (
        await api.get(f"/enrolments/{enrolment_id}/transitions", as_=world.efp_staff)
    ).json()["items"]
    assert [h["to_stage"] for h in history] == [s.value for s in journey]
    assert [h["from_stage"] for h in history] == [S.shortlisted.value] + [
        s.value for s in journey[:-1]
    ]
    assert [h["reason"] for h in history] == [f"step {i}" for i in range(len(journey))]
    assert all(h["actor"] == "programme_manager:pk-manager" for h in history)
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    final = (await api.get(f"/enrolments/{enrolment_id}")).json()
    assert final["stage"] == "alumni"
    assert final["final"] is True
    assert final["allowed_next_stages"] == []
    assert final["consent_form_reference"] == "CF-PK-2018-0042.pdf"


async def test_transition_emits_stage_changed_and_audit_with_reason(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(
        api, world, enrolment_session, S.baseline_assessment
    )
    response = await move(
        api,
        enrolment_id,
        S.consent_signed,
        as_=world.efp_staff,
        reason="Form signed by the CEO",
        consent_form_reference="CF-7",
    )
    assert response.status_code == 200
    outbox = plumbing.outbox
    [event] = (
        await enrolment_session.execute(
            select(outbox.c.event_type, outbox.c.payload, outbox.c.actor).where(
                outbox.c.aggregate_id == enrolment_id
            )
        )
    ).all()
    assert event.event_type == "enrolment.stage_changed"
    assert event.actor == "partner_staff:efp-officer"
    assert event.payload["from_stage"] == "baseline_assessment"
    assert event.payload["to_stage"] == "consent_signed"
    assert event.payload["reason"] == "Form signed by the CEO"
    assert event.payload["enterprise_id"] == enterprise_id
    assert event.payload["partner_id"] == str(world.efp_id)
    audit = plumbing.audit
    [entry] = (
        await enrolment_session.execute(
            select(audit.c.action, audit.c.before, audit.c.after, audit.c.reason).where(
                audit.c.entity_id == enrolment_id
            )
        )
    ).all()
    assert entry.action == "enrolment.stage_changed"
    assert entry.before == {"stage": "baseline_assessment"}
    assert entry.after == {"stage": "consent_signed"}
    assert entry.reason == "Form signed by the CEO"
    transition = (
        await enrolment_session.execute(
            select(StageTransition).where(
                StageTransition.enrolment_id == UUID(enrolment_id)  # type: ignore[arg-type]
            )
        )
    ).scalar_one()
    assert transition.actor == "partner_staff:efp-officer"
    assert transition.at is not None


# ------------------------------------------------------------------ refused transitions


async def assert_refused(
    response: Any, *, current: LifecycleStage, allowed: list[LifecycleStage]
) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith("/transition-not-allowed")
    assert problem["current_stage"] == current.value
    assert problem["allowed_next_stages"] == [s.value for s in allowed]
    assert f"current stage {current.value}" in problem["detail"]
    assert "allowed next stages: " + ", ".join(s.value for s in allowed) in problem["detail"]
    return problem


async def test_level1_without_signed_consent_is_refused_naming_stage_and_options(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.baseline_assessment)
    response = await move(api, enrolment_id, S.level1, as_=world.efp_staff)
    problem = await assert_refused(
        response,
        current=S.baseline_assessment,
        allowed=[S.consent_signed, S.withdrawn, S.dropped],
    )
    assert "Cannot move from baseline_assessment to level1" in problem["detail"]


async def test_level2_before_level1_is_completed_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.level1)
    for target in (S.level2, S.level2_interest, S.alumni):
        response = await move(api, enrolment_id, target, as_=world.pakistan_manager)
        await assert_refused(
            response, current=S.level1, allowed=[S.level1_completed, S.withdrawn, S.dropped]
        )


async def test_consent_signed_without_form_reference_is_refused(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    enrolment_id = await enrolment_at(
        enrolment_session,
        S.baseline_assessment,
        project_id=world.pakistan_project_id,
        enterprise_id=enterprise["id"],
    )
    response = await move(api, enrolment_id, S.consent_signed, as_=world.efp_staff)
    problem = await assert_refused(
        response,
        current=S.baseline_assessment,
        allowed=[S.consent_signed, S.withdrawn, S.dropped],
    )
    assert "consent_form_reference" in problem["detail"]
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "baseline_assessment"


@pytest.mark.parametrize("final", [S.alumni, S.withdrawn, S.dropped])
async def test_nothing_moves_out_of_a_final_stage(
    api: Api, world: World, enrolment_session: AsyncSession, final: LifecycleStage
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, final)
    other_exit = S.dropped if final is not S.dropped else S.withdrawn
    for target in (S.level1, S.expression_of_interest, other_exit):
        response = await move(api, enrolment_id, target, **body_for(target))
        problem = await assert_refused(response, current=final, allowed=[])
        assert f"none ({final.value} is a final stage)" in problem["detail"]


@pytest.mark.parametrize("target", [S.eligible, S.ineligible, S.needs_information, S.shortlisted])
async def test_people_cannot_set_screening_outcomes(
    api: Api, world: World, enrolment_session: AsyncSession, target: LifecycleStage
) -> None:
    # From eligible, shortlisting is allowed for the platform but not by hand.
    current = S.expression_of_interest if target is not S.shortlisted else S.eligible
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, current)
    response = await move(api, enrolment_id, target)
    problem = await assert_refused(response, current=current, allowed=[S.withdrawn, S.dropped])
    assert "not by hand" in problem["detail"]


async def test_refused_transition_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.baseline_assessment)
    transitions_before = await count(enrolment_session, StageTransition)
    events_before = await count(enrolment_session, plumbing.outbox)
    audit_before = await count(enrolment_session, plumbing.audit)
    refused = [
        await move(api, enrolment_id, S.level1, as_=world.efp_staff),
        await move(api, enrolment_id, S.consent_signed, as_=world.efp_staff),
        await move(api, enrolment_id, S.eligible, as_=world.efp_staff),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409]
    assert await count(enrolment_session, StageTransition) == transitions_before
    assert await count(enrolment_session, plumbing.outbox) == events_before
    assert await count(enrolment_session, plumbing.audit) == audit_before
    stored = (await api.get(f"/enrolments/{enrolment_id}")).json()
    assert stored["stage"] == "baseline_assessment"
    assert stored["consent_form_reference"] is None


@pytest.mark.parametrize("exit_stage", [S.withdrawn, S.dropped])
async def test_leaving_the_programme_needs_a_reason(
    api: Api, world: World, enrolment_session: AsyncSession, exit_stage: LifecycleStage
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.level1)
    events_before = await count(enrolment_session, plumbing.outbox)
    for body in ({}, {"reason": "   "}):
        response = await move(api, enrolment_id, exit_stage, as_=world.efp_staff, **body)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == "body.reason"
    assert await count(enrolment_session, plumbing.outbox) == events_before
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "level1"


async def test_bad_transition_bodies_are_named_per_field(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, _ = await efp_enrolment(api, world, enrolment_session, S.level1)
    unknown = await api.post(
        f"/enrolments/{enrolment_id}/transitions", json={"to_stage": "graduated"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.to_stage"
    stray_form = await move(api, enrolment_id, S.level1_completed, consent_form_reference="CF-9")
    assert stray_form.status_code == 422
    [error] = stray_form.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.consent_form_reference", "consent_signed_only")
    extra = await move(api, enrolment_id, S.level1_completed, by_system=True)
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "body.by_system"


# ------------------------------------------------------------------ reads


async def test_enrolment_shows_stage_and_only_people_settable_next_stages(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(
        api, world, enrolment_session, S.expression_of_interest
    )
    shown = (await api.get(f"/enrolments/{enrolment_id}", as_=world.efp_staff)).json()
    assert shown["stage"] == "expression_of_interest"
    assert shown["enterprise_id"] == enterprise_id
    assert shown["project_id"] == str(world.pakistan_project_id)
    assert shown["allowed_next_stages"] == ["withdrawn", "dropped"]
    assert shown["final"] is False
    assert shown["stage_since"] == shown["created_at"]
    completed, _ = await efp_enrolment(api, world, enrolment_session, S.level1_completed)
    assert (await api.get(f"/enrolments/{completed}")).json()["allowed_next_stages"] == [
        "level2_interest",
        "alumni",
        "withdrawn",
        "dropped",
    ]


async def test_unknown_enrolment_answers_404(api: Api) -> None:
    response = await api.get(f"/enrolments/{uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_listing_filters_by_project_enterprise_and_stage(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    first, enterprise_id = await efp_enrolment(api, world, enrolment_session, S.level1)
    second, _ = await efp_enrolment(api, world, enrolment_session, S.level2)
    in_ghana = await enrolment_at(
        enrolment_session,
        S.level1,
        project_id=world.ghana_project_id,
        enterprise_id=enterprise_id,
    )

    async def ids(**params: Any) -> set[str]:
        response = await api.get("/enrolments", params={"limit": 500, **params})
        assert response.status_code == 200
        return {e["id"] for e in response.json()["items"]}

    assert await ids(enterprise_id=enterprise_id) == {first, in_ghana}
    by_stage = await ids(stage="level1", project_id=str(world.pakistan_project_id))
    assert first in by_stage
    assert second not in by_stage
    assert in_ghana not in by_stage
    assert await ids(enterprise_id=enterprise_id, project_id=str(world.ghana_project_id)) == {
        in_ghana
    }
    bad = await api.get("/enrolments", params={"stage": "graduated"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.stage"


async def test_listing_pages_with_cursor_without_overlap(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    created = {(await efp_enrolment(api, world, enrolment_session, S.level1))[0] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/enrolments", params=params, as_=world.efp_staff)).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert created <= set(seen)


# ------------------------------------------------------------------ expression of interest


async def test_expression_of_interest_is_created_once_then_returned(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enterprise = await register(api, world.efp_staff)
    body = {
        "project_id": str(world.pakistan_project_id),
        "enterprise_id": enterprise["id"],
        "reason": "Walked in at the EFP open day",
    }
    first = await api.post("/enrolments", json=body, as_=world.efp_staff)
    assert first.status_code == 201, first.text
    assert first.json()["stage"] == "expression_of_interest"
    again = await api.post("/enrolments", json=body, as_=world.pakistan_manager)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    enrolment_id = first.json()["id"]
    assert await count(enrolment_session, Enrolment, Enrolment.id == UUID(enrolment_id)) == 1
    history = (await api.get(f"/enrolments/{enrolment_id}/transitions")).json()["items"]
    assert [(h["from_stage"], h["to_stage"], h["reason"]) for h in history] == [
        (None, "expression_of_interest", "Walked in at the EFP open day")
    ]
    outbox = plumbing.outbox
    events = (
        await enrolment_session.execute(
            select(outbox.c.event_type).where(outbox.c.aggregate_id == enrolment_id)
        )
    ).all()
    assert [e.event_type for e in events] == ["enrolment.stage_changed"]


async def test_manager_enrols_enterprise_recruited_by_a_project_partner_only(
    api: Api, world: World
) -> None:
    efp_enterprise = await register(api, world.efp_staff)
    mdpi_enterprise = await register(api, world.mdpi_staff, country="GH")
    own = await api.post(
        "/enrolments",
        json={"project_id": str(world.pakistan_project_id), "enterprise_id": efp_enterprise["id"]},
        as_=world.pakistan_manager,
    )
    assert own.status_code == 201, own.text
    foreign = await api.post(
        "/enrolments",
        json={"project_id": str(world.pakistan_project_id), "enterprise_id": mdpi_enterprise["id"]},
        as_=world.pakistan_manager,
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["field"] == "body.enterprise_id"
    other_project = await api.post(
        "/enrolments",
        json={"project_id": str(world.ghana_project_id), "enterprise_id": efp_enterprise["id"]},
        as_=world.pakistan_manager,
    )
    assert other_project.status_code == 422
    assert other_project.json()["errors"][0]["field"] == "body.project_id"


async def test_partner_cannot_enrol_another_partners_enterprise_or_into_foreign_project(
    api: Api, world: World
) -> None:
    efp_enterprise = await register(api, world.efp_staff)
    into_ghana = await api.post(
        "/enrolments",
        json={"project_id": str(world.ghana_project_id), "enterprise_id": efp_enterprise["id"]},
        as_=world.efp_staff,
    )
    assert into_ghana.status_code == 422
    assert into_ghana.json()["errors"][0]["field"] == "body.project_id"
    mdpi_enterprise = await register(api, world.mdpi_staff, country="GH")
    not_theirs = await api.post(
        "/enrolments",
        json={"project_id": str(world.pakistan_project_id), "enterprise_id": mdpi_enterprise["id"]},
        as_=world.efp_staff,
    )
    assert not_theirs.status_code == 422
    assert not_theirs.json()["errors"][0]["field"] == "body.enterprise_id"
    unknown = await api.post(
        "/enrolments",
        json={"project_id": str(world.pakistan_project_id), "enterprise_id": str(uuid4())},
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.enterprise_id"


async def test_roles_that_never_enrol_get_403(api: Api, world: World) -> None:
    enterprise = await register(api, world.efp_staff)
    body = {"project_id": str(world.pakistan_project_id), "enterprise_id": enterprise["id"]}
    for principal in (
        Principal(subject="owner", role=Role.enterprise_user, enterprise_id=enterprise["id"]),
        Principal(subject="trainer", role=Role.trainer, trainer_id=uuid4()),
        world.inditex,
    ):
        response = await api.post("/enrolments", json=body, as_=principal)
        assert response.status_code == 403, principal.role


# ------------------------------------------------------------------ tenancy


async def test_other_tenants_cannot_read_or_move_an_enrolment(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(api, world, enrolment_session, S.level1)
    other_enterprise = await register(api, world.efp_staff)
    outsiders = [
        world.mdpi_staff,
        world.ghana_manager,
        Principal(subject="idle-trainer", role=Role.trainer, trainer_id=uuid4()),
        Principal(subject="other", role=Role.enterprise_user, enterprise_id=other_enterprise["id"]),
        world.inditex,
    ]
    for outsider in outsiders:
        read = await api.get(f"/enrolments/{enrolment_id}", as_=outsider)
        assert read.status_code == 404, outsider.role
        history = await api.get(f"/enrolments/{enrolment_id}/transitions", as_=outsider)
        assert history.status_code == 404, outsider.role
        moved = await move(api, enrolment_id, S.level1_completed, as_=outsider)
        assert moved.status_code == 404, outsider.role
        listing = await api.get(
            "/enrolments", params={"enterprise_id": enterprise_id}, as_=outsider
        )
        assert listing.status_code == 200
        assert listing.json()["items"] == [], outsider.role
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "level1"


async def test_manager_sees_only_their_projects_enrolment_of_a_shared_enterprise(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    pakistan_id, enterprise_id = await efp_enrolment(api, world, enrolment_session, S.level1)
    ghana_id = await enrolment_at(
        enrolment_session, S.level1, project_id=world.ghana_project_id, enterprise_id=enterprise_id
    )
    assert (await api.get(f"/enrolments/{ghana_id}", as_=world.ghana_manager)).status_code == 200
    assert (await api.get(f"/enrolments/{pakistan_id}", as_=world.ghana_manager)).status_code == 404
    moved = await move(api, pakistan_id, S.level1_completed, as_=world.ghana_manager)
    assert moved.status_code == 404
    listing = await api.get(
        "/enrolments", params={"enterprise_id": enterprise_id}, as_=world.ghana_manager
    )
    assert [e["id"] for e in listing.json()["items"]] == [ghana_id]


async def test_roles_that_may_see_but_not_move_get_403(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    enrolment_id, enterprise_id = await efp_enrolment(api, world, enrolment_session, S.level1)
    owner = Principal(subject="owner", role=Role.enterprise_user, enterprise_id=UUID(enterprise_id))
    module = TrainingModule(code=unique("wc").replace(" ", "-"), name="Workplace Cooperation")
    trainer = Trainer(
        name="Ayesha Khan", sex=Sex.female, country="PK", organisation_id=world.efp_id
    )
    enrolment_session.add_all([module, trainer])
    await enrolment_session.flush()
    cohort = Cohort(
        project_id=world.pakistan_project_id,
        partner_id=world.efp_id,
        module_id=module.id,
        name="Karachi batch 1",
    )
    enrolment_session.add(cohort)
    await enrolment_session.flush()
    enrolment_session.add_all(
        [
            CohortTrainer(cohort_id=cohort.id, trainer_id=trainer.id),
            CohortEnterprise(cohort_id=cohort.id, enterprise_id=UUID(enterprise_id)),
            Consent(
                enterprise_id=UUID(enterprise_id),
                buyer_id=world.inditex_id,
                status=ConsentStatus.given,
            ),
        ]
    )
    await enrolment_session.commit()
    assigned = Principal(subject="ayesha", role=Role.trainer, trainer_id=trainer.id)
    for viewer in (owner, assigned, world.inditex):
        read = await api.get(f"/enrolments/{enrolment_id}", as_=viewer)
        assert read.status_code == 200, viewer.role
        moved = await move(api, enrolment_id, S.level1_completed, as_=viewer)
        assert moved.status_code == 403, viewer.role
    assert (await api.get(f"/enrolments/{enrolment_id}")).json()["stage"] == "level1"
    # Who may move it: the project's manager and the enterprise's partner.
    assert (await move(api, enrolment_id, S.level1_completed, as_=world.efp_staff)).status_code == (
        200
    )
    assert (
        await move(api, enrolment_id, S.level2_interest, as_=world.pakistan_manager)
    ).status_code == 200
