"""Business cases with before/after photos: the story of an improvement project, photos
checked and kept in the file store, streamed back to whoever may see the enterprise and to
a buyer the supplier consents to share with; nothing else sees or writes them."""

import hashlib
import io
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from PIL import Image
from sqlalchemy import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.business_cases.models import BusinessCase, BusinessCasePhoto
from services.indicators.business_cases.repository import business_case_repository
from services.indicators.business_cases.service import PHOTO_NAMESPACE
from services.indicators.db import plumbing
from shared.storage import StorageSettings, make_store, new_key, sweep
from tests.enrolment.calls_support import count_rows
from tests.enrolment.support import Api, graph_data
from tests.indicators.baseline import indicators_world, indicators_world_baseline
from tests.indicators.fixtures import IndicatorsWorld, sync_replica
from tests.shared.test_file_storage import PDF_BYTES, jpeg_with_gps, png_bomb

__all__ = ["indicators_world", "indicators_world_baseline"]

RANDOM = UUID("01a23c03-5faf-7625-9998-f5f29c7003d6")


def story(project_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "improvement_project_id": project_id,
        "title": "Colour-coded bins cut rework",
        "problem": "Offcuts and rejects piled up beside the sewing lines",
        "action_taken": "5S: colour-coded bins at each line, emptied twice a shift",
        "result": "Rework down by a third; the aisle is clear",
        "savings": "240000",
        "currency": "PKR",
    }
    body.update(overrides)
    return body


async def project(api: Api, enterprise_id: UUID) -> str:
    made = await api.post(
        f"/enterprises/{enterprise_id}/improvement-projects",
        json={"module_code": "workplace_cooperation", "title": "5S", "category": "five_s"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def new_case(api: Api, enterprise_id: UUID) -> dict[str, Any]:
    made = await api.post(
        f"/enterprises/{enterprise_id}/business-cases",
        json=story(await project(api, enterprise_id)),
    )
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def send_photo(
    api: Api,
    case_id: str,
    data: bytes,
    *,
    name: str = "before.jpg",
    declared: str = "image/jpeg",
    stage: str = "before",
    caption: str = "The aisle before 5S",
    **kwargs: Any,
) -> httpx.Response:
    return await api.post(
        f"/business-cases/{case_id}/photos",
        data={"stage": stage, "caption": caption},
        files={"photo": (name, data, declared)},
        **kwargs,
    )


BOUNDARY = "score-test-boundary"


def raw_form(data: bytes, *, file_name: bytes) -> bytes:
    """A multipart body written by hand: clients escape a NUL in a file name, attackers
    do not."""
    parts = [
        b'Content-Disposition: form-data; name="stage"\r\n\r\nbefore',
        b'Content-Disposition: form-data; name="caption"\r\n\r\nThe aisle',
        b'Content-Disposition: form-data; name="photo"; filename="'
        + file_name
        + b'"\r\nContent-Type: image/jpeg\r\n\r\n'
        + data,
    ]
    boundary = BOUNDARY.encode()
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


def rules(response: httpx.Response) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in response.json().get("errors", [])}


async def test_a_case_with_before_and_after_photos_downloads_them_without_their_gps_position(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    assert (case["savings"], case["currency"], case["photos"]) == ("240000", "PKR", [])
    before = await send_photo(indicators_api, case["id"], jpeg_with_gps())
    assert before.status_code == 201, before.text
    after = await send_photo(
        indicators_api, case["id"], jpeg_with_gps((60, 40)), stage="after", caption="After 5S"
    )
    assert after.status_code == 201, after.text

    shown = (await indicators_api.get(f"/business-cases/{case['id']}")).json()
    assert [(p["stage"], p["caption"]) for p in shown["photos"]] == [
        ("before", "The aisle before 5S"),
        ("after", "After 5S"),
    ]
    photo = before.json()
    got = await indicators_api.get(f"/business-cases/{case['id']}/photos/{photo['id']}/file")
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('attachment; filename="before.jpg"')
    assert hashlib.sha256(got.content).hexdigest() == photo["sha256"]
    assert len(got.content) == photo["size_bytes"]
    assert not Image.open(io.BytesIO(got.content)).getexif()

    outbox, audit = plumbing.outbox, plumbing.audit
    events = (
        await indicators_session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.aggregate_id == case["id"])
            .order_by(outbox.c.position)
        )
    ).all()
    assert [(e.event_type, e.payload["after_photos"]) for e in events] == [
        ("business_case.changed", 0),
        ("business_case.changed", 0),
        ("business_case.changed", 1),
    ]
    actions = (
        await indicators_session.execute(
            select(audit.c.action).where(audit.c.entity_id == case["id"]).order_by(audit.c.id)
        )
    ).all()
    assert [a.action for a in actions] == [
        "business_case.created",
        "business_case.photo_added",
        "business_case.photo_added",
    ]


async def test_bad_photos_are_refused_naming_the_field_and_rule_and_keep_nothing(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    file_storage: StorageSettings,
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    disguised = await send_photo(indicators_api, case["id"], PDF_BYTES, name="photo.jpg")
    assert disguised.status_code == 415
    assert ("body.photo", "content_type") in rules(disguised)
    bomb = await send_photo(indicators_api, case["id"], png_bomb(30_000), name="b.png")
    assert bomb.status_code == 422
    assert ("body.photo", "max_pixels") in rules(bomb)
    nul_name = await indicators_api.post(
        f"/business-cases/{case['id']}/photos",
        content=raw_form(jpeg_with_gps(), file_name=b"a\x00.jpg"),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert nul_name.status_code == 422
    assert ("body.photo.filename", "no_control_characters") in rules(nul_name)
    nul_caption = await send_photo(indicators_api, case["id"], jpeg_with_gps(), caption="a\x00b")
    assert nul_caption.status_code == 422
    assert ("body.caption", "no_control_characters") in rules(nul_caption)
    bad_stage = await send_photo(indicators_api, case["id"], jpeg_with_gps(), stage="during")
    assert bad_stage.status_code == 422
    assert ("body.stage", "enum") in rules(bad_stage)
    noise = jpeg_with_gps() + bytes(file_storage.max_upload_bytes)
    too_big = await send_photo(indicators_api, case["id"], noise)
    assert too_big.status_code == 413
    assert too_big.json()["limit_bytes"] == file_storage.max_upload_bytes

    assert await count_rows(indicators_session, BusinessCasePhoto) == 0
    stored = file_storage.local_path
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


async def test_bad_cases_name_the_field_and_rule_and_write_nothing(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    enterprise = indicators_world.efp_enterprise_id
    url = f"/enterprises/{enterprise}/business-cases"
    mine = await project(indicators_api, enterprise)
    theirs = await project(indicators_api, indicators_world.mdpi_enterprise_id)
    cases: list[tuple[dict[str, Any], tuple[str, str]]] = [
        (story(mine, currency=None), ("body", "required_with_amount")),
        (story(mine, currency="XYZ"), ("body.currency", "value_error")),
        (story(mine, savings="-1"), ("body.savings", "greater_than_equal")),
        (story(mine, title="x\u0000y"), ("body.title", "no_null_character")),
        (story(theirs), ("body.improvement_project_id", "same_enterprise")),
        (story(str(RANDOM)), ("body.improvement_project_id", "same_enterprise")),
    ]
    for body, expected in cases:
        response = await indicators_api.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert expected in rules(response), (expected, response.text)
    assert await count_rows(indicators_session, BusinessCase) == 0


async def test_another_partners_case_and_photo_read_as_unknown_and_buyers_need_consent(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    enterprise = indicators_world.efp_enterprise_id
    case = await new_case(indicators_api, enterprise)
    photo = (await send_photo(indicators_api, case["id"], jpeg_with_gps())).json()
    urls = (
        f"/enterprises/{enterprise}/business-cases",
        f"/business-cases/{case['id']}",
        f"/business-cases/{case['id']}/photos/{photo['id']}/file",
    )
    for outsider in (world.mdpi_staff, world.ghana_manager, world.inditex):
        for url in urls:
            assert (await indicators_api.get(url, as_=outsider)).status_code == 404, url
        patched = await indicators_api.patch(
            f"/business-cases/{case['id']}", json={"title": "Mine now"}, as_=outsider
        )
        assert patched.status_code == 404
        sent = await send_photo(indicators_api, case["id"], jpeg_with_gps(), as_=outsider)
        assert sent.status_code == 404
    for random in (
        f"/business-cases/{RANDOM}",
        f"/business-cases/{case['id']}/photos/{RANDOM}/file",
        f"/business-cases/{RANDOM}/photos/{photo['id']}/file",
    ):
        assert (await indicators_api.get(random)).status_code == 404

    consent = await api.post(
        f"/enterprises/{enterprise}/consents",
        json={"buyer_id": str(world.inditex_id)},
        as_=world.efp_staff,
    )
    assert consent.status_code == 201, consent.text
    await sync_replica(api, indicators_session)
    for url in urls:
        assert (await indicators_api.get(url, as_=world.inditex)).status_code == 200, url
    # Consent to Inditex shares nothing with Adidas, and a buyer never writes.
    assert (await indicators_api.get(urls[1], as_=world.adidas)).status_code == 404
    patched = await indicators_api.patch(
        f"/business-cases/{case['id']}", json={"title": "Ours"}, as_=world.inditex
    )
    assert patched.status_code == 403


async def test_an_update_is_judged_whole_and_audited_with_before_and_after(
    indicators_api: Api, indicators_world: IndicatorsWorld, indicators_session: AsyncSession
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    refused = await indicators_api.patch(
        f"/business-cases/{case['id']}", json={"savings": "10", "currency": None}
    )
    assert refused.status_code == 422
    changed = await indicators_api.patch(
        f"/business-cases/{case['id']}", json={"result": "Rework down by half"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["result"] == "Rework down by half"
    audit = plumbing.audit
    rows = (
        await indicators_session.execute(
            select(audit.c.action, audit.c.before, audit.c.after)
            .where(audit.c.entity_id == case["id"])
            .order_by(audit.c.id)
        )
    ).all()
    assert rows[-1].action == "business_case.updated"
    assert rows[-1].before["result"] == case["result"]
    assert rows[-1].after["result"] == "Rework down by half"


async def test_a_stored_photo_whose_file_is_gone_reads_as_not_found_not_as_an_error(
    indicators_api: Api, indicators_world: IndicatorsWorld, file_storage: StorageSettings
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    photo = (await send_photo(indicators_api, case["id"], jpeg_with_gps())).json()
    for path in file_storage.local_path.rglob("*"):
        if path.is_file():
            path.unlink()
    got = await indicators_api.get(f"/business-cases/{case['id']}/photos/{photo['id']}/file")
    assert got.status_code == 404


CREATE = """
mutation($enterpriseId: ID!, $input: CreateBusinessCaseInput!) {
  createBusinessCase(enterpriseId: $enterpriseId, input: $input) {
    __typename
    ... on BusinessCase { id title savings currency }
    ... on ValidationFailed { errors { field rule } }
    ... on NotFound { message }
  }
}
"""
READ = """
query($id: ID!, $enterpriseId: ID!) {
  businessCase(id: $id) { title improvementProjectId photos { stage caption downloadPath } }
  businessCases(enterpriseId: $enterpriseId) { id }
}
"""


async def test_graphql_records_a_case_as_rest_does_and_reads_it_with_its_photos(
    api: Api,
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
) -> None:
    world = indicators_world.world
    enterprise = indicators_world.efp_enterprise_id
    mine = await project(indicators_api, enterprise)
    body = {k: v for k, v in story(mine).items() if k != "improvement_project_id"}
    made = await graph_data(
        indicators_api,
        CREATE,
        as_=world.efp_staff,
        enterpriseId=str(enterprise),
        input={"improvementProjectId": mine, **camel(body)},
    )
    case = made["createBusinessCase"]
    assert case["__typename"] == "BusinessCase", case
    assert (case["savings"], case["currency"]) == ("240000", "PKR")
    refused = await graph_data(
        indicators_api,
        CREATE,
        as_=world.efp_staff,
        enterpriseId=str(enterprise),
        input={"improvementProjectId": mine, **camel(body), "currency": None},
    )
    assert refused["createBusinessCase"]["__typename"] == "ValidationFailed"
    assert refused["createBusinessCase"]["errors"][0]["rule"] == "required_with_amount"
    foreign = await graph_data(
        indicators_api,
        CREATE,
        as_=world.mdpi_staff,
        enterpriseId=str(enterprise),
        input={"improvementProjectId": mine, **camel(body)},
    )
    assert foreign["createBusinessCase"]["__typename"] == "NotFound"
    assert await count_rows(indicators_session, BusinessCase) == 1

    photo = await send_photo(indicators_api, case["id"], jpeg_with_gps(), as_=world.efp_staff)
    assert photo.status_code == 201
    read = await graph_data(
        indicators_api, READ, as_=world.efp_staff, id=case["id"], enterpriseId=str(enterprise)
    )
    assert read["businessCase"]["improvementProjectId"] == mine
    assert read["businessCase"]["photos"] == [
        {
            "stage": "before",
            "caption": "The aisle before 5S",
            "downloadPath": (
                f"/indicators/business-cases/{case['id']}/photos/{photo.json()['id']}/file"
            ),
        }
    ]
    assert read["businessCases"] == [{"id": case["id"]}]
    hidden = await graph_data(
        indicators_api, READ, as_=world.inditex, id=case["id"], enterpriseId=str(enterprise)
    )
    assert hidden == {"businessCase": None, "businessCases": []}
    consent = await api.post(
        f"/enterprises/{enterprise}/consents",
        json={"buyer_id": str(world.inditex_id)},
        as_=world.efp_staff,
    )
    assert consent.status_code == 201, consent.text
    await sync_replica(api, indicators_session)
    shared = await graph_data(
        indicators_api, READ, as_=world.inditex, id=case["id"], enterpriseId=str(enterprise)
    )
    assert shared["businessCase"]["title"] == case["title"]
    assert shared["businessCase"]["improvementProjectId"] is None


def camel(body: dict[str, Any]) -> dict[str, Any]:
    def name(snake: str) -> str:
        head, *rest = snake.split("_")
        return head + "".join(part.title() for part in rest)

    return {name(key): value for key, value in body.items()}


async def test_a_retried_photo_upload_with_its_key_adds_one_photo_and_one_file(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    file_storage: StorageSettings,
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    photo = jpeg_with_gps()
    key = {"Idempotency-Key": f"efp-photo-{case['id']}"}
    first = await send_photo(indicators_api, case["id"], photo, headers=key)
    assert first.status_code == 201, first.text
    retry = await send_photo(indicators_api, case["id"], photo, headers=key)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await count_rows(indicators_session, BusinessCasePhoto) == 1
    files = [p for p in file_storage.local_path.rglob("*") if p.is_file()]
    assert len(files) == 1


async def test_the_sweep_deletes_files_no_row_names_and_keeps_every_photo(
    indicators_api: Api,
    indicators_world: IndicatorsWorld,
    indicators_session: AsyncSession,
    file_storage: StorageSettings,
) -> None:
    case = await new_case(indicators_api, indicators_world.efp_enterprise_id)
    photo = await send_photo(indicators_api, case["id"], jpeg_with_gps())
    assert photo.status_code == 201
    store = make_store(file_storage)
    # What a crash between storing a file and committing its row leaves behind.
    orphan = new_key(PHOTO_NAMESPACE)
    await store.put(orphan, b"left by a crash")

    async def referenced(keys: list[str]) -> set[str]:
        return await business_case_repository.stored_keys(indicators_session, keys)

    deleted = await sweep(store, PHOTO_NAMESPACE, older_than=timedelta(0), referenced=referenced)
    assert deleted == 1
    assert not await store.exists(orphan)
    got = await indicators_api.get(f"/business-cases/{case['id']}/photos/{photo.json()['id']}/file")
    assert got.status_code == 200
    # A younger file may still await its commit: it is left alone.
    await store.put(orphan, b"a write in flight")
    assert (
        await sweep(store, PHOTO_NAMESPACE, older_than=timedelta(hours=1), referenced=referenced)
        == 0
    )
