"""The same first write sent several times at once, without an Idempotency-Key, through the
gateway: one makes the object and the others answer as a repeat sent after it would (409 for
a taken name, 200 for a PUT or an existing enrolment), never a 500 from the unique key."""

import asyncio
from collections import Counter
from typing import Any
from uuid import uuid4

import httpx

from benchmarks.processes import Platform

AT_ONCE = 8
# Each burst is a race: repeated, the losing interleaving (both past the look-up before
# either inserts) is all but certain to come up.
BURSTS = 3


async def burst(platform: Platform, key: str, method: str, path: str, body: Any) -> Counter[int]:
    async with httpx.AsyncClient(
        base_url=platform.gateway, headers={"X-API-Key": key}, timeout=60
    ) as client:
        answers = await asyncio.gather(
            *(client.request(method, path, json=body) for _ in range(AT_ONCE))
        )
    errors = [answer.text for answer in answers if answer.status_code >= 500]
    assert errors == [], errors
    return Counter(answer.status_code for answer in answers)


def ilo_key(platform: Platform) -> str:
    """A key of its own per test: the gateway's rate limit is a bucket per caller (100 at
    once), and the bursts of every test of this file, one after another, would empty one."""
    name = f"e2e-concurrent-{uuid4().hex[:8]}"
    return platform.api_key("ilo_global", scopes=("read", "write"), name=name)


async def test_a_module_created_several_times_at_once_is_made_once(platform: Platform) -> None:
    key = ilo_key(platform)
    for _ in range(BURSTS):
        code = f"race_{uuid4().hex[:8]}"
        body = {"code": code, "name": f"Module {code}", "level": 2, "classroom_days": 2}
        answers = await burst(platform, key, "POST", "/enrolment/modules", body)
        assert answers == {201: 1, 409: AT_ONCE - 1}


async def test_a_material_published_several_times_at_once_is_made_once(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    # A module of its own: the demo's library is what other tests of this platform read.
    code = f"race_{uuid4().hex[:8]}"
    module = {"code": code, "name": f"Module {code}", "level": 2, "classroom_days": 2}
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        created = await client.post("/enrolment/modules", json=module)
    assert created.status_code == 201, created.text
    for _ in range(BURSTS):
        body = {"language": "en", "title": f"Handout {uuid4().hex[:8]}"}
        path = f"/enrolment/modules/{code}/materials"
        answers = await burst(platform, key, "POST", path, body)
        assert answers == {201: 1, 409: AT_ONCE - 1}


async def test_a_first_review_policy_put_several_times_at_once_is_set(platform: Platform) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        created = []
        for _ in range(BURSTS):
            body = {"name": f"Project {uuid4().hex[:8]}", "country": "PK"}
            body |= {"start_date": "2024-01-01", "end_date": "2026-12-31"}
            response = await client.post("/enrolment/projects", json=body)
            assert response.status_code == 201, response.text
            created.append(response.json()["id"])
    for project_id in created:
        policy = {"four_eyes": False, "reason": "One reviewer only in the pilot year"}
        path = f"/indicators/projects/{project_id}/review-policy"
        # Indicators learns of the project from enrolment's feed: until then it is not found.
        for _ in range(100):
            answers = await burst(platform, key, "PUT", path, policy)
            if 404 not in answers:
                break
            await asyncio.sleep(0.1)
        assert answers == {200: AT_ONCE}


async def test_an_enrolment_made_several_times_at_once_is_created_once(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        projects = (await client.get("/enrolment/projects", params={"limit": 1})).json()["items"]
        partner_id = projects[0]["partner_ids"][0]
        for _ in range(BURSTS):
            enterprise = {"name": f"Race {uuid4().hex[:8]}", "country": "PK", "sector": "textile"}
            enterprise["partner_id"] = partner_id
            response = await client.post("/enrolment/enterprises", json=enterprise)
            assert response.status_code == 201, response.text
            body = {"project_id": projects[0]["id"], "enterprise_id": response.json()["id"]}
            # 201 tells the one request that made it; the others get the same enrolment, 200.
            answers = await burst(platform, key, "POST", "/enrolment/enrolments", body)
            assert answers == {201: 1, 200: AT_ONCE - 1}


async def test_an_indicator_created_several_times_at_once_is_made_once(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    for _ in range(BURSTS):
        code = f"race_{uuid4().hex[:8]}"
        names = {"name_en": "Race", "name_fr": "Course", "name_es": "Carrera"}
        body = {"code": code, **names, "kind": "count", "unit": "pieces", "direction": "up"}
        answers = await burst(platform, key, "POST", "/indicators/indicators", body)
        assert answers == {201: 1, 409: AT_ONCE - 1}


async def test_a_target_set_several_times_at_once_is_made_once(platform: Platform) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        projects = (await client.get("/enrolment/projects", params={"limit": 1})).json()["items"]
    for year in range(2001, 2001 + BURSTS):
        body = {"project_id": projects[0]["id"], "metric": "enterprises_trained"}
        body |= {"period_start": f"{year}-01-01", "period_end": f"{year}-12-31"}
        answers = await burst(
            platform, key, "POST", "/reporting/targets", body | {"target_value": "40"}
        )
        assert answers == {201: 1, 409: AT_ONCE - 1}


async def test_an_invitation_put_several_times_at_once_is_made_once(platform: Platform) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        projects = (await client.get("/enrolment/projects", params={"limit": 1})).json()["items"]
        enterprises = (await client.get("/enrolment/enterprises", params={"limit": 1})).json()
        enterprise_id = enterprises["items"][0]["id"]
        for _ in range(BURSTS):
            event = {"project_id": projects[0]["id"], "kind": "mobilisation", "venue": "online"}
            event |= {"title": f"Open day {uuid4().hex[:8]}", "held_on": "2030-05-01"}
            event["organiser"] = "EFP"
            created = await client.post("/enrolment/programme-events", json=event)
            assert created.status_code == 201, created.text
            path = f"/enrolment/programme-events/{created.json()['id']}/invitations/{enterprise_id}"
            answers = await burst(platform, key, "PUT", path, {"people": ["Ms Amina Khan"]})
            assert answers == {200: AT_ONCE}
            invited = await client.get(
                f"/enrolment/programme-events/{created.json()['id']}/invitations"
            )
            assert [i["enterprise_id"] for i in invited.json()] == [enterprise_id]


async def test_an_organisation_registered_several_times_at_once_is_made_once(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    for _ in range(BURSTS):
        body = {"name": f"Funder {uuid4().hex[:8]}", "kind": "funder"}
        answers = await burst(platform, key, "POST", "/enrolment/organisations", body)
        assert answers == {201: 1, 409: AT_ONCE - 1}


async def test_a_first_certification_put_several_times_at_once_is_recorded(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        trainers = (await client.get("/enrolment/trainers", params={"limit": 1})).json()["items"]
        for _ in range(BURSTS):
            trainer = {"name": "Nadia Rauf", "sex": "female", "country": "PK"}
            trainer["organisation_id"] = trainers[0]["organisation_id"]
            created = await client.post("/enrolment/trainers", json=trainer)
            assert created.status_code == 201, created.text
            path = f"/enrolment/trainers/{created.json()['id']}/certifications/quality_management"
            answers = await burst(platform, key, "PUT", path, {"level": "candidate"})
            assert answers == {200: AT_ONCE}


async def test_order_status_shared_several_times_at_once_is_kept_once(
    platform: Platform,
) -> None:
    key = ilo_key(platform)
    async with httpx.AsyncClient(base_url=platform.gateway, headers={"X-API-Key": key}) as client:
        organisations = await client.get("/enrolment/organisations", params={"limit": 100})
        buyer_id = next(o["id"] for o in organisations.json()["items"] if o["kind"] == "lead_buyer")
        partner_id = next(
            o["id"] for o in organisations.json()["items"] if o["kind"] == "implementation_partner"
        )
        for _ in range(BURSTS):
            enterprise: dict[str, Any] = {"name": f"Supplier {uuid4().hex[:8]}", "country": "PK"}
            enterprise |= {"sector": "textile", "partner_id": partner_id, "buyer_ids": [buyer_id]}
            created = await client.post("/enrolment/enterprises", json=enterprise)
            assert created.status_code == 201, created.text
            enterprise_id = created.json()["id"]
            months = [{"month": "2024-01", "confirmed": 1200, "pipeline": 300}]
            path = f"/enrolment/enterprises/{enterprise_id}/order-status/{buyer_id}"
            answers = await burst(platform, key, "PUT", path, {"months": months})
            assert answers == {200: AT_ONCE}
            shared = await client.get(f"/enrolment/enterprises/{enterprise_id}/order-status")
            assert shared.status_code == 200, shared.text
            [status] = shared.json()
            assert [m["month"] for m in status["months"]] == ["2024-01"]
