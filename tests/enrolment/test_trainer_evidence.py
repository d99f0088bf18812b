"""Trainer certification evidence (seed 003: a quiz at the end of each session and an
assignment): recorded on the trainer's certification path, required for certification
(409 naming what is missing, or the ILO's audited override), visible to whoever may see
the trainer and to nobody else; bad input and bad files leave nothing behind."""

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue.standard import ensure_standard_modules
from services.enrolment.trainer_evidence.models import TrainerAssignment, TrainerQuizResult
from services.enrolment.trainer_evidence.repository import evidence_repository
from services.enrolment.trainer_evidence.service import FILE_NAMESPACE
from shared.identity import Principal
from shared.storage import StorageSettings, make_store, new_key, sweep
from tests.enrolment.support import ILO, Api, World, graph_data
from tests.enrolment.training_support import (
    ASSIGNMENT_PDF,
    as_trainer,
    audit_actions,
    events_of,
    new_trainer,
    record_evidence,
)

MODULE = "workplace_cooperation"  # two classroom days: two sessions on its path
CERTIFIED = {
    "level": "certified",
    "tot_completed_on": "2018-03-10",
    "toe_completed_on": "2018-09-20",
}
PASSED = {"score": 82, "pass_mark": 70, "taken_on": "2018-03-09"}


@pytest.fixture(autouse=True)
async def catalogue(enrolment_session: AsyncSession) -> None:
    await ensure_standard_modules(enrolment_session)
    await enrolment_session.commit()


def path(trainer: dict[str, Any], module: str = MODULE) -> str:
    return f"/trainers/{trainer['id']}/certifications/{module}"


def stored_files() -> set[Path]:
    folder = StorageSettings().local_path / FILE_NAMESPACE
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


async def submit(
    api: Api,
    trainer: dict[str, Any],
    content: bytes = ASSIGNMENT_PDF,
    name: str = "assignment.pdf",
    *,
    as_: Principal,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await api.post(
        f"{path(trainer)}/assignments",
        files={"file": (name, content, "application/pdf")},
        as_=as_,
        headers=headers or {},
    )


async def quiz_rows(session: AsyncSession, trainer_id: str) -> list[TrainerQuizResult]:
    rows = await session.execute(
        select(TrainerQuizResult).where(col(TrainerQuizResult.trainer_id) == UUID(trainer_id))
    )
    return list(rows.scalars().all())


async def test_certification_refuses_naming_each_session_without_a_passed_quiz_and_the_assignment(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    trainer = await new_trainer(api, as_=staff)
    url = path(trainer)
    assert (await api.put(url, json={"level": "candidate"}, as_=staff)).status_code == 200

    nothing = await api.put(url, json=CERTIFIED, as_=staff)
    assert nothing.status_code == 409
    assert nothing.headers["content-type"] == "application/problem+json"
    assert {(e["field"], e["rule"]) for e in nothing.json()["errors"]} == {
        ("evidence.quizzes.1", "quiz_passed"),
        ("evidence.quizzes.2", "quiz_passed"),
        ("evidence.assignment", "assignment_submitted"),
    }
    assert nothing.json()["sessions_without_passed_quiz"] == [1, 2]

    # Session 1 passed, session 2 failed: only session 2 and the assignment are missing.
    assert (await api.put(f"{url}/quizzes/1", json=PASSED, as_=staff)).status_code == 200
    failed = {"score": 55, "pass_mark": 70, "taken_on": "2018-03-10"}
    answer = await api.put(f"{url}/quizzes/2", json=failed, as_=staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["passed"] is False
    partly = await api.put(url, json=CERTIFIED, as_=staff)
    assert partly.status_code == 409
    [quiz, assignment] = partly.json()["errors"]
    assert quiz["field"] == "evidence.quizzes.2"
    assert "scored 55, under its pass mark 70" in quiz["message"]
    assert assignment["rule"] == "assignment_submitted"
    assert "no assignment submitted" in partly.json()["detail"]

    # The retake replaces the failed attempt; with the assignment, certification goes ahead.
    assert (await api.put(f"{url}/quizzes/2", json=PASSED, as_=staff)).status_code == 200
    assert (await submit(api, trainer, as_=staff)).status_code == 201
    evidence = (await api.get(f"{url}/evidence", as_=staff)).json()
    assert (evidence["complete"], evidence["sessions_without_passed_quiz"]) == (True, [])
    assert [q["passed"] for q in evidence["quizzes"]] == [True, True]
    certified = await api.put(url, json=CERTIFIED, as_=staff)
    assert certified.status_code == 200, certified.text
    assert (certified.json()["level"], certified.json()["override_reason"]) == ("certified", None)

    # The refusals wrote nothing: one certification event, the candidate's audit rows only.
    assert len(await events_of(enrolment_session, trainer["id"], "trainer.certified")) == 1
    quizzes = await events_of(enrolment_session, trainer["id"], "trainer.quiz_recorded")
    assert [(e["session_number"], e["passed"]) for e in quizzes] == [
        (1, True),
        (2, False),
        (2, True),
    ]
    assert (
        len(await events_of(enrolment_session, trainer["id"], "trainer.assignment_submitted")) == 1
    )
    actions = await audit_actions(enrolment_session, trainer["id"])
    assert actions.count("trainer.certification_changed") == 2  # candidate, then certified


async def test_the_ilo_may_certify_without_the_evidence_giving_a_kept_and_audited_reason(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    await record_evidence(api, trainer["id"], as_=world.efp_staff, assignment=False)
    reason = "Assignment lost in the 2018 office move; the ILO trainer vouches for it"
    by_partner = await api.put(
        path(trainer), json={**CERTIFIED, "override_reason": reason}, as_=world.efp_staff
    )
    assert by_partner.status_code == 403
    too_short = await api.put(path(trainer), json={**CERTIFIED, "override_reason": "ok"}, as_=ILO)
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "body.override_reason"

    overridden = await api.put(
        path(trainer), json={**CERTIFIED, "override_reason": reason}, as_=ILO
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["override_reason"] == reason
    assert overridden.json()["overridden_by"]
    listed = await api.get(f"/trainers/{trainer['id']}", as_=world.efp_staff)
    [kept] = listed.json()["certifications"]
    assert kept["override_reason"] == reason
    # Back to candidate and certified again with full evidence: no override remains.
    assert (await api.put(path(trainer), json={"level": "candidate"}, as_=ILO)).status_code == 200
    assert (await submit(api, trainer, as_=world.efp_staff)).status_code == 201
    again = await api.put(path(trainer), json=CERTIFIED, as_=world.efp_staff)
    assert again.status_code == 200
    assert again.json()["override_reason"] is None

    from services.enrolment.db import plumbing

    audit = plumbing.audit
    rows = await enrolment_session.execute(
        select(audit.c.after)
        .where(
            audit.c.entity_id == trainer["id"], audit.c.action == "trainer.certification_changed"
        )
        .order_by(audit.c.id)
    )
    assert reason in [row.after["override_reason"] for row in rows]


async def test_bad_quiz_input_names_the_field_and_rule_and_writes_nothing(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    trainer = await new_trainer(api, as_=staff)
    url = path(trainer)
    over = await api.put(
        f"{url}/quizzes/1", json={"score": 101, "pass_mark": 0, "taken_on": "2018-03-09"}, as_=staff
    )
    assert over.status_code == 422
    assert {(e["field"], e["rule"]) for e in over.json()["errors"]} >= {
        ("body.score", "less_than_equal"),
        ("body.pass_mark", "greater_than_equal"),
    }
    beyond = await api.put(f"{url}/quizzes/3", json=PASSED, as_=staff)
    assert beyond.status_code == 422
    [error] = beyond.json()["errors"]
    assert (error["field"], error["rule"]) == ("path.session_number", "session_on_path")
    assert "1..2" in error["message"]
    assert (await api.put(f"{url}/quizzes/0", json=PASSED, as_=staff)).status_code == 422
    future = await api.put(f"{url}/quizzes/1", json={**PASSED, "taken_on": "2999-01-01"}, as_=staff)
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "body.taken_on"
    nul = await api.put(
        f"{url}/quizzes/1",
        content=b'{"score": 80, "pass_mark": 70, "taken_on": "2018-03-09", "x": "a\\u0000"}',
        headers={"content-type": "application/json"},
        as_=staff,
    )
    assert nul.status_code == 422
    unknown = await api.put(
        f"/trainers/{trainer['id']}/certifications/basket_weaving/quizzes/1", json=PASSED, as_=staff
    )
    assert unknown.status_code == 404
    assert await quiz_rows(enrolment_session, trainer["id"]) == []
    assert await events_of(enrolment_session, trainer["id"], "trainer.quiz_recorded") == []


async def test_a_retried_quiz_result_is_one_row_and_one_event(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    for _ in range(2):
        sent = await api.put(f"{path(trainer)}/quizzes/1", json=PASSED, as_=world.efp_staff)
        assert sent.status_code == 200
    assert len(await quiz_rows(enrolment_session, trainer["id"])) == 1
    assert len(await events_of(enrolment_session, trainer["id"], "trainer.quiz_recorded")) == 1


async def test_an_assignment_is_sniffed_stored_and_streamed_back_and_a_keyed_retry_adds_one(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    staff = world.efp_staff
    trainer = await new_trainer(api, as_=staff)
    before = stored_files()
    disguised = await submit(
        api, trainer, b"MZ\x90\x00" + b"\x00" * 200, "assignment.pdf", as_=staff
    )
    assert disguised.status_code == 415
    assert disguised.json()["errors"][0]["field"] == "body.file"
    text = await submit(api, trainer, b"just some words, not a PDF", "assignment.pdf", as_=staff)
    assert text.status_code == 415
    nul_note = await api.post(
        f"{path(trainer)}/assignments",
        files={"file": ("a.pdf", ASSIGNMENT_PDF, "application/pdf")},
        data={"note": "bad\x00note"},
        as_=staff,
    )
    assert nul_note.status_code == 422
    assert nul_note.json()["errors"][0]["field"] == "body.note"
    assert stored_files() == before
    rows = await enrolment_session.execute(
        select(TrainerAssignment).where(col(TrainerAssignment.trainer_id) == UUID(trainer["id"]))
    )
    assert rows.all() == []

    key = {"Idempotency-Key": f"assignment-{trainer['id']}"}
    first = await submit(api, trainer, as_=staff, headers=key)
    assert first.status_code == 201, first.text
    retry = await submit(api, trainer, as_=staff, headers=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    evidence = (await api.get(f"{path(trainer)}/evidence", as_=staff)).json()
    [assignment] = evidence["assignments"]
    assert len(stored_files() - before) == 1

    # The trainer and the ILO may download it, streamed, as it was sent.
    for reader in (as_trainer(trainer), ILO, staff):
        got = await api.get(
            f"/trainers/{trainer['id']}/assignments/{assignment['id']}/file", as_=reader
        )
        assert got.status_code == 200
        assert got.content == ASSIGNMENT_PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["etag"] == f'"{hashlib.sha256(ASSIGNMENT_PDF).hexdigest()}"'


async def test_another_partners_trainer_is_not_found_like_a_random_id(
    api: Api, world: World
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    sent = await submit(api, trainer, as_=world.efp_staff)
    assignment = sent.json()["id"]
    random = {"id": str(uuid4())}
    for outsider in (world.mdpi_staff, world.inditex, world.ghana_manager):
        answers = []
        for subject in (trainer, random):
            answers.append(
                [
                    (await api.get(f"{path(subject)}/evidence", as_=outsider)).status_code,
                    (
                        await api.put(f"{path(subject)}/quizzes/1", json=PASSED, as_=outsider)
                    ).status_code,
                    (await submit(api, subject, as_=outsider)).status_code,
                    (
                        await api.get(
                            f"/trainers/{subject['id']}/assignments/{assignment}/file",
                            as_=outsider,
                        )
                    ).status_code,
                ]
            )
        assert answers[0] == answers[1] == [404, 404, 404, 404], outsider.subject
    # The trainer reads their own evidence but does not record it.
    me = as_trainer(trainer)
    assert (await api.get(f"{path(trainer)}/evidence", as_=me)).status_code == 200
    assert (await api.put(f"{path(trainer)}/quizzes/1", json=PASSED, as_=me)).status_code == 403
    assert (await submit(api, trainer, as_=me)).status_code == 403
    # An assignment is found only under its own trainer.
    other = await new_trainer(api, as_=world.efp_staff, name="Bilal Ahmed")
    elsewhere = await api.get(f"/trainers/{other['id']}/assignments/{assignment}/file")
    assert elsewhere.status_code == 404


async def test_graphql_reads_the_evidence_and_records_a_quiz_as_rest_does(
    api: Api, world: World
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    assert (await submit(api, trainer, as_=world.efp_staff)).status_code == 201
    recorded = await graph_data(
        api,
        """mutation($id: ID!, $module: String!) {
             recordTrainerQuiz(trainerId: $id, moduleCode: $module,
             sessionNumber: 1, input: {score: 90, passMark: 70, takenOn: "2018-03-09"}) {
             __typename ... on TrainerQuizResult { sessionNumber passed }
             ... on ValidationFailed { errors { field rule } } } }""",
        as_=world.efp_staff,
        id=trainer["id"],
        module=MODULE,
    )
    assert recorded["recordTrainerQuiz"] == {
        "__typename": "TrainerQuizResult",
        "sessionNumber": 1,
        "passed": True,
    }
    beyond = await graph_data(
        api,
        """mutation($id: ID!, $module: String!) {
             recordTrainerQuiz(trainerId: $id, moduleCode: $module,
             sessionNumber: 9, input: {score: 90, passMark: 70, takenOn: "2018-03-09"}) {
             __typename ... on ValidationFailed { errors { field rule } } } }""",
        as_=world.efp_staff,
        id=trainer["id"],
        module=MODULE,
    )
    assert beyond["recordTrainerQuiz"]["errors"] == [
        {"field": "sessionNumber", "rule": "session_on_path"}
    ]
    query = """query($id: ID!) { trainerCertificationEvidence(trainerId: $id,
                 moduleCode: "workplace_cooperation") { sessions sessionsWithoutPassedQuiz
                 assignmentMissing complete assignments { downloadPath } } }"""
    data = await graph_data(api, query, as_=world.efp_staff, id=trainer["id"])
    evidence = data["trainerCertificationEvidence"]
    assert (evidence["sessions"], evidence["sessionsWithoutPassedQuiz"]) == (2, [2])
    assert (evidence["assignmentMissing"], evidence["complete"]) == (False, False)
    assert evidence["assignments"][0]["downloadPath"].startswith(
        f"/enrolment/trainers/{trainer['id']}/assignments/"
    )
    hidden = await graph_data(api, query, as_=world.mdpi_staff, id=trainer["id"])
    assert hidden == {"trainerCertificationEvidence": None}


async def test_the_sweep_deletes_orphaned_assignment_files_and_keeps_submitted_ones(
    api: Api, world: World, enrolment_session: AsyncSession
) -> None:
    trainer = await new_trainer(api, as_=world.efp_staff)
    sent = await submit(api, trainer, as_=world.efp_staff)
    assert sent.status_code == 201
    store = make_store(StorageSettings())
    orphan = new_key(FILE_NAMESPACE)
    await store.put(orphan, b"left by a crash")

    async def referenced(keys: list[str]) -> set[str]:
        return await evidence_repository.stored_keys(enrolment_session, keys)

    assert await sweep(store, FILE_NAMESPACE, older_than=timedelta(0), referenced=referenced) >= 1
    assert not await store.exists(orphan)
    got = await api.get(f"/trainers/{trainer['id']}/assignments/{sent.json()['id']}/file")
    assert got.status_code == 200
