"""The review workflow: drafts, submission, validation locks, returns with reasons,
corrections as new versions with their history, per-row and dry-run batches, idempotency,
and the events reporting consumes."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import plumbing
from tests.enrolment.support import ILO, Api
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld
from tests.indicators.values_support import (
    LAST_YEAR,
    IndicatorRef,
    accepted_ids,
    count_events,
    count_values,
    events_of,
    make_indicator,
    make_round,
    post_batch,
    value,
)

# Every test here stands on the module's world (built once): one that doesn't name it
# would otherwise wait forever on the outbox lock the world's open transaction holds.
pytestmark = pytest.mark.usefixtures("indicators_world_baseline")
__all__ = ["indicators_world", "indicators_world_baseline"]


@dataclass
class Flow:
    world: IndicatorsWorld
    accidents: IndicatorRef
    workers: IndicatorRef
    baseline_id: str

    @property
    def staff(self) -> Any:
        return self.world.world.efp_staff

    @property
    def manager(self) -> Any:
        return self.world.world.pakistan_manager


@pytest.fixture
async def flow(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> Flow:
    return Flow(
        world=indicators_world,
        accidents=await make_indicator(indicators_session, kind="count", max_value=10_000),
        workers=await make_indicator(indicators_session, kind="count", disaggregations=["sex"]),
        baseline_id=await make_round(indicators_api, indicators_world.world.pakistan_project_id),
    )


async def validated_value(api: Api, flow: Flow, amount: int = 12) -> str:
    [value_id] = await accepted_ids(
        api,
        [value(flow.world.efp_enterprise_id, flow.accidents, amount, round_id=flow.baseline_id)],
        as_=flow.staff,
        submit=True,
    )
    response = await api.post(f"/values/{value_id}/validate", as_=flow.manager)
    assert response.status_code == 200, response.text
    return value_id


async def test_draft_is_submitted_then_validated_by_the_projects_manager(
    indicators_api: Api, flow: Flow
) -> None:
    [value_id] = await accepted_ids(
        indicators_api, [value(flow.world.efp_enterprise_id, flow.accidents, 3)], as_=flow.staff
    )
    draft = (await indicators_api.get(f"/values/{value_id}", as_=flow.staff)).json()
    assert draft["status"] == "draft"
    assert draft["entered_by"] == "partner_staff:efp-officer"

    submitted = await indicators_api.post(f"/values/{value_id}/submit", as_=flow.staff)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    validated = await indicators_api.post(f"/values/{value_id}/validate", as_=flow.manager)

    assert validated.status_code == 200, validated.text
    assert validated.json()["status"] == "validated"
    assert validated.json()["reviewed_by"] == "programme_manager:pk-manager"


async def test_validated_value_is_locked_against_batches_and_edits(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    value_id = await validated_value(indicators_api, flow)
    before = await count_values(indicators_session)

    overwrite = await post_batch(
        indicators_api,
        [value(flow.world.efp_enterprise_id, flow.accidents, 99, round_id=flow.baseline_id)],
        as_=flow.staff,
    )
    edit = await indicators_api.patch(f"/values/{value_id}", json={"value": 99}, as_=flow.staff)

    assert overwrite.status_code == 409
    [error] = overwrite.json()["errors"]
    assert (error["field"], error["rule"]) == ("body.values.0.value", "locked")
    assert f"/values/{value_id}/corrections" in error["message"]
    assert edit.status_code == 409
    assert edit.json()["errors"][0]["rule"] == "locked"
    assert await count_values(indicators_session) == before
    unchanged = (await indicators_api.get(f"/values/{value_id}", as_=flow.staff)).json()
    assert unchanged["value"] == "12"


async def test_submitted_value_waits_for_review_before_it_can_change(
    indicators_api: Api, flow: Flow
) -> None:
    efp = flow.world.efp_enterprise_id
    [value_id] = await accepted_ids(
        indicators_api, [value(efp, flow.accidents, 3)], as_=flow.staff, submit=True
    )
    again = await post_batch(indicators_api, [value(efp, flow.accidents, 4)], as_=flow.staff)
    edit = await indicators_api.patch(f"/values/{value_id}", json={"value": 4}, as_=flow.staff)
    assert again.status_code == 409
    assert again.json()["errors"][0]["rule"] == "under_review"
    assert edit.status_code == 409
    assert edit.json()["errors"][0]["rule"] == "under_review"


async def test_a_batch_replaces_a_draft_in_place_and_keeps_the_old_figure_as_a_version(
    indicators_api: Api, flow: Flow
) -> None:
    efp = flow.world.efp_enterprise_id
    [first] = await accepted_ids(indicators_api, [value(efp, flow.accidents, 3)], as_=flow.staff)
    [second] = await accepted_ids(indicators_api, [value(efp, flow.accidents, 5)], as_=flow.staff)
    assert second == first
    stored = (await indicators_api.get(f"/values/{first}", as_=flow.staff)).json()
    assert (stored["value"], stored["version"], stored["status"]) == ("5", 2, "draft")
    history = (await indicators_api.get(f"/values/{first}/history", as_=flow.staff)).json()
    assert [entry["action"] for entry in history["trail"]] == ["value.replaced"]
    versions = [
        (v["value_id"], v["version"], v["value"], v["previous_value"], v["status"])
        for v in history["versions"]
    ]
    assert versions == [(first, 1, "3", None, "draft"), (first, 2, "5", "3", "draft")]
    assert history["versions"][1]["changed_by"] == "partner_staff:efp-officer"
    assert history["versions"][1]["reason"].startswith("re-sent in batch ")


async def test_return_needs_a_reason_and_the_enterer_fixes_and_resubmits(
    indicators_api: Api, flow: Flow
) -> None:
    [value_id] = await accepted_ids(
        indicators_api,
        [value(flow.world.efp_enterprise_id, flow.accidents, 300)],
        as_=flow.staff,
        submit=True,
    )
    for body in ({}, {"reason": "   "}):
        refused = await indicators_api.post(
            f"/values/{value_id}/return", json=body, as_=flow.manager
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "body.reason"

    returned = await indicators_api.post(
        f"/values/{value_id}/return",
        json={"reason": "300 accidents in a month? Check the register"},
        as_=flow.manager,
    )
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "300 accidents in a month? Check the register"

    fixed = await indicators_api.patch(f"/values/{value_id}", json={"value": 30}, as_=flow.staff)
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["status"], fixed.json()["value"]) == ("draft", "30")
    resubmitted = await indicators_api.post(f"/values/{value_id}/submit", as_=flow.staff)
    assert resubmitted.json()["status"] == "submitted"
    history = (await indicators_api.get(f"/values/{value_id}/history", as_=flow.staff)).json()
    actions = [(entry["action"], entry["reason"]) for entry in history["trail"]]
    assert actions == [
        ("value.returned", "300 accidents in a month? Check the register"),
        ("value.updated", None),
        ("value.submitted", None),
    ]


async def test_edit_is_judged_by_the_same_rules(indicators_api: Api, flow: Flow) -> None:
    [value_id] = await accepted_ids(
        indicators_api, [value(flow.world.efp_enterprise_id, flow.accidents, 3)], as_=flow.staff
    )
    response = await indicators_api.patch(
        f"/values/{value_id}", json={"value": 20_000}, as_=flow.staff
    )
    assert response.status_code == 422
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
        ("body.value", "bounds")
    ]


async def test_only_submitted_values_are_validated_or_returned(
    indicators_api: Api, flow: Flow
) -> None:
    [draft] = await accepted_ids(
        indicators_api, [value(flow.world.efp_enterprise_id, flow.accidents, 3)], as_=flow.staff
    )
    validate = await indicators_api.post(f"/values/{draft}/validate", as_=flow.manager)
    give_back = await indicators_api.post(
        f"/values/{draft}/return", json={"reason": "why"}, as_=flow.manager
    )
    assert validate.status_code == 409
    assert validate.json()["current_status"] == "draft"
    assert give_back.status_code == 409


async def test_correction_makes_a_new_version_and_keeps_the_old_one(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    old_id = await validated_value(indicators_api, flow, amount=12)
    before = await count_values(indicators_session)

    corrected = await indicators_api.post(
        f"/values/{old_id}/corrections",
        json={"value": 21, "reason": "Digits swapped when copying the accident register"},
        as_=flow.staff,
    )

    assert corrected.status_code == 201, corrected.text
    new = corrected.json()
    assert new["id"] != old_id
    assert (new["version"], new["status"], new["value"]) == (2, "submitted", "21")
    assert new["supersedes_id"] == old_id
    assert new["correction_reason"] == "Digits swapped when copying the accident register"
    assert await count_values(indicators_session) == before + 1
    old = (await indicators_api.get(f"/values/{old_id}", as_=flow.staff)).json()
    assert (old["is_current"], old["status"], old["value"]) == (False, "validated", "12")

    history = (await indicators_api.get(f"/values/{new['id']}/history", as_=flow.staff)).json()
    first, second = history["versions"]
    assert (first["value_id"], first["value"], first["previous_value"]) == (old_id, "12", None)
    assert first["reviewed_by"] == "programme_manager:pk-manager"
    assert (second["value"], second["previous_value"]) == ("21", "12")
    assert second["changed_by"] == "partner_staff:efp-officer"
    assert second["reason"] == "Digits swapped when copying the accident register"
    assert second["changed_at"] >= first["changed_at"]
    assert ("value.corrected", new["id"]) in [
        (t["action"], t["value_id"]) for t in history["trail"]
    ]
    # The slot has one current version: the correction.
    listed = await indicators_api.get(
        "/values",
        params={"enterprise_id": str(flow.world.efp_enterprise_id), "round_id": flow.baseline_id},
        as_=flow.staff,
    )
    assert [item["id"] for item in listed.json()["items"]] == [new["id"]]


async def test_corrections_need_a_reason_a_validated_value_and_the_current_version(
    indicators_api: Api, flow: Flow
) -> None:
    old_id = await validated_value(indicators_api, flow)
    no_reason = await indicators_api.post(
        f"/values/{old_id}/corrections", json={"value": 3}, as_=flow.staff
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    invalid = await indicators_api.post(
        f"/values/{old_id}/corrections", json={"value": -1, "reason": "typo"}, as_=flow.staff
    )
    assert invalid.status_code == 422
    assert [(e["field"], e["rule"]) for e in invalid.json()["errors"]] == [("body.value", "type")]
    first = await indicators_api.post(
        f"/values/{old_id}/corrections", json={"value": 3, "reason": "typo"}, as_=flow.staff
    )
    assert first.status_code == 201
    of_old_again = await indicators_api.post(
        f"/values/{old_id}/corrections", json={"value": 4, "reason": "typo"}, as_=flow.staff
    )
    assert of_old_again.status_code == 409
    of_submitted = await indicators_api.post(
        f"/values/{first.json()['id']}/corrections",
        json={"value": 4, "reason": "typo"},
        as_=flow.staff,
    )
    assert of_submitted.status_code == 409


async def test_corrected_value_must_still_add_up_with_its_stored_parts(
    indicators_api: Api, flow: Flow
) -> None:
    efp = flow.world.efp_enterprise_id
    ids = await accepted_ids(
        indicators_api,
        [
            value(efp, flow.workers, 200, sex="female"),
            value(efp, flow.workers, 250, sex="male"),
            value(efp, flow.workers, 450),
        ],
        as_=flow.staff,
        submit=True,
    )
    validated = await indicators_api.post(
        "/values/validate", json={"value_ids": ids}, as_=flow.manager
    )
    assert validated.status_code == 200, validated.text
    response = await indicators_api.post(
        f"/values/{ids[2]}/corrections", json={"value": 460, "reason": "recount"}, as_=flow.staff
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "parts_add_up"


async def test_per_row_mode_writes_only_the_valid_rows(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    efp = flow.world.efp_enterprise_id
    before = await count_values(indicators_session)
    response = await post_batch(
        indicators_api,
        [
            value(efp, flow.accidents, 3),
            value(efp, flow.accidents, -4, month=LAST_YEAR.replace(month=4)),
            value(uuid4(), flow.accidents, 3),
            value(efp, flow.accidents, 5, month=LAST_YEAR.replace(month=5)),
        ],
        as_=flow.staff,
        mode="per_row",
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 2)
    statuses = [(row["status"], row["value_id"] is not None) for row in result["results"]]
    assert statuses == [
        ("accepted", True),
        ("rejected", False),
        ("rejected", False),
        ("accepted", True),
    ]
    assert result["results"][1]["errors"][0]["rule"] == "type"
    assert result["results"][2]["errors"][0]["rule"] == "unknown_enterprise"
    assert await count_values(indicators_session) == before + 2


async def test_dry_run_judges_and_writes_nothing(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    efp = flow.world.efp_enterprise_id
    before = await count_values(indicators_session)
    events = await count_events(indicators_session)
    good = await post_batch(
        indicators_api, [value(efp, flow.accidents, 3)], as_=flow.staff, dry_run=True, submit=True
    )
    assert good.status_code == 200
    assert (good.json()["dry_run"], good.json()["accepted"]) == (True, 1)
    assert good.json()["results"][0]["value_id"] is None
    bad = await post_batch(
        indicators_api, [value(efp, flow.accidents, -3)], as_=flow.staff, dry_run=True
    )
    assert bad.status_code == 422
    assert await count_values(indicators_session) == before
    assert await count_events(indicators_session) == events


async def test_retried_batch_with_the_same_key_returns_the_first_result(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    efp = flow.world.efp_enterprise_id
    batch = [
        value(efp, flow.accidents, 3),
        value(efp, flow.accidents, 4, round_id=flow.baseline_id),
    ]
    key = f"efp-upload-{uuid4()}"
    first = await post_batch(indicators_api, batch, as_=flow.staff, key=key, submit=True)
    assert first.status_code == 201
    after_first = await count_values(indicators_session)
    events = await count_events(indicators_session, "values.submitted")

    retry = await post_batch(indicators_api, batch, as_=flow.staff, key=key, submit=True)

    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await count_values(indicators_session) == after_first
    assert await count_events(indicators_session, "values.submitted") == events
    other_body = await post_batch(
        indicators_api, [value(efp, flow.accidents, 5)], as_=flow.staff, key=key, submit=True
    )
    assert other_body.status_code == 409
    assert await count_values(indicators_session) == after_first


async def test_one_values_submitted_event_per_batch_with_what_reporting_needs(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    w = flow.world
    ids = await accepted_ids(
        indicators_api,
        [
            value(w.efp_enterprise_id, flow.accidents, 3, round_id=flow.baseline_id),
            value(w.efp_other_enterprise_id, flow.accidents, 4),
        ],
        as_=flow.staff,
        submit=True,
    )
    [event] = await events_of(indicators_session, "values.submitted")
    assert event["count"] == 2
    assert event["value_ids"] == ids
    assert set(event["enterprise_ids"]) == {
        str(w.efp_enterprise_id),
        str(w.efp_other_enterprise_id),
    }
    by_round, monthly = event["values"]
    assert by_round["indicator_code"] == flow.accidents.code
    assert by_round["project_id"] == str(w.world.pakistan_project_id)
    assert (by_round["round_id"], by_round["round_kind"]) == (flow.baseline_id, "baseline")
    assert (by_round["value"], by_round["status"], by_round["value_version"]) == (
        "3",
        "submitted",
        1,
    )
    assert (monthly["month"], monthly["round_id"]) == (LAST_YEAR.isoformat(), None)
    # Drafts are the enterer's working copy: not published.
    await accepted_ids(indicators_api, [value(w.efp_enterprise_id, flow.accidents, 1)])
    assert await count_events(indicators_session, "values.submitted") == 1


async def test_review_and_correction_events_carry_the_value(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    value_id = await validated_value(indicators_api, flow, amount=12)
    corrected = await indicators_api.post(
        f"/values/{value_id}/corrections", json={"value": 13, "reason": "recount"}, as_=flow.staff
    )
    returned = await indicators_api.post(
        f"/values/{corrected.json()['id']}/return", json={"reason": "still wrong"}, as_=flow.manager
    )
    assert returned.status_code == 200
    [validated] = await events_of(indicators_session, "value.validated")
    [correction] = await events_of(indicators_session, "value.corrected")
    [give_back] = await events_of(indicators_session, "value.returned")
    assert validated["value_id"] == value_id
    assert (validated["round_kind"], validated["value"], validated["status"]) == (
        "baseline",
        "12",
        "validated",
    )
    assert validated["enterprise_id"] == str(flow.world.efp_enterprise_id)
    assert (correction["previous_value_id"], correction["previous_value"]) == (value_id, "12")
    assert (correction["value"], correction["value_version"], correction["reason"]) == (
        "13",
        2,
        "recount",
    )
    assert (give_back["reason"], give_back["status"]) == ("still wrong", "returned")


async def test_bulk_submit_and_validate_are_all_or_none(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    efp = flow.world.efp_enterprise_id
    ids = await accepted_ids(
        indicators_api,
        [
            value(efp, flow.accidents, 1),
            value(efp, flow.accidents, 2, month=LAST_YEAR.replace(month=4)),
        ],
        as_=flow.staff,
    )
    mixed = await indicators_api.post("/values/validate", json={"value_ids": ids}, as_=flow.manager)
    assert mixed.status_code == 409
    assert len(mixed.json()["errors"]) == 2

    submitted = await indicators_api.post("/values/submit", json={"value_ids": ids}, as_=flow.staff)
    assert [v["status"] for v in submitted.json()] == ["submitted", "submitted"]
    [event] = await events_of(indicators_session, "values.submitted")
    assert event["value_ids"] == ids
    unknown = await indicators_api.post(
        "/values/validate", json={"value_ids": [*ids, str(uuid4())]}, as_=flow.manager
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["field"] == "body.value_ids.2"
    still = (await indicators_api.get(f"/values/{ids[0]}", as_=flow.staff)).json()
    assert still["status"] == "submitted"
    done = await indicators_api.post("/values/validate", json={"value_ids": ids}, as_=flow.manager)
    assert [v["status"] for v in done.json()] == ["validated", "validated"]


async def test_workflow_steps_are_audited(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    value_id = await validated_value(indicators_api, flow)
    audit = plumbing.audit
    rows = (
        await indicators_session.execute(
            select(audit.c.action, audit.c.actor).where(audit.c.entity_id == value_id)
        )
    ).all()
    assert ("value.validated", "programme_manager:pk-manager") in [tuple(r) for r in rows]
    batches = await indicators_session.scalar(
        select(func.count()).select_from(audit).where(audit.c.entity_type == "value_batch")
    )
    assert batches == 1


async def test_listing_filters_by_status_and_pages_with_a_cursor(
    indicators_api: Api, flow: Flow
) -> None:
    efp = flow.world.efp_enterprise_id
    ids = await accepted_ids(
        indicators_api,
        [value(efp, flow.accidents, n, month=LAST_YEAR.replace(month=n)) for n in range(1, 6)],
        as_=flow.staff,
    )
    await indicators_api.post(f"/values/{ids[0]}/submit", as_=flow.staff)
    submitted = await indicators_api.get(
        "/values", params={"status": "submitted", "enterprise_id": str(efp)}, as_=flow.staff
    )
    assert [v["id"] for v in submitted.json()["items"]] == [ids[0]]
    by_code = await indicators_api.get(
        "/values", params={"indicator_code": flow.accidents.code, "limit": 2}, as_=flow.staff
    )
    page = by_code.json()
    seen = [v["id"] for v in page["items"]]
    while page["next_cursor"]:
        page = (
            await indicators_api.get(
                "/values",
                params={
                    "indicator_code": flow.accidents.code,
                    "limit": 2,
                    "cursor": page["next_cursor"],
                },
                as_=flow.staff,
            )
        ).json()
        seen += [v["id"] for v in page["items"]]
    assert seen == ids
    march = await indicators_api.get(
        "/values",
        params={"month": LAST_YEAR.replace(month=3, day=17).isoformat(), "enterprise_id": str(efp)},
        as_=ILO,
    )
    assert [v["id"] for v in march.json()["items"]] == [ids[2]]


async def test_a_big_submission_is_published_in_parts(
    indicators_api: Api, flow: Flow, indicators_session: AsyncSession
) -> None:
    months = [date(1980 + n // 12, n % 12 + 1, 1) for n in range(501)]
    ids = await accepted_ids(
        indicators_api,
        [value(flow.world.efp_enterprise_id, flow.accidents, 1, month=m) for m in months],
        as_=flow.staff,
        submit=True,
    )
    events = await events_of(indicators_session, "values.submitted")
    assert [(e["part"], e["parts"], e["count"]) for e in events] == [(1, 2, 500), (2, 2, 1)]
    assert [i for e in events for i in e["value_ids"]] == ids
    assert len({e["submission_id"] for e in events}) == 1
