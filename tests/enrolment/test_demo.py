"""The demo data set loads, tells a coherent SCORE story, and loads only once."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.enrolment.app import create_app
from services.enrolment.demo import load_demo
from services.enrolment.settings import EnrolmentSettings
from shared.db import Database
from shared.enums import Role
from shared.identity import Principal
from tests.conftest import migrated_database_url
from tests.enrolment.support import ILO, Api, platform_settings


@pytest.fixture(scope="module")
async def demo_api(pg_socket_dir: str) -> AsyncIterator[Api]:
    url = await migrated_database_url(pg_socket_dir, "enrolment", "test_enrolment_demo")
    first = await load_demo(url)
    assert first["enterprises"] == 13
    assert first["training material versions"] == 3
    assert await load_demo(url) == {"already loaded": 1}
    database = Database(url, pool_size=2)
    app = create_app(EnrolmentSettings(platform=platform_settings()), database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.test") as client:
        yield Api(client)
    await database.dispose()


async def items(api: Api, url: str, as_: Principal = ILO) -> list[dict[str, Any]]:
    response = await api.get(url, params={"limit": 500}, as_=as_)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_demo_pakistan_call_explains_each_outcome(demo_api: Api) -> None:
    enterprises = {e["name"]: e for e in await items(demo_api, "/enterprises")}
    [call] = [c for c in await items(demo_api, "/calls") if "Pakistan 2018" in c["title"]]
    assert call["deadline"].startswith("2018-08-10")
    assert call["is_open"] is False
    applications = {
        a["enterprise_id"]: a for a in await items(demo_api, f"/calls/{call['id']}/applications")
    }
    sialkot = applications[enterprises["Sialkot Stitchers"]["id"]]
    assert sialkot["outcome"] == "ineligible"
    faisalabad = applications[enterprises["Faisalabad Fabrics"]["id"]]
    assert faisalabad["outcome"] == "needs_information"
    shortlisted = {a["enterprise_id"] for a in applications.values() if a["shortlisted"]}
    assert len(shortlisted) == 4


async def test_demo_enterprises_are_at_different_stages(demo_api: Api) -> None:
    stages = {e["stage"] for e in await items(demo_api, "/enrolments")}
    assert {"level1", "level2", "alumni", "initial_assessment", "ineligible"} <= stages


async def test_demo_buyer_sees_only_consenting_suppliers(demo_api: Api) -> None:
    organisations = {o["short_name"]: o["id"] for o in await items(demo_api, "/organisations")}
    adidas = Principal(
        subject="adidas", role=Role.lead_buyer, organisation_id=organisations["Adidas"]
    )
    visible = {e["name"] for e in await items(demo_api, "/enterprises", as_=adidas)}
    # Crescent withdrew its consent to Adidas; Korangi still shares.
    assert visible == {"Korangi Apparel Industries"}
    inditex = Principal(
        subject="inditex", role=Role.lead_buyer, organisation_id=organisations["Inditex"]
    )
    korangi = [
        e for e in await items(demo_api, "/enterprises", as_=inditex) if "Korangi" in e["name"]
    ]
    [orders] = (
        await demo_api.get(f"/enterprises/{korangi[0]['id']}/order-status", as_=inditex)
    ).json()
    assert [m["month"] for m in orders["months"]] == ["2019-01", "2019-02", "2019-03", "2019-04"]
    # Adidas is Korangi's buyer too, but nothing was shared with it.
    assert (
        await demo_api.get(f"/enterprises/{korangi[0]['id']}/order-status", as_=adidas)
    ).json() == []


async def test_demo_karachi_batch_was_delivered(demo_api: Api) -> None:
    enterprises = {e["name"]: e["id"] for e in await items(demo_api, "/enterprises")}
    [cohort] = await items(demo_api, "/cohorts")
    assert len(cohort["enterprise_ids"]) == 4
    participants = await demo_api.get(f"/cohorts/{cohort['id']}/participants")
    assert participants.status_code == 200, participants.text
    korangi = await demo_api.get(
        f"/enterprises/{enterprises['Korangi Apparel Industries']}/progress"
    )
    statuses = {p["module_code"]: p["status"] for p in korangi.json()}
    assert statuses["workplace_cooperation"] == "completed"
    trainers = await items(demo_api, "/trainers")
    assert {t["sex"] for t in trainers} == {"female", "male"}


async def test_demo_karachi_batch_has_ceo_meetings_and_baseline_assessments(
    demo_api: Api,
) -> None:
    enterprises = {e["name"]: e["id"] for e in await items(demo_api, "/enterprises")}
    [call] = [c for c in await items(demo_api, "/calls") if "Pakistan 2018" in c["title"]]
    applications = {
        a["enterprise_id"]: a for a in await items(demo_api, f"/calls/{call['id']}/applications")
    }
    korangi = applications[enterprises["Korangi Apparel Industries"]]
    [meeting] = (await demo_api.get(f"/applications/{korangi['id']}/meetings")).json()
    assert meeting["commitment"] == "senior_nominee"
    assert korangi["input_snapshot"]["commitment_meeting_id"] == meeting["id"]
    listed = await demo_api.get(
        "/enrolments", params={"enterprise_id": enterprises["Korangi Apparel Industries"]}
    )
    [enrolment] = listed.json()["items"]
    kinds = [a["kind"] for a in await items(demo_api, f"/enrolments/{enrolment['id']}/assessments")]
    assert kinds == ["initial", "baseline", "comprehensive_baseline"]


async def test_demo_karachi_alumni_meeting_and_mobilisation_event_have_their_registers(
    demo_api: Api,
) -> None:
    events = {e["title"]: e for e in await items(demo_api, "/programme-events")}
    alumni = events["Second SCORE Alumni Network meeting"]
    mobilisation = events["Mobilisation event for the next SCORE batch"]
    assert (alumni["kind"], alumni["online"], alumni["attendees"]) == ("alumni_meeting", True, 3)
    assert (mobilisation["kind"], mobilisation["invited_enterprises"]) == ("mobilisation", 3)
    sheet = (await demo_api.get(f"/programme-events/{mobilisation['id']}/attendance")).json()
    assert (sheet["attendees"], sheet["enterprises"]) == (6, 4)
    assert (sheet["female"], sheet["male"], sheet["other_sex"]) == (2, 3, 1)


async def test_demo_library_keeps_both_versions_of_the_english_guide(demo_api: Api) -> None:
    listed = await demo_api.get("/modules/workplace_cooperation/materials")
    assert listed.status_code == 200
    by_language = {m["language"]: m for m in listed.json()}
    assert set(by_language) == {"en", "ur"}
    english = by_language["en"]
    assert [v["version"] for v in english["versions"]] == [2, 1]
    first = await demo_api.get(f"/materials/{english['id']}/versions/1/file")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/pdf"
    assert first.content.startswith(b"%PDF")


async def test_demo_karachi_batch_trainers_have_their_certification_evidence(
    demo_api: Api,
) -> None:
    [cohort] = await items(demo_api, "/cohorts")
    for trainer_id in cohort["trainer_ids"]:
        url = f"/trainers/{trainer_id}/certifications/workplace_cooperation/evidence"
        evidence = (await demo_api.get(url)).json()
        assert evidence["complete"] is True
        assert [q["passed"] for q in evidence["quizzes"]] == [True] * evidence["sessions"]
        [assignment] = evidence["assignments"]
        got = await demo_api.get(f"/trainers/{trainer_id}/assignments/{assignment['id']}/file")
        assert got.status_code == 200
        assert got.content.startswith(b"%PDF")
    [candidate] = [t for t in await items(demo_api, "/trainers") if t["name"] == "Sana Baig"]
    url = f"/trainers/{candidate['id']}/certifications/workplace_cooperation/evidence"
    evidence = (await demo_api.get(url)).json()
    assert (evidence["complete"], evidence["assignment_missing"]) == (False, True)
